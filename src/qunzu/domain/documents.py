"""Published rules and the service agreement (Art. 5 ¶2): the kinds, and who must accept what."""

from __future__ import annotations

from enum import StrEnum

from qunzu.domain.rules import rule
from qunzu.errors import ErrorCode, Forbidden, ValidationFailed


class DocumentKind(StrEnum):
    AGREEMENT = "agreement"  # 用户服务协议
    CONVENTION = "convention"  # 平台公约
    GROUP_RULES = "group_rules"  # 群组管理规则
    PRIVACY = "privacy"  # 隐私政策
    REPORT_GUIDE = "report_guide"  # 投诉举报指引
    OWNER_DUTIES = "owner_duties"  # 群主责任告知书: accepted to create a group or become a manager (R-9.1-1)


ACCEPTED_AT_REGISTRATION = (DocumentKind.AGREEMENT, DocumentKind.PRIVACY)


def parse_kind(raw: str) -> DocumentKind:
    try:
        return DocumentKind(raw)
    except ValueError:
        raise ValidationFailed(
            "Unknown document", code=ErrorCode.DOCUMENT_NOT_FOUND, details={"allowed": [k.value for k in DocumentKind]}
        ) from None


@rule("R-5.2-2", ErrorCode.AGREEMENT_REQUIRED)
def check_registration_acceptance(*, accepted: dict[str, int], current: dict[str, int]) -> None:
    """Registration requires accepting the current service agreement and privacy policy."""
    missing = {k.value: current[k.value] for k in ACCEPTED_AT_REGISTRATION if accepted.get(k.value) != current[k.value]}
    if missing:
        raise ValidationFailed(
            "Accept the current service agreement and privacy policy to register",
            code=ErrorCode.AGREEMENT_REQUIRED,
            details={"required": missing},
        )


@rule("R-5.2-2", ErrorCode.AGREEMENT_REQUIRED)
def check_agreement_current(*, accepted: int, current: int) -> None:
    """After a new version of the agreement is published, posting waits until the user accepts it."""
    if accepted < current:
        raise Forbidden(
            "A new version of the user service agreement has been published; accept it to continue",
            code=ErrorCode.AGREEMENT_REQUIRED,
            details={"kind": DocumentKind.AGREEMENT.value, "version": current},
        )
