"""The owner's and managers' tools on members (R-9.3-1): remove, mute for a period, unmute; and dissolution.

Each tool checks the permission matrix of domain/roles.py (a manager acts only on ordinary members, nobody on the
owner), writes its operation record (shown in the group's log, services/group_log.py) and collects the system line
members see (`GroupActivity`). Muting sets `memberships.muted_until`; the posting path enforces it.

Dissolving (owner only, confirmed by typing the group's name) closes the group for good: its code stays reserved
and shows a tombstone (D8), its content is kept for its retention period (D5), every member's joined place and the
owner's owned place come back, and open join requests, invitations and role offers end.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update

from qunzu import netlog
from qunzu.context import Ctx
from qunzu.domain import roles
from qunzu.domain.groups import check_group_open, group_closed
from qunzu.domain.policy import GroupPolicy, managers_needed
from qunzu.domain.roles import ROLE_RANK, GroupAction, GroupRole, may
from qunzu.errors import Forbidden, ValidationFailed
from qunzu.netlog import Target
from qunzu.services import counters, restrictions
from qunzu.services.access import GroupAccess, access_group, access_group_as_member
from qunzu.services.group_offers import activity, target_role
from qunzu.services.groups import _remove_member
from qunzu.services.joining import cancel_open_for_group
from qunzu.storage.tables import groups, memberships, role_offers, users
from qunzu.storage.uow import Database, UnitOfWork


@dataclass(frozen=True, slots=True)
class RosterEntry:
    """One member as the members tool shows them to the owner or a manager, with what the viewer may do."""

    user_id: int
    nickname: str
    role: GroupRole
    joined_at: datetime
    muted_until: datetime | None  # None: not muted now
    offer: str | None  # a pending offer to them: "manager" or "creator"
    can_remove: bool
    can_mute: bool
    can_offer_manager: bool
    can_remove_manager: bool


@dataclass(frozen=True, slots=True)
class ManagersShortfall:
    """R-9.3-2: an L or XL group with fewer managers than its size needs."""

    needed: int
    have: int


async def _acting(
    uow: UnitOfWork, *, actor: int, code: str, target: int, action: GroupAction, now: datetime
) -> GroupAccess:
    """The group (open, row locked), the actor's role allowing `action` on the target's role, and the actor's
    management rights not suspended (R-11.2-1)."""
    access = await access_group(uow.conn, actor=actor, code=code, for_update=True)
    role = access.require_member()
    roles.check_may(role, action)
    await restrictions.check_tools(uow, actor, role, now=now)  # management_suspended / blacklisted
    check_group_open(access.status)
    their = await target_role(uow, access, target)
    roles.check_may_act_on(role, their, action, self_target=target == actor)
    return access


async def remove_member(db: Database, *, actor: int, code: str, user_id: int, ctx: Ctx) -> None:
    """The owner removes anyone but themself, a manager an ordinary member (移出群聊); their place comes back."""
    async with db.uow() as uow:
        access = await _acting(
            uow, actor=actor, code=code, target=user_id, action=GroupAction.REMOVE_MEMBER, now=ctx.now
        )
        assert access.role is not None
        await activity(uow, access, "member_removed", ctx, actor=actor, target=user_id)
        await _remove_member(
            uow, access, user_id=user_id, ctx=ctx, action="group.remove", actor=actor, actor_role=access.role.value
        )
        await uow.commit()


async def mute_member(db: Database, *, actor: int, code: str, user_id: int, seconds: int, ctx: Ctx) -> datetime:
    """Mute a member (禁言) for 10 minutes to 30 days; a new mute replaces the last. Returns when it ends."""
    period = roles.mute_period(seconds)
    async with db.uow() as uow:
        access = await _acting(uow, actor=actor, code=code, target=user_id, action=GroupAction.MUTE_MEMBER, now=ctx.now)
        assert access.role is not None
        until = ctx.now + period
        await uow.conn.execute(
            update(memberships)
            .where(memberships.c.group_id == access.id, memberships.c.user_id == user_id)
            .values(muted_until=until, muted_by=actor)
        )
        await netlog.record(
            uow, ctx, "group.mute", Target.user(user_id, group_id=access.id), actor=actor,
            seconds=seconds, until=until.isoformat(), actor_role=access.role.value,
        )  # fmt: skip
        await activity(
            uow, access, "member_muted", ctx, actor=actor, target=user_id, seconds=seconds, until=until.isoformat()
        )
        await uow.commit()
    return until


async def unmute_member(db: Database, *, actor: int, code: str, user_id: int, ctx: Ctx) -> None:
    """Lift a member's mute before it ends."""
    async with db.uow() as uow:
        access = await _acting(uow, actor=actor, code=code, target=user_id, action=GroupAction.MUTE_MEMBER, now=ctx.now)
        assert access.role is not None
        await uow.conn.execute(
            update(memberships)
            .where(memberships.c.group_id == access.id, memberships.c.user_id == user_id)
            .values(muted_until=None, muted_by=None)
        )
        await netlog.record(
            uow, ctx, "group.unmute", Target.user(user_id, group_id=access.id), actor=actor,
            actor_role=access.role.value,
        )  # fmt: skip
        await activity(uow, access, "member_unmuted", ctx, actor=actor, target=user_id)
        await uow.commit()


def _same_name(typed: str, name: str) -> bool:
    return unicodedata.normalize("NFC", typed.strip()) == unicodedata.normalize("NFC", name.strip())


async def dissolve_group(db: Database, *, actor: int, code: str, confirm_name: str, ctx: Ctx) -> None:
    """The owner dissolves the group (解散群聊), typing its name to confirm. The code is never reused."""
    async with db.uow() as uow:
        access = await access_group(uow.conn, actor=actor, code=code, for_update=True)
        role = access.require_member()
        roles.check_may(role, GroupAction.DISSOLVE)
        await restrictions.check_tools(uow, actor, role, now=ctx.now)  # the owner role is frozen (R-11.2-1)
        check_group_open(access.status)
        row = (await uow.conn.execute(select(groups).where(groups.c.id == access.id))).one()
        if not _same_name(confirm_name, row.name):
            raise ValidationFailed(
                "Type the group's name exactly to confirm", details={"field": "confirm_name", "reason": "mismatch"}
            )
        closed = (
            await uow.conn.execute(
                update(groups)
                .where(groups.c.id == access.id, groups.c.status == "active")
                .values(status="closed", closed_at=ctx.now, closed_by=actor, closed_reason="dissolved")
                .returning(groups.c.id)
            )
        ).first()
        if closed is None:
            raise group_closed()
        member_ids = list(
            (await uow.conn.execute(select(memberships.c.user_id).where(memberships.c.group_id == access.id))).scalars()
        )
        await activity(uow, access, "dissolved", ctx, actor=actor)  # before the memberships go: the actor's role
        await uow.conn.execute(delete(memberships).where(memberships.c.group_id == access.id))
        await counters.release_joined(uow, member_ids)
        await counters.release_owned(uow, row.owner_id)
        await uow.conn.execute(
            update(role_offers)
            .where(role_offers.c.group_id == access.id, role_offers.c.status == "pending")
            .values(status="cancelled", decided_at=ctx.now, open_key=None)
        )
        requests = await cancel_open_for_group(uow, access.id, ctx=ctx, reason="dissolved")
        await netlog.record(
            uow, ctx, "group.dissolve", Target.group(access.id, access.code), actor=actor,
            name=row.name, members=sorted(member_ids), member_count=len(member_ids), requests_closed=requests,
            actor_role=role.value,
        )  # fmt: skip
        await uow.commit()


# --- what the members tool shows --------------------------------------------------------------------------------


async def member_roster(db: Database, *, actor: int, code: str, now: datetime) -> list[RosterEntry]:
    """Every member with role, joined date, mute state and pending offer, and the actions the viewer may take on
    each (the owner and managers only: `forbidden_role` for members)."""
    async with db.uow(write=False) as uow:
        access = await access_group_as_member(uow.conn, actor=actor, code=code)
        me = access.require_member()
        roles.check_may(me, GroupAction.REMOVE_MEMBER)
        rows = await uow.conn.execute(
            select(
                memberships.c.user_id,
                memberships.c.role,
                memberships.c.joined_at,
                memberships.c.muted_until,
                users.c.nickname,
                role_offers.c.role.label("offer"),
            )
            .join(users, users.c.id == memberships.c.user_id)
            .outerjoin(
                role_offers,
                (role_offers.c.group_id == memberships.c.group_id)
                & (role_offers.c.user_id == memberships.c.user_id)
                & (role_offers.c.status == "pending"),
            )
            .where(memberships.c.group_id == access.id)
        )
        entries = [_entry(r, me=me, actor=actor, now=now) for r in rows]
    entries.sort(key=lambda e: (ROLE_RANK[e.role], e.joined_at, e.user_id))
    return entries


def _acts_on(me: GroupRole, their: GroupRole, action: GroupAction, *, self_target: bool) -> bool:
    try:
        roles.check_may_act_on(me, their, action, self_target=self_target)
    except Forbidden:
        return False
    return True


def _entry(r: object, *, me: GroupRole, actor: int, now: datetime) -> RosterEntry:
    role = GroupRole(r.role)  # type: ignore[attr-defined]
    me_self = r.user_id == actor  # type: ignore[attr-defined]
    muted = r.muted_until  # type: ignore[attr-defined]
    return RosterEntry(
        user_id=r.user_id,  # type: ignore[attr-defined]
        nickname=r.nickname,  # type: ignore[attr-defined]
        role=role,
        joined_at=r.joined_at,  # type: ignore[attr-defined]
        muted_until=muted if muted is not None and muted > now else None,
        offer=r.offer,  # type: ignore[attr-defined]
        can_remove=_acts_on(me, role, GroupAction.REMOVE_MEMBER, self_target=me_self),
        can_mute=_acts_on(me, role, GroupAction.MUTE_MEMBER, self_target=me_self),
        can_offer_manager=may(me, GroupAction.SET_MANAGERS) and role is GroupRole.MEMBER,
        can_remove_manager=may(me, GroupAction.SET_MANAGERS) and role is GroupRole.MANAGER,
    )


async def managers_shortfall(db: Database, *, actor: int, code: str, policy: GroupPolicy) -> ManagersShortfall | None:
    """R-9.3-2: for the owner and managers, whether the group has fewer managers than its size needs (L and XL:
    one per 200 members by default). None when it has enough, or the viewer is not the owner or a manager."""
    async with db.uow(write=False) as uow:
        access = await access_group(uow.conn, actor=actor, code=code)
        if access.role not in (GroupRole.CREATOR, GroupRole.MANAGER) or access.status != "active":
            return None
        count = (await uow.conn.execute(select(groups.c.member_count).where(groups.c.id == access.id))).scalar_one()
        have = len(
            (
                await uow.conn.execute(
                    select(memberships.c.user_id).where(
                        memberships.c.group_id == access.id, memberships.c.role == GroupRole.MANAGER.value
                    )
                )
            ).all()
        )
    needed = managers_needed(count, policy)
    return ManagersShortfall(needed=needed, have=have) if have < needed else None
