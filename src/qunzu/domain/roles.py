"""In-group roles (Art. 2, Art. 9): creator (群主), manager (管理员), member (成员), and what each may do."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum

from qunzu.domain.rules import rule
from qunzu.errors import ErrorCode, Forbidden, ValidationFailed


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


class GroupAction(StrEnum):
    """Everything the group's tools do (R-9.3-1). The matrix below says which role may do each."""

    EDIT_PROFILE = "edit_profile"  # name, description, announcement
    SET_JOIN_MODE = "set_join_mode"  # join mode, join question, who may invite
    DECIDE_JOIN_REQUESTS = "decide_join_requests"
    INVITE = "invite"  # members too when the group's invite rights are "all"
    MANAGE_LINKS = "manage_links"  # create and revoke invite links
    REMOVE_MEMBER = "remove_member"
    MUTE_MEMBER = "mute_member"
    MUTE_ALL = "mute_all"
    SLOW_MODE = "slow_mode"
    DELETE_MESSAGE = "delete_message"  # another member's message (authors always delete their own)
    PIN = "pin"
    KEYWORDS = "keywords"
    VIEW_LOG = "view_log"  # the group's operation log
    SET_MANAGERS = "set_managers"
    TRANSFER = "transfer"
    DISSOLVE = "dissolve"
    SET_LISTING = "set_listing"  # whether group search finds the group: the owner's separate choice (rules Art. 16)


_STAFF = frozenset({GroupRole.CREATOR, GroupRole.MANAGER})
_OWNER = frozenset({GroupRole.CREATOR})
_EVERYONE = frozenset(GroupRole)

# the one permission matrix: action → the roles that may take it
MATRIX: dict[GroupAction, frozenset[GroupRole]] = {
    GroupAction.EDIT_PROFILE: _STAFF,
    GroupAction.SET_JOIN_MODE: _STAFF,
    GroupAction.DECIDE_JOIN_REQUESTS: _STAFF,
    GroupAction.INVITE: _EVERYONE,  # narrowed to _STAFF by invite_rights = "managers"
    GroupAction.MANAGE_LINKS: _STAFF,
    GroupAction.REMOVE_MEMBER: _STAFF,
    GroupAction.MUTE_MEMBER: _STAFF,
    GroupAction.MUTE_ALL: _STAFF,
    GroupAction.SLOW_MODE: _STAFF,
    GroupAction.DELETE_MESSAGE: _STAFF,
    GroupAction.PIN: _STAFF,
    GroupAction.KEYWORDS: _STAFF,
    GroupAction.VIEW_LOG: _STAFF,
    GroupAction.SET_MANAGERS: _OWNER,
    GroupAction.TRANSFER: _OWNER,
    GroupAction.DISSOLVE: _OWNER,
    GroupAction.SET_LISTING: _OWNER,
}

# actions taken on another member: a manager acts only on ordinary members; nobody acts on the owner
ON_MEMBERS = frozenset({GroupAction.REMOVE_MEMBER, GroupAction.MUTE_MEMBER})


def may(role: GroupRole | None, action: GroupAction, *, invite_rights: str = "all") -> bool:
    """Whether `role` may take `action` (what pages offer; `check_may` is what the server enforces)."""
    if role is None:
        return False
    if action is GroupAction.INVITE and invite_rights == "managers":
        return role in _STAFF
    return role in MATRIX[action]


@rule("R-9.3-1", ErrorCode.FORBIDDEN_ROLE)
def check_may(role: GroupRole, action: GroupAction, *, invite_rights: str = "all") -> None:
    """Refuse a group tool to a role the permission matrix does not give it (`forbidden_role`)."""
    if not may(role, action, invite_rights=invite_rights):
        raise _refuse(action.value, role)


@rule("R-9.3-1", ErrorCode.FORBIDDEN_ROLE)
def check_may_act_on(actor: GroupRole, target: GroupRole, action: GroupAction, *, self_target: bool = False) -> None:
    """Removing or muting: the owner acts on anyone but themself, a manager only on ordinary members."""
    check_may(actor, action)
    if self_target or target is GroupRole.CREATOR or (actor is GroupRole.MANAGER and target is not GroupRole.MEMBER):
        raise Forbidden(
            f"Your role ({actor.value}) may not {action.value} a {target.value}",
            code=ErrorCode.FORBIDDEN_ROLE,
            details={"action": action.value, "role": actor.value, "target_role": target.value},
        )


def _refuse(action: str, role: GroupRole) -> Forbidden:
    return Forbidden(
        f"Your role ({role.value}) may not {action}",
        code=ErrorCode.FORBIDDEN_ROLE,
        details={"action": action, "role": role.value},
    )


@rule("R-9.3-1", ErrorCode.FORBIDDEN_ROLE)
def check_can_manage_managers(actor: GroupRole) -> None:
    """Only the creator (群主) appoints and removes managers."""
    if not may(actor, GroupAction.SET_MANAGERS):
        raise _refuse("appoint or remove managers", actor)


@rule("R-9.3-1", ErrorCode.FORBIDDEN_ROLE)
def check_can_transfer(actor: GroupRole) -> None:
    """Only the creator transfers the creator role."""
    if not may(actor, GroupAction.TRANSFER):
        raise _refuse("transfer the group", actor)


@rule("R-9.3-1", ErrorCode.FORBIDDEN_ROLE)
def check_can_delete_message(actor: GroupRole, *, is_author: bool) -> None:
    """Authors delete their own messages; the creator and managers delete any message in their group."""
    if is_author or may(actor, GroupAction.DELETE_MESSAGE):
        return
    raise _refuse("delete other members' messages", actor)


def may_edit_profile(role: GroupRole | None) -> bool:
    """The creator and managers edit the group's name, description and announcement (what pages offer)."""
    return may(role, GroupAction.EDIT_PROFILE)


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


MUTE_MIN = timedelta(minutes=10)
MUTE_MAX = timedelta(days=30)


@rule("R-9.3-1", ErrorCode.VALIDATION_FAILED)
def mute_period(seconds: int) -> timedelta:
    """A member is muted (禁言) for a period from 10 minutes to 30 days; anything else is refused."""
    low, high = int(MUTE_MIN.total_seconds()), int(MUTE_MAX.total_seconds())
    if not low <= seconds <= high:
        raise ValidationFailed(
            "A mute lasts from 10 minutes to 30 days",
            details={"field": "seconds", "min": low, "max": high},
        )
    return timedelta(seconds=seconds)
