"""Group search (搜索群组) and the owner's choice to be found in it (group rules Art. 16, 37; D7).

Anyone, signed in or not, searches by a part of a group's name or by its code. Search finds a group only when its
owner lists it (`groups.listed`) and it meets the conditions of domain/group_directory.py: active, not hidden by a
platform measure, four or five credit stars, and big enough for its info page to be public. The search states those
conditions as SQL so the database cuts the page; `listing_conditions` states them once more for the owner's page.
Five-star groups come first, then four-star ones (Art. 37 "四星：在搜索结果中排序靠后"), each by size.

Listing and unlisting is the owner's tool: the management gate applies (R-11.2-1) and the change is recorded in the
operation log (`group.listing`), which the group's log shows.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, false, or_, select, true, update

from qunzu import netlog
from qunzu.context import Ctx
from qunzu.domain import roles
from qunzu.domain.group_directory import (
    LIKE_ESCAPE,
    PAGE_MAX,
    ListingConditions,
    listing_conditions,
    parse_query,
)
from qunzu.domain.group_stars import SEARCHABLE_FROM
from qunzu.domain.groups import check_group_open
from qunzu.domain.policy import GroupPolicy, SizeTier, size_tier
from qunzu.domain.roles import GroupAction
from qunzu.netlog import Target
from qunzu.services import restrictions
from qunzu.services.access import access_group, access_group_as_member
from qunzu.storage.tables import groups
from qunzu.storage.uow import Database, UnitOfWork


@dataclass(frozen=True, slots=True)
class FoundGroup:
    code: str
    name: str
    category: str
    member_count: int
    tier: SizeTier
    stars: int
    join_mode: str


@dataclass(frozen=True, slots=True)
class SearchPage:
    query: str  # the search as cleaned
    results: list[FoundGroup]
    has_more: bool
    limit: int
    offset: int


async def search_groups(db: Database, *, q: str, policy: GroupPolicy, limit: int = 20, offset: int = 0) -> SearchPage:
    """Listed, active, unhidden groups of four or five stars with a public info page whose name holds `q`
    (case-insensitively) or whose code `q` is; five-star first, then by member count (R-11.1-1; rules Art. 16, 37)."""
    query = parse_query(q)
    limit = max(1, min(limit, PAGE_MAX))
    offset = max(0, offset)
    # ILIKE on PostgreSQL, lower() on both sides on SQLite: Latin letters match in either case on both databases
    match: ColumnElement[bool] = groups.c.name.ilike(query.name_pattern(), escape=LIKE_ESCAPE)
    if query.code is not None:
        match = or_(groups.c.code == query.code, match)
    stmt = (
        select(
            groups.c.code,
            groups.c.name,
            groups.c.category,
            groups.c.member_count,
            groups.c.stars,
            groups.c.join_mode,
        )
        .where(
            groups.c.listed == true(),  # the owner's choice
            groups.c.status == "active",
            groups.c.hidden == false(),  # a platform measure
            groups.c.stars >= SEARCHABLE_FROM,  # effects(stars).searchable
            groups.c.member_count >= policy.info_public_at,  # info_is_public: a private-sized group stays unfound
            match,
        )
        # effects(stars).ranked_lower: every five-star match before any four-star one
        .order_by(groups.c.stars.desc(), groups.c.member_count.desc(), groups.c.id)
        .limit(limit + 1)
        .offset(offset)
    )
    async with db.uow(write=False) as uow:
        rows = (await uow.conn.execute(stmt)).all()
    found = [
        FoundGroup(
            code=r.code,
            name=r.name,
            category=r.category,
            member_count=r.member_count,
            tier=size_tier(r.member_count, policy),
            stars=r.stars,
            join_mode=r.join_mode,
        )
        for r in rows[:limit]
    ]
    return SearchPage(query=query.text, results=found, has_more=len(rows) > limit, limit=limit, offset=offset)


# --- the owner's choice ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ListingState:
    """What the owner's page shows: the choice, the group's figures and each condition search asks besides it."""

    code: str
    listed: bool
    stars: int
    member_count: int
    public_at: int  # the info page is public from this many members
    conditions: ListingConditions

    @property
    def found(self) -> bool:
        """Whether search finds the group now."""
        return self.listed and self.conditions.met


async def listing_state(db: Database, *, actor: int, code: str, policy: GroupPolicy) -> ListingState:
    """The group's search listing and the conditions it meets, for its owner (others: `forbidden_role`)."""
    async with db.uow(write=False) as uow:
        access = await access_group_as_member(uow.conn, actor=actor, code=code)
        roles.check_may(access.require_member(), GroupAction.SET_LISTING)
        return await _state(uow, access.id, policy)


async def set_listed(
    db: Database, *, actor: int, code: str, listed: bool, ctx: Ctx, policy: GroupPolicy
) -> ListingState:
    """The owner lists the group in group search or takes it out (rules Art. 16: the owner's separate choice).
    Owner only, behind the management gate, on an active group; a change is recorded as `group.listing`."""
    async with db.uow() as uow:
        access = await access_group(uow.conn, actor=actor, code=code, for_update=True)
        role = access.require_member()
        roles.check_may(role, GroupAction.SET_LISTING)
        await restrictions.check_tools(uow, actor, role, now=ctx.now)  # suspended management, blacklist (R-11.2-1)
        check_group_open(access.status)
        changed = (
            await uow.conn.execute(
                update(groups)
                .where(groups.c.id == access.id, groups.c.listed == (not listed))
                .values(listed=listed)
                .returning(groups.c.id)
            )
        ).first()
        if changed is not None:  # choosing what is already chosen changes nothing and records nothing
            await netlog.record(
                uow, ctx, "group.listing", Target.group(access.id, access.code), actor=actor,
                listed=listed, actor_role=role.value,
            )  # fmt: skip
        state = await _state(uow, access.id, policy)
        await uow.commit()
    return state


async def _state(uow: UnitOfWork, group_id: int, policy: GroupPolicy) -> ListingState:
    row = (
        await uow.conn.execute(
            select(
                groups.c.code,
                groups.c.listed,
                groups.c.status,
                groups.c.member_count,
                groups.c.stars,
                groups.c.hidden,
            ).where(groups.c.id == group_id)
        )
    ).one()
    return ListingState(
        code=row.code,
        listed=bool(row.listed),
        stars=int(row.stars),
        member_count=int(row.member_count),
        public_at=policy.info_public_at,
        conditions=listing_conditions(
            policy, status=row.status, member_count=row.member_count, stars=row.stars, hidden=bool(row.hidden)
        ),
    )
