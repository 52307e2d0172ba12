"""Public request and response shapes (XCreate / XPublic). Field names are the API's contract."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from qunzu.domain.groupcode import format_group_code
from qunzu.domain.roles import GroupRole, role_label
from qunzu.services.views import GroupView, MemberView, MessageView, UserView

MAX_ID = 2**53 - 1  # JSON-safe, and within BIGINT


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorBody(BaseModel):
    code: str = Field(description="stable snake_case error code")
    message: str = Field(description="for people, in the request's language")
    details: dict[str, Any] = Field(default_factory=dict)


class ErrorEnvelope(BaseModel):
    error: ErrorBody


class RegisterIn(Strict):
    username: str = Field(min_length=1, max_length=64, examples=["zhangsan"])
    password: str = Field(min_length=1, max_length=256)
    nickname: str = Field(min_length=1, max_length=64, examples=["小张"])


class LoginIn(Strict):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class UserPublic(BaseModel):
    id: int
    username: str
    nickname: str
    staff_role: str | None = None
    created_at: datetime

    @classmethod
    def of(cls, v: UserView) -> UserPublic:
        return cls(id=v.id, username=v.username, nickname=v.nickname, staff_role=v.staff_role, created_at=v.created_at)


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_at: datetime
    user: UserPublic


class GroupCreate(Strict):
    name: str = Field(min_length=1, max_length=200)
    category: str = Field(min_length=1, max_length=32)
    description: str = Field("", max_length=5000)


class GroupPublic(BaseModel):
    code: str = Field(description="the unique group code (唯一群组识别编码), 10 digits with a check digit")
    code_display: str
    name: str
    category: str
    description: str
    status: Literal["active", "closed"] | str
    member_count: int
    member_cap: int
    last_seq: int | None = Field(None, description="the last message sequence number (members only)")
    created_at: datetime
    my_role: GroupRole | None = None
    my_role_label: str | None = None

    @classmethod
    def of(cls, v: GroupView, language: str) -> GroupPublic:
        return cls(
            code=v.code,
            code_display=format_group_code(v.code),
            name=v.name,
            category=v.category,
            description=v.description,
            status=v.status,
            member_count=v.member_count,
            member_cap=v.member_cap,
            last_seq=v.last_seq if v.my_role is not None else None,
            created_at=v.created_at,
            my_role=v.my_role,
            my_role_label=role_label(v.my_role, language) if v.my_role else None,
        )


class MemberPublic(BaseModel):
    user_id: int
    nickname: str
    role: GroupRole
    role_label: str
    joined_at: datetime

    @classmethod
    def of(cls, v: MemberView, language: str) -> MemberPublic:
        return cls(
            user_id=v.user_id,
            nickname=v.nickname,
            role=v.role,
            role_label=role_label(v.role, language),
            joined_at=v.joined_at,
        )


class MembersOut(BaseModel):
    members: list[MemberPublic]
    count: int


class UserRef(Strict):
    user_id: int = Field(ge=1, le=MAX_ID)


class MessageCreate(Strict):
    text: str = Field(min_length=1, max_length=100_000)
    client_msg_id: str = Field(
        min_length=1,
        max_length=64,
        description="chosen by the client; a retry with the same id returns the same message",
    )


class SenderPublic(BaseModel):
    id: int
    nickname: str
    role: GroupRole | None
    role_label: str | None = None


class MessagePublic(BaseModel):
    id: int
    group_code: str
    seq: int = Field(description="per-group sequence number, increasing without gaps")
    sender: SenderPublic
    text: str | None = Field(description="null when the message was deleted")
    client_msg_id: str
    created_at: datetime
    deleted: bool

    @classmethod
    def of(cls, v: MessageView, language: str) -> MessagePublic:
        return cls(
            id=v.id,
            group_code=v.group_code,
            seq=v.seq,
            sender=SenderPublic(
                id=v.sender_id,
                nickname=v.sender_nickname,
                role=v.sender_role,
                role_label=role_label(v.sender_role, language) if v.sender_role else None,
            ),
            text=v.text,
            client_msg_id=v.client_msg_id,
            created_at=v.created_at,
            deleted=v.deleted,
        )


class MessagePage(BaseModel):
    messages: list[MessagePublic]
    has_more: bool = Field(description="older (or, with `after`, newer) messages exist beyond this page")


class CategoryOut(BaseModel):
    id: str
    label: str


class HealthOut(BaseModel):
    status: Literal["ok", "unavailable"]
    database: bool | None = None
