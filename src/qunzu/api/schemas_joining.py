"""Request and response shapes of joining: join requests, invitations, invite links, join settings, the rules card."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from qunzu.api.schemas import MAX_ID, OneLineOrBlank, Strict, TextOrBlank
from qunzu.domain.groupcode import format_group_code
from qunzu.services.invites import InviteOutcome, LinkPreview, LinkView
from qunzu.services.join_settings import JoinSettingsView
from qunzu.services.joining import JoinRequestView


class JoinIn(Strict):
    answer: TextOrBlank = Field("", max_length=1000, description="the answer to the group's join question, if any")


class JoinRequestOut(BaseModel):
    id: int
    group: str = Field(description="the group's code")
    group_name: str
    user_id: int
    nickname: str
    kind: Literal["request", "invitation"] | str
    status: str = Field(description="pending | approved | refused | accepted | declined | withdrawn")
    answer: str
    reason: str | None
    created_at: datetime
    decided_at: datetime | None
    invited_by: int | None = None
    invited_by_nickname: str | None = None

    @classmethod
    def of(cls, v: JoinRequestView) -> JoinRequestOut:
        return cls(
            id=v.id,
            group=v.group_code,
            group_name=v.group_name,
            user_id=v.user_id,
            nickname=v.nickname,
            kind=v.kind,
            status=v.status,
            answer=v.answer,
            reason=v.reason,
            created_at=v.created_at,
            decided_at=v.decided_at,
            invited_by=v.invited_by,
            invited_by_nickname=v.invited_by_nickname,
        )


class JoinRequestsOut(BaseModel):
    requests: list[JoinRequestOut]
    count: int


class DecisionIn(Strict):
    approve: bool
    reason: OneLineOrBlank | None = Field(None, max_length=1000, description="why (kept with the decision)")


class JoinSettingsIn(Strict):
    join_mode: Literal["open", "approval", "invitation"] | None = None
    join_question: OneLineOrBlank | None = Field(None, max_length=1000)
    invite_rights: Literal["all", "managers"] | None = None


class JoinSettingsOut(BaseModel):
    code: str
    join_mode: str
    join_question: str
    invite_rights: str
    allowed_modes: list[str] = Field(description="the join modes the tier this group can grow to allows")
    member_count: int
    member_cap: int
    links_allowed: bool = Field(description="invite links are allowed at the group's current size")
    pending_requests: int

    @classmethod
    def of(cls, v: JoinSettingsView) -> JoinSettingsOut:
        return cls(
            code=v.code,
            join_mode=v.join_mode,
            join_question=v.join_question,
            invite_rights=v.invite_rights,
            allowed_modes=v.allowed_modes,
            member_count=v.member_count,
            member_cap=v.member_cap,
            links_allowed=v.links_allowed,
            pending_requests=v.pending_requests,
        )


class InviteIn(Strict):
    username: OneLineOrBlank | None = Field(None, max_length=64)
    user_id: int | None = Field(None, ge=1, le=MAX_ID)

    @model_validator(mode="after")
    def _one(self) -> InviteIn:
        if not self.username and self.user_id is None:
            raise ValueError("give username or user_id")
        return self


class InviteOut(BaseModel):
    status: Literal["added", "invited", "requested"] | str = Field(
        description="added: a member now; invited: waits for the invitee's yes; requested: waits for a manager"
    )
    user_id: int
    nickname: str
    request: JoinRequestOut | None = None

    @classmethod
    def of(cls, v: InviteOutcome) -> InviteOut:
        return cls(
            status=v.status,
            user_id=v.user_id,
            nickname=v.nickname,
            request=JoinRequestOut.of(v.request) if v.request else None,
        )


class LinkOut(BaseModel):
    id: int
    token: str
    url: str = Field(description="the full link to share (its QR code encodes it)")
    group: str
    created_by: int
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    uses: int
    state: Literal["active", "expired", "revoked"] | str

    @classmethod
    def of(cls, v: LinkView, base_url: str) -> LinkOut:
        return cls(
            id=v.id,
            token=v.token,
            url=f"{base_url.rstrip('/')}/join/{v.token}",
            group=v.group_code,
            created_by=v.created_by,
            created_at=v.created_at,
            expires_at=v.expires_at,
            revoked_at=v.revoked_at,
            uses=v.uses,
            state=v.state,
        )


class LinksOut(BaseModel):
    links: list[LinkOut]


class LinkPreviewOut(BaseModel):
    group: str
    code_display: str
    name: str
    category: str
    description: str
    member_count: int
    expires_at: datetime

    @classmethod
    def of(cls, v: LinkPreview) -> LinkPreviewOut:
        return cls(
            group=v.group_code,
            code_display=format_group_code(v.group_code),
            name=v.group_name,
            category=v.category,
            description=v.description,
            member_count=v.member_count,
            expires_at=v.expires_at,
        )


class RulesSeenOut(BaseModel):
    rules_seen_at: datetime
