"""In-group roles (Art. 2, Art. 9): creator (群主), manager (管理员), member (成员), and what each may do."""

from __future__ import annotations

from enum import StrEnum

from qunzu.domain.rules import rule
from qunzu.errors import ErrorCode, Forbidden


class GroupRole(StrEnum):
    CREATOR = "creator"
    MANAGER = "manager"
    MEMBER = "member"


ROLE_LABELS: dict[GroupRole, dict[str, str]] = {
    GroupRole.CREATOR: {"zh-CN": "群主", "en": "Owner"},
    GroupRole.MANAGER: {"zh-CN": "管理员", "en": "Manager"},
    GroupRole.MEMBER: {"zh-CN": "成员", "en": "Member"},
}

ROLE_RANK = {GroupRole.CREATOR: 0, GroupRole.MANAGER: 1, GroupRole.MEMBER: 2}


def role_label(role: GroupRole, language: str) -> str:
    return ROLE_LABELS[role].get(language, ROLE_LABELS[role]["en"])


def _refuse(action: str, role: GroupRole) -> Forbidden:
    return Forbidden(
        f"Your role ({role.value}) may not {action}",
        code=ErrorCode.FORBIDDEN_ROLE,
        details={"action": action, "role": role.value},
    )


@rule("R-9.3-1", ErrorCode.FORBIDDEN_ROLE)
def check_can_manage_managers(actor: GroupRole) -> None:
    """Only the creator (群主) appoints and removes managers."""
    if actor is not GroupRole.CREATOR:
        raise _refuse("appoint or remove managers", actor)


@rule("R-9.3-1", ErrorCode.FORBIDDEN_ROLE)
def check_can_transfer(actor: GroupRole) -> None:
    """Only the creator transfers the creator role."""
    if actor is not GroupRole.CREATOR:
        raise _refuse("transfer the group", actor)


@rule("R-9.3-1", ErrorCode.FORBIDDEN_ROLE)
def check_can_delete_message(actor: GroupRole, *, is_author: bool) -> None:
    """Authors delete their own messages; the creator and managers delete any message in their group."""
    if is_author or actor in (GroupRole.CREATOR, GroupRole.MANAGER):
        return
    raise _refuse("delete other members' messages", actor)


def may_edit_profile(role: GroupRole | None) -> bool:
    """The creator and managers edit the group's name, description and announcement (what pages offer)."""
    return role in (GroupRole.CREATOR, GroupRole.MANAGER)


@rule("R-9.3-1", ErrorCode.FORBIDDEN_ROLE)
def check_can_edit_profile(actor: GroupRole) -> None:
    """The creator and managers edit the group's name, description and announcement."""
    if not may_edit_profile(actor):
        raise _refuse("edit the group's name, description or announcement", actor)


@rule("R-9.1-2", ErrorCode.OWNER_MUST_TRANSFER)
def check_can_leave(actor: GroupRole) -> None:
    """The creator cannot simply walk away: ownership is transferred first (no passive owners)."""
    if actor is GroupRole.CREATOR:
        raise Forbidden(
            "The group owner must transfer ownership before leaving",
            code=ErrorCode.OWNER_MUST_TRANSFER,
        )
