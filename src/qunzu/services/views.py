"""Read models returned by services (the API turns them into its public schemas)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from qunzu.domain.roles import GroupRole


@dataclass(frozen=True, slots=True)
class UserView:
    id: int
    username: str
    nickname: str
    staff_role: str | None
    created_at: datetime
    verification_level: int = 0


@dataclass(frozen=True, slots=True)
class GroupView:
    id: int
    code: str
    name: str
    category: str
    description: str
    status: str
    member_count: int
    member_cap: int
    last_seq: int
    creator_id: int
    owner_id: int
    created_at: datetime
    my_role: GroupRole | None = None
    announcement: str = ""
    announcement_at: datetime | None = None
    max_tier: str = "L"  # the size ceiling the group was created for (R-8.3-1)
    join_mode: str = "open"
    purpose: str = ""
    closed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class MemberView:
    user_id: int
    nickname: str
    role: GroupRole
    joined_at: datetime


@dataclass(frozen=True, slots=True)
class MessageView:
    id: int
    group_code: str
    seq: int | None  # None while held for review
    sender_id: int
    sender_nickname: str
    sender_role: GroupRole | None
    text: str | None
    client_msg_id: str
    created_at: datetime
    deleted: bool = False
    status: str = "published"  # published | under_review | rejected (the last two: the author's own view)


@dataclass(frozen=True, slots=True)
class TokenView:
    token: str
    expires_at: datetime
    user: UserView
