"""A group's info page (群信息页面, Art. 8 ¶2, R-8.2-2, D7) and the creation terms shown before the form is sent.

The info page names the group, its code, category, current size tier, member cap, live member count, creation date,
join mode, credit stars (群信用星级, group rules Art. 37) and the nicknames of its owner and managers. Members always
see it; from `info_public_at` members (100 by default) anyone holding the code sees it, signed in or not; below that a
non-member sees only that the group exists, its name and how to ask to join. A group waiting for creation review is
its creator's alone, a refused one is gone, and a closed one answers with its tombstone (D8).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from qunzu.domain.admission import creation_requirements, info_is_public
from qunzu.domain.credit import level_of
from qunzu.domain.policy import GroupPolicy, SizeTier, parse_tier, size_tier
from qunzu.domain.roles import ROLE_RANK, GroupRole
from qunzu.services import credit
from qunzu.services.access import access_group
from qunzu.services.groups import applicant_facts, check_visible
from qunzu.storage.tables import groups, memberships, users
from qunzu.storage.uow import Database

ANONYMOUS = 0  # no account has this id: the loader sees a visitor who is in no group


@dataclass(frozen=True, slots=True)
class StaffMember:
    user_id: int
    nickname: str
    role: GroupRole


@dataclass(frozen=True, slots=True)
class GroupInfo:
    code: str
    name: str
    status: str
    join_mode: str
    full: bool  # False: a non-member below the public size sees only the name and how to ask to join
    my_role: GroupRole | None
    category: str | None = None
    tier: SizeTier | None = None
    member_cap: int | None = None
    member_count: int | None = None
    created_at: datetime | None = None
    staff: tuple[StaffMember, ...] = ()
    stars: int | None = None  # 群信用星级 (group rules Art. 37): what each level turns off is group_stars.effects
    listed: bool | None = None  # the owner's alone: whether they list the group in group search


async def group_info(db: Database, *, actor: int | None, code: str, policy: GroupPolicy) -> GroupInfo:
    """The info page of the group with this code, as much of it as the actor may see (R-8.2-2, D7)."""
    async with db.uow(write=False) as uow:
        access = await access_group(uow.conn, actor=actor or ANONYMOUS, code=code)
        row = (await uow.conn.execute(select(groups).where(groups.c.id == access.id))).one()
        check_visible(row, actor=actor)
        # a group hidden by a platform measure (R-11.1-1) is out of the public info page: members only
        full = access.role is not None or (not row.hidden and info_is_public(policy, row.member_count))
        staff: list[StaffMember] = []
        if full:
            found = await uow.conn.execute(
                select(memberships.c.user_id, memberships.c.role, memberships.c.joined_at, users.c.nickname)
                .join(users, users.c.id == memberships.c.user_id)
                .where(
                    memberships.c.group_id == row.id,
                    memberships.c.role.in_([GroupRole.CREATOR.value, GroupRole.MANAGER.value]),
                )
            )
            ordered = sorted(found, key=lambda r: (ROLE_RANK[GroupRole(r.role)], r.joined_at, r.user_id))
            staff = [StaffMember(r.user_id, r.nickname, GroupRole(r.role)) for r in ordered]
    if not full:
        return GroupInfo(code=row.code, name=row.name, status=row.status, join_mode=row.join_mode, full=False,
                         my_role=None)  # fmt: skip
    return GroupInfo(
        code=row.code,
        name=row.name,
        status=row.status,
        join_mode=row.join_mode,
        full=True,
        my_role=access.role,
        category=row.category,
        tier=size_tier(row.member_count, policy),
        member_cap=row.member_cap,
        member_count=row.member_count,
        created_at=row.created_at,
        staff=tuple(staff),
        stars=row.stars,
        listed=bool(row.listed) if access.role is GroupRole.CREATOR else None,
    )


async def creation_terms(
    db: Database, *, actor: int, tiers: list[str], category: str, policy: GroupPolicy, now: datetime
) -> dict[str, dict[str, Any]]:
    """For each tier asked about: what creating a group of it in `category` requires, the actor's own figures and
    whether each requirement is met (the form shows this before it is sent; the creation gate decides again)."""
    asked = [parse_tier(t) for t in tiers]
    needs = {t: creation_requirements(policy, tier=t, category=category) for t in asked}
    async with db.uow(write=False) as uow:
        facts = await applicant_facts(uow, actor, now=now)
    level = level_of(facts.credit_score, credit.POLICY)
    lvl = policy.levels[level]
    me = {
        "verification_level": facts.verification_level,
        "credit_score": facts.credit_score,
        "credit_level": int(level),
        "account_days": facts.account_age.days,
        "groups_owned": facts.groups_owned,
        "owned_max": lvl.owned_max,
        "created_today": facts.created_today,
        "created_per_day": lvl.created_per_day,
    }
    out: dict[str, dict[str, Any]] = {}
    for tier, need in needs.items():
        met = {
            "verification_level": facts.verification_level >= need["verification_level"],
            "credit_level": int(level) >= need["credit_level"],
            "account_days": facts.account_age >= timedelta(days=need["account_days"]),
            "owned": facts.groups_owned < lvl.owned_max,
            "per_day": facts.created_today < lvl.created_per_day,
        }
        out[tier.value] = {"requirements": need, "me": me, "met": met, "eligible": all(met.values())}
    return out
