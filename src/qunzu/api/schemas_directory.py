"""Shapes of group search and the owner's search listing (group rules Art. 16, 37)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from qunzu.api.schemas import Strict
from qunzu.domain.groupcode import format_group_code
from qunzu.i18n import category_label
from qunzu.services.group_directory import FoundGroup, ListingState, SearchPage


class FoundGroupOut(BaseModel):
    code: str
    code_display: str
    name: str
    category: str
    category_label: str
    member_count: int = Field(description="live")
    tier: str = Field(description="the current size tier, from the live member count")
    stars: int = Field(description="群信用星级: 5, or 4 (listed after every five-star group)")
    join_mode: str

    @classmethod
    def of(cls, g: FoundGroup, language: str) -> FoundGroupOut:
        return cls(
            code=g.code,
            code_display=format_group_code(g.code),
            name=g.name,
            category=g.category,
            category_label=category_label(g.category, language),
            member_count=g.member_count,
            tier=g.tier.value,
            stars=g.stars,
            join_mode=g.join_mode,
        )


class GroupSearchOut(BaseModel):
    query: str = Field(description="the search as read (trimmed, NFC)")
    results: list[FoundGroupOut]
    has_more: bool = Field(description="another page follows: ask again with offset + limit")
    limit: int
    offset: int

    @classmethod
    def of(cls, page: SearchPage, language: str) -> GroupSearchOut:
        return cls(
            query=page.query,
            results=[FoundGroupOut.of(g, language) for g in page.results],
            has_more=page.has_more,
            limit=page.limit,
            offset=page.offset,
        )


class ListingIn(Strict):
    listed: bool = Field(description="true: group search may find the group (when it meets the conditions)")


class ListingConditionsOut(BaseModel):
    active: bool = Field(description="the group is active (not waiting for review, not closed)")
    public_size: bool = Field(description="it has at least `public_at` members, so its info page is public")
    stars: bool = Field(description="it has four or five credit stars")
    not_hidden: bool = Field(description="no platform measure hides it")


class ListingOut(BaseModel):
    code: str
    listed: bool = Field(description="the owner's choice")
    found: bool = Field(description="whether group search finds the group now: listed and every condition met")
    stars: int
    member_count: int
    public_at: int = Field(description="the info page (and search) are open from this many members")
    conditions: ListingConditionsOut

    @classmethod
    def of(cls, s: ListingState) -> ListingOut:
        c = s.conditions
        return cls(
            code=s.code,
            listed=s.listed,
            found=s.found,
            stars=s.stars,
            member_count=s.member_count,
            public_at=s.public_at,
            conditions=ListingConditionsOut(
                active=c.active, public_size=c.public_size, stars=c.stars, not_hidden=c.not_hidden
            ),
        )
