"""The platform's measures against groups and people (Art. 11 ¶1–2), as data and rules: what each kind of measure
acts on, the clause of the agreement and the law it rests on (依法依约), which take a period, which a rectification,
and how the evidence is fingerprinted.

Pure. services/enforcement.py::apply_measure is the one place that applies a `MeasureSpec`; it calls `check_spec`
first. The clauses cite src/qunzu/data/documents/agreement.zh-CN.md §6 (measures) and §7 (credit).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any

from qunzu.domain.content import REASON_CODES
from qunzu.domain.credit import Severity
from qunzu.domain.group_stars import STARS_LOWEST_MEASURE, STARS_MAX
from qunzu.domain.rules import rule
from qunzu.errors import ErrorCode, ValidationFailed


class MeasureKind(StrEnum):
    GROUP_WARNING = "group_warning"  # 警示整改: what to fix, by when (the owner and managers see it)
    GROUP_SUSPEND = "group_suspend"  # 暂停发布: nobody posts for a period, reading continues
    GROUP_CLOSE = "group_close"  # 关闭群组: closed for good, the code tombstoned
    GROUP_HIDE = "group_hide"  # 限制功能: out of search and the public info page
    GROUP_FREEZE_JOINS = "group_freeze_joins"  # 限制功能: no new members
    GROUP_STARS = "group_stars"  # 降低群信用星级: to 2–4 stars (domain/group_stars.py says what each turns off)
    USER_WARNING = "user_warning"  # 警示
    USER_CREDIT = "user_credit"  # 降低信用等级: a ledger deduction
    USER_MANAGE_SUSPEND = "user_manage_suspend"  # 暂停管理权限: keeps memberships, loses the tools
    USER_CREATE_REVOKE = "user_create_revoke"  # 取消建群资格: for a period or for good
    USER_MUTE = "user_mute"  # 暂停发布 (platform-wide)
    USER_SUSPEND = "user_suspend"  # 暂停使用或封禁账号
    CONTENT_REMOVAL = "content_removal"  # 删除违规信息 (a message; illegal content, R-10-3)


GROUP_KINDS = frozenset(
    {
        MeasureKind.GROUP_WARNING,
        MeasureKind.GROUP_SUSPEND,
        MeasureKind.GROUP_CLOSE,
        MeasureKind.GROUP_HIDE,
        MeasureKind.GROUP_FREEZE_JOINS,
        MeasureKind.GROUP_STARS,
    }
)
MESSAGE_KINDS = frozenset({MeasureKind.CONTENT_REMOVAL})
USER_KINDS = frozenset(MeasureKind) - GROUP_KINDS - MESSAGE_KINDS

# Applied and done at once: the record is `resolved` from the start (nothing to lift when a period ends).
ONE_OFF_KINDS = frozenset({MeasureKind.USER_CREDIT, MeasureKind.CONTENT_REMOVAL, MeasureKind.USER_WARNING})
# A period is required (1 hour – 365 days).
PERIOD_REQUIRED = frozenset(
    {MeasureKind.GROUP_WARNING, MeasureKind.GROUP_SUSPEND, MeasureKind.USER_MANAGE_SUSPEND, MeasureKind.USER_MUTE}
)
# A period is optional: without one the measure holds until it is lifted (permanent where the agreement allows it,
# §6.3.6 "永久不得建立群组", §6.3.7 "封禁账号").
PERIOD_OPTIONAL = frozenset(
    {
        MeasureKind.GROUP_HIDE,
        MeasureKind.GROUP_FREEZE_JOINS,
        MeasureKind.GROUP_STARS,  # rules Art. 38: the stars come back when the period ends
        MeasureKind.USER_CREATE_REVOKE,
        MeasureKind.USER_SUSPEND,
    }
)
PERMANENT_ALLOWED = frozenset({MeasureKind.USER_CREATE_REVOKE, MeasureKind.USER_SUSPEND})
RECTIFICATION_REQUIRED = frozenset({MeasureKind.GROUP_WARNING})
# A credit deduction rides along with these (the subject is a person); USER_CREDIT requires one.
CREDIT_ALLOWED = USER_KINDS | MESSAGE_KINDS

PERIOD_MIN = timedelta(hours=1)
PERIOD_MAX = timedelta(days=365)
# A warning's deadline to rectify.
DEADLINE_MAX = timedelta(days=90)

REASON_MAX = 2000
RECTIFICATION_MAX = 2000
SOURCE_REF_MAX = 100
CLAUSE_MAX = 64
LEGAL_BASIS_MAX = 200
EVIDENCE_MAX = 50

SOURCES = ("platform", "review", "complaint", "authority", "blacklist")
STATUSES = ("active", "lifted", "expired", "resolved", "overdue")

# The agreement clause each kind cites by default: "agreement 6.2.1" is §6 item 2 sub-item 1 of the 用户服务协议.
DEFAULT_CLAUSE: Mapping[MeasureKind, str] = {
    MeasureKind.GROUP_WARNING: "agreement 6.2.1",
    MeasureKind.GROUP_HIDE: "agreement 6.2.2",
    MeasureKind.GROUP_FREEZE_JOINS: "agreement 6.2.2",
    MeasureKind.GROUP_STARS: "agreement 6.2.2",
    MeasureKind.GROUP_SUSPEND: "agreement 6.2.3",
    MeasureKind.GROUP_CLOSE: "agreement 6.2.4",
    MeasureKind.USER_WARNING: "agreement 6.3.1",
    MeasureKind.CONTENT_REMOVAL: "agreement 6.3.1",
    MeasureKind.USER_MUTE: "agreement 6.3.3",
    MeasureKind.USER_CREDIT: "agreement 6.3.4",
    MeasureKind.USER_MANAGE_SUSPEND: "agreement 6.3.5",
    MeasureKind.USER_CREATE_REVOKE: "agreement 6.3.6",
    MeasureKind.USER_SUSPEND: "agreement 6.3.7",
}

LAW_GROUPS = "《互联网群组信息服务管理规定》第十一条第一款"
LAW_USERS = "《互联网群组信息服务管理规定》第十一条第二款"
LAW_ILLEGAL = "《网络安全法》第四十七条（第四十九条）"
DEFAULT_LEGAL_BASIS: Mapping[MeasureKind, str] = {
    **{k: LAW_GROUPS for k in GROUP_KINDS},
    **{k: LAW_USERS for k in USER_KINDS},
    MeasureKind.CONTENT_REMOVAL: LAW_ILLEGAL,
}
# The English rendering of the laws the defaults cite (a basis typed by staff is shown as typed).
LEGAL_BASIS_EN: Mapping[str, str] = {
    LAW_GROUPS: "Provisions on the Administration of Internet Group Information Services, Art. 11 ¶1",
    LAW_USERS: "Provisions on the Administration of Internet Group Information Services, Art. 11 ¶2",
    LAW_ILLEGAL: "Cybersecurity Law, Art. 47 (Art. 49 as amended)",
}

_AGREEMENT_CLAUSE = re.compile(r"^agreement (\d+(?:\.\d+)*)$")


def target_type(kind: MeasureKind) -> str:
    """What a measure of this kind acts on: group, user or message."""
    if kind in GROUP_KINDS:
        return "group"
    if kind in MESSAGE_KINDS:
        return "message"
    return "user"


def clause_text(clause: str, language: str) -> str:
    """A stored clause as people read it: "agreement 6.2.3" → 《用户服务协议》第6.2.3条 / User Agreement §6.2.3."""
    m = _AGREEMENT_CLAUSE.match(clause)
    if m is None:
        return clause
    return f"User Agreement §{m.group(1)}" if language == "en" else f"《用户服务协议》第{m.group(1)}条"


def legal_basis_text(basis: str, language: str) -> str:
    """A stored legal basis in the reader's language (the defaults are translated; others shown as typed)."""
    return LEGAL_BASIS_EN.get(basis, basis) if language == "en" else basis


@dataclass(frozen=True, slots=True)
class MeasureSpec:
    """One measure as decided: applied by services/enforcement.py::apply_measure."""

    kind: MeasureKind
    target_id: int
    reason_code: str
    reason: str
    duration: timedelta | None = None  # the period; for a warning, the time allowed to rectify
    rectification: str | None = None
    evidence_message_ids: tuple[int, ...] = ()
    source: str = "platform"
    source_ref: str | None = None
    clause: str | None = None  # None: DEFAULT_CLAUSE[kind]
    legal_basis: str | None = None  # None: DEFAULT_LEGAL_BASIS[kind]
    credit_severity: Severity | None = None
    stars: int | None = None  # a `group_stars` measure: the level it lowers the group to

    @property
    def effective_clause(self) -> str:
        return self.clause or DEFAULT_CLAUSE[self.kind]

    @property
    def effective_legal_basis(self) -> str:
        return self.legal_basis or DEFAULT_LEGAL_BASIS[self.kind]


def _bad(field: str, reason: str, message: str, **more: Any) -> ValidationFailed:
    return ValidationFailed(message, details={"field": field, "reason": reason, **more})


def _check_period(spec: MeasureSpec) -> None:
    kind, duration = spec.kind, spec.duration
    if duration is None:
        if kind in PERIOD_REQUIRED:
            raise _bad("duration", "required", "This measure needs a period")
        return
    if kind not in PERIOD_REQUIRED | PERIOD_OPTIONAL:
        raise _bad("duration", "not_allowed", "This measure takes no period")
    longest = DEADLINE_MAX if kind is MeasureKind.GROUP_WARNING else PERIOD_MAX
    if not PERIOD_MIN <= duration <= longest:
        raise _bad(
            "duration",
            "out_of_range",
            "The period is out of range",
            min_seconds=int(PERIOD_MIN.total_seconds()),
            max_seconds=int(longest.total_seconds()),
        )


@rule("R-11.1-1", ErrorCode.VALIDATION_FAILED)
def check_spec(spec: MeasureSpec) -> MeasureSpec:
    """A measure names its target, a known reason code, the decider's reason, a period where its kind needs one and
    within limits, a rectification for a warning, and cites a clause and a law (依法依约); else `validation_failed`
    naming the field. Returns the spec with the clause and basis filled in."""
    if not isinstance(spec.kind, MeasureKind):
        raise _bad("kind", "unknown", "Unknown measure", allowed=[k.value for k in MeasureKind])
    if not 1 <= spec.target_id < 2**63:
        raise _bad("target_id", "invalid", "The target is not valid")
    if spec.reason_code not in REASON_CODES:
        raise _bad("reason_code", "unknown", "Unknown reason code", allowed=list(REASON_CODES))
    if not spec.reason.strip():
        raise _bad("reason", "required", "State the reason for the measure")
    if len(spec.reason) > REASON_MAX:
        raise _bad("reason", "too_long", "The reason is too long", max=REASON_MAX)
    _check_period(spec)
    rectification = (spec.rectification or "").strip()
    if spec.kind in RECTIFICATION_REQUIRED and not rectification:
        raise _bad("rectification", "required", "A warning says what must be rectified")
    if len(rectification) > RECTIFICATION_MAX:
        raise _bad("rectification", "too_long", "The rectification is too long", max=RECTIFICATION_MAX)
    if spec.source not in SOURCES:
        raise _bad("source", "unknown", "Unknown source", allowed=list(SOURCES))
    if spec.source_ref is not None and len(spec.source_ref) > SOURCE_REF_MAX:
        raise _bad("source_ref", "too_long", "The source reference is too long", max=SOURCE_REF_MAX)
    if len(spec.evidence_message_ids) > EVIDENCE_MAX:
        raise _bad("evidence_message_ids", "too_many", "Too many evidence messages", max=EVIDENCE_MAX)
    if any(not 1 <= m < 2**63 for m in spec.evidence_message_ids):
        raise _bad("evidence_message_ids", "invalid", "An evidence message id is not valid")
    if spec.kind is MeasureKind.USER_CREDIT and spec.credit_severity is None:
        raise _bad("credit_severity", "required", "A credit deduction names its severity")
    if spec.credit_severity is not None and spec.kind not in CREDIT_ALLOWED:
        raise _bad("credit_severity", "not_allowed", "A credit deduction applies to a person")
    _check_stars(spec)
    clause = (spec.clause or "").strip() or DEFAULT_CLAUSE[spec.kind]
    basis = (spec.legal_basis or "").strip() or DEFAULT_LEGAL_BASIS[spec.kind]
    if len(clause) > CLAUSE_MAX:
        raise _bad("clause", "too_long", "The clause is too long", max=CLAUSE_MAX)
    if len(basis) > LEGAL_BASIS_MAX:
        raise _bad("legal_basis", "too_long", "The legal basis is too long", max=LEGAL_BASIS_MAX)
    return MeasureSpec(
        kind=spec.kind,
        target_id=spec.target_id,
        reason_code=spec.reason_code,
        reason=spec.reason.strip(),
        duration=spec.duration,
        rectification=rectification or None,
        evidence_message_ids=tuple(dict.fromkeys(spec.evidence_message_ids)),
        source=spec.source,
        source_ref=spec.source_ref,
        clause=clause,
        legal_basis=basis,
        credit_severity=spec.credit_severity,
        stars=spec.stars,
    )


def _check_stars(spec: MeasureSpec) -> None:
    """A star measure names the level, two to four (one star is closure, its own measure); no other takes one."""
    if spec.kind is not MeasureKind.GROUP_STARS:
        if spec.stars is not None:
            raise _bad("stars", "not_allowed", "Only a group credit stars measure takes a level")
        return
    if spec.stars is None:
        raise _bad("stars", "required", "Name the stars the group is lowered to")
    if not STARS_LOWEST_MEASURE <= spec.stars < STARS_MAX:
        raise _bad(
            "stars",
            "out_of_range",
            "A group is lowered to two, three or four stars (one star is closing it)",
            min=STARS_LOWEST_MEASURE,
            max=STARS_MAX - 1,
        )


# --- evidence: copies of the messages concerned, each fingerprinted ---------------------------------------------


def canonical_json(value: Any) -> bytes:
    """The bytes a fingerprint is taken of: sorted keys, no spaces, UTF-8 (so anyone can recompute it)."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def sha256_hex(value: Any) -> str:
    return hashlib.sha256(canonical_json(value)).hexdigest()


def evidence_copy(fields: Mapping[str, Any]) -> dict[str, Any]:
    """A message copy with its `sha256` (of the canonical JSON of every other field)."""
    body = {k: v for k, v in fields.items() if k != "sha256"}
    return {**body, "sha256": sha256_hex(body)}


def evidence_digest(copies: Sequence[Mapping[str, Any]]) -> str:
    """The SHA-256 of the whole evidence list (each copy with its own hash), stored on the record."""
    return sha256_hex([dict(c) for c in copies])


def evidence_intact(copies: Sequence[Mapping[str, Any]], digest: str) -> bool:
    """Whether each copy still matches its hash and the list its digest (an inspector's check)."""
    return all(evidence_copy(c)["sha256"] == c.get("sha256") for c in copies) and evidence_digest(copies) == digest
