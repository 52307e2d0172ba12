"""Events collected by a unit of work and published after commit (realtime delivery)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class MessagePosted:
    group_id: int
    group_code: str
    seq: int
    message: dict[str, Any]


@dataclass(frozen=True, slots=True)
class MessageDeleted:
    group_id: int
    group_code: str
    message_id: int
    seq: int
    ts_ms: int


@dataclass(frozen=True, slots=True)
class MembershipChanged:
    group_id: int
    group_code: str
    kind: str  # member_joined | member_left | role_changed
    user: dict[str, Any]
    role: str | None
    member_count: int
    ts_ms: int
    last_seq: int = 0  # the group's last message seq at the time (a joiner receives messages after it)


@dataclass(frozen=True, slots=True)
class GroupProfileChanged:
    """The group's name, description or announcement changed (an edit, or a reviewer removing one)."""

    group_id: int
    group_code: str
    name: str
    description: str
    announcement: str
    ts_ms: int

    @classmethod
    def of(cls, row: Any, ts_ms: int) -> GroupProfileChanged:
        """From a `groups` row as it now stands."""
        return cls(row.id, row.code, row.name, row.description, row.announcement, ts_ms)


@dataclass(frozen=True, slots=True)
class ProfileTakenDown:
    """A reviewer rejected a flagged group name, description or announcement, or nickname, and it was taken down;
    told to its author only (the group sees the new profile through GroupProfileChanged)."""

    author_id: int
    kind: str  # group_name | group_description | group_announcement | nickname
    group_id: int | None
    group_code: str | None
    reason: str | None
    ts_ms: int


@dataclass(frozen=True, slots=True)
class ReviewDecided:
    """A reviewer decided on a message; told to its author only."""

    group_id: int
    group_code: str
    author_id: int
    message_id: int
    client_msg_id: str
    decision: str  # approved | rejected
    reason: str | None
    seq: int | None
    ts_ms: int


@dataclass(frozen=True, slots=True)
class GroupActivity:
    """Something a manager or the owner did, or that happened to the group, which its members see as a system
    line in the chat (R-9.3-1): kind is one of member_removed, member_muted, member_unmuted, mute_all_on,
    mute_all_off, slow_mode, pinned, unpinned, manager_offered, manager_appointed, manager_removed, manager_resigned,
    owner_changed, join_mode_changed, dissolved. `actor` and `target` are {"id", "nickname", "role"} or None."""

    group_id: int
    group_code: str
    kind: str
    actor: dict[str, Any] | None
    target: dict[str, Any] | None
    details: dict[str, Any]
    ts_ms: int


@dataclass(frozen=True, slots=True)
class JoinRequestChanged:
    """A join request or invitation changed for the person it concerns (R-8.3-3); told to `user_id` only: an
    invitation arrived (status pending, kind invitation) or added them at once (added), or their request was
    decided (approved | refused)."""

    user_id: int
    group_id: int
    group_code: str
    group_name: str
    request_id: int | None
    kind: str  # request | invitation
    status: str  # pending | added | approved | refused
    reason: str | None
    ts_ms: int


@dataclass(frozen=True, slots=True)
class GroupCreationDecided:
    """A staff reviewer approved or refused a group waiting for creation review (R-8.3-1); told to its creator
    only."""

    creator_id: int
    group_id: int
    group_code: str
    group_name: str
    decision: str  # approved | refused
    reason: str | None
    ts_ms: int


@dataclass(frozen=True, slots=True)
class MeasureChanged:
    """A platform measure was applied to, or lifted from, the user or a group they own or manage (Art. 11); told
    to `user_id` only, with where to read it and appeal (/me/measures/{record_id})."""

    user_id: int
    record_id: int
    measure: str  # domain/enforcement.py::MeasureKind
    status: str  # active | resolved | lifted | expired | overdue
    group_id: int | None
    group_code: str | None
    until: str | None  # ISO, None: no end
    reason: str
    ts_ms: int


@dataclass(frozen=True, slots=True)
class ReportDecided:
    """A report (举报) was decided (Art. 12, R-12.1-2); told to its reporter only: the ticket number and the
    outcome, never anything about the person reported."""

    reporter_id: int
    number: str
    outcome: str  # upheld | rejected
    ts_ms: int


@dataclass(frozen=True, slots=True)
class AppealDecided:
    """An appeal was decided (R-11-x); told to its appellant only: upheld (the measure lifted, the credit restored)
    or rejected, with the decider's reason."""

    appellant_id: int
    appeal_id: int
    outcome: str  # upheld | rejected
    reason: str
    ts_ms: int


@dataclass(frozen=True, slots=True)
class SessionsEnded:
    """Sessions of the account ended (their tokens revoked): one, `token_hash`, when its owner signed out
    (`signed_out`); every one (`token_hash` None) when staff suspended the account (`account_suspended`), a blacklist
    entry signed it out (`blacklisted`) or its owner cancelled it (`account_cancelled`). The WebSocket connections
    opened with them, in every server process, get a last `session_ended` frame and close with 4401."""

    user_id: int
    reason: str  # signed_out | account_suspended | blacklisted | account_cancelled
    ts_ms: int
    token_hash: str | None = None  # the one session that ended; None: all of them
