"""Shapes of group creation terms, the group info page and the staff creation-review queue (Art. 8, R-8.2-2,
R-8.3-1)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from qunzu.api.schemas import Strict, TextOrBlank
from qunzu.domain.group_stars import StarEffects, effects
from qunzu.domain.groupcode import format_group_code
from qunzu.domain.roles import role_label
from qunzu.i18n import category_label
from qunzu.services.creation_review import PendingGroup
from qunzu.services.group_info import GroupInfo


class CreationTermsOut(BaseModel):
    """What creating a group of one tier in one category requires, your own figures, and whether each is met."""

    requirements: dict[str, Any] = Field(
        description="tier, category, sensitive, verification_level, credit_level, account_days, review, member_cap"
    )
    me: dict[str, Any] = Field(description="your verification level, credit score and level, account age, counts")
    met: dict[str, bool] = Field(description="verification_level, credit_level, account_days, owned, per_day")
    eligible: bool = Field(description="every requirement met (the group is created, or queued when review is set)")


class InfoStaff(BaseModel):
    user_id: int
    nickname: str
    role: str
    role_label: str


class StarEffectsOut(BaseModel):
    """What a level of credit stars allows (group rules Art. 37); false is a function turned off."""

    searchable: bool = Field(description="may appear in group search (when its owner lists it)")
    ranked_lower: bool = Field(description="listed after every five-star group in search")
    link_joins: bool = Field(description="invite links and QR codes work")
    new_members: bool = Field(description="new members may join, by any path")
    message_links: bool = Field(description="messages may carry links")

    @classmethod
    def of(cls, e: StarEffects) -> StarEffectsOut:
        return cls(
            searchable=e.searchable,
            ranked_lower=e.ranked_lower,
            link_joins=e.link_joins,
            new_members=e.new_members,
            message_links=e.message_links,
        )


class GroupInfoOut(BaseModel):
    """The group info page (群信息页面). `full` false: a non-member of a group below the public size sees only its
    name, code and join mode."""

    code: str
    code_display: str
    name: str
    status: str
    join_mode: str
    full: bool
    my_role: str | None = None
    category: str | None = None
    category_label: str | None = None
    tier: str | None = Field(None, description="the current size tier, from the live member count")
    member_cap: int | None = None
    member_count: int | None = Field(None, description="live")
    created_at: datetime | None = None
    owner_and_managers: list[InfoStaff] = Field(default_factory=list)
    stars: int | None = Field(None, description="群信用星级, 1–5 (group rules Art. 37)")
    star_effects: StarEffectsOut | None = Field(None, description="what the group's stars allow")
    listed: bool | None = Field(None, description="the owner only: whether they list the group in group search")

    @classmethod
    def of(cls, v: GroupInfo, language: str) -> GroupInfoOut:
        return cls(
            code=v.code,
            code_display=format_group_code(v.code),
            name=v.name,
            status=v.status,
            join_mode=v.join_mode,
            full=v.full,
            my_role=v.my_role.value if v.my_role else None,
            category=v.category,
            category_label=category_label(v.category, language) if v.category else None,
            tier=v.tier.value if v.tier else None,
            member_cap=v.member_cap,
            member_count=v.member_count,
            created_at=v.created_at,
            owner_and_managers=[
                InfoStaff(
                    user_id=s.user_id, nickname=s.nickname, role=s.role.value, role_label=role_label(s.role, language)
                )
                for s in v.staff
            ],
            stars=v.stars,
            star_effects=StarEffectsOut.of(effects(v.stars)) if v.stars is not None else None,
            listed=v.listed,
        )


class PendingGroupOut(BaseModel):
    code: str
    code_display: str
    name: str
    category: str
    category_label: str
    tier: str
    member_cap: int
    purpose: str
    description: str
    created_at: datetime
    creator_id: int
    creator_nickname: str
    creator_verification_level: int
    creator_credit_score: int
    creator_credit_level: int

    @classmethod
    def of(cls, p: PendingGroup, language: str) -> PendingGroupOut:
        return cls(
            code=p.code,
            code_display=format_group_code(p.code),
            name=p.name,
            category=p.category,
            category_label=category_label(p.category, language),
            tier=p.tier,
            member_cap=p.member_cap,
            purpose=p.purpose,
            description=p.description,
            created_at=p.created_at,
            creator_id=p.creator_id,
            creator_nickname=p.creator_nickname,
            creator_verification_level=p.creator_verification_level,
            creator_credit_score=p.creator_credit_score,
            creator_credit_level=int(p.creator_credit_level),
        )


class GroupReviewDecisionIn(Strict):
    decision: Literal["approve", "refuse"]
    reason: TextOrBlank = Field("", max_length=200, description="required when refusing")


class GroupReviewDecisionOut(BaseModel):
    code: str
    status: str
