"""The state a measure changes, and its undoing (for services/enforcement.py only; docs/decisions/0011).

A restriction with a period is a column (`groups.suspended_until`, `users.platform_muted_until` ...), a flag
(`groups.hidden`, `groups.joins_frozen`) or the group's credit stars (`groups.stars`, the lowest active level); it is
always *recomputed* from the enforcement records still active of its kind, on apply and on lift alike, so
overlapping measures never shorten or lift each other. A permanent one holds
`PERMANENT`. Closing a group works like dissolution (services/group_tools.py::dissolve_group): places released,
open requests and offers ended, the code kept as a tombstone; lifting a closure (an upheld appeal) reopens the group
with its owner as the only member (the members were told and let go; they may join again). Removing content hides
the message like a reviewer's rejection; lifting restores it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, delete, insert, select, update
from sqlalchemy import func as sa_func

from qunzu.context import Ctx
from qunzu.domain.enforcement import MeasureKind
from qunzu.domain.group_stars import stars_in_force
from qunzu.domain.restrictions import PERMANENT
from qunzu.services import counters
from qunzu.services.access import GroupAccess
from qunzu.services.events import MessageDeleted, SessionsEnded
from qunzu.services.group_offers import activity
from qunzu.services.joining import cancel_open_for_group
from qunzu.storage.tables import auth_tokens, enforcement_records, groups, memberships, messages, role_offers, users
from qunzu.storage.uow import UnitOfWork

# kind → the column it sets (a `*_until` instant, or a flag)
UNTIL_COLUMNS: dict[MeasureKind, Column[Any]] = {
    MeasureKind.GROUP_SUSPEND: groups.c.suspended_until,
    MeasureKind.USER_MUTE: users.c.platform_muted_until,
    MeasureKind.USER_MANAGE_SUSPEND: users.c.manage_suspended_until,
    MeasureKind.USER_CREATE_REVOKE: users.c.create_revoked_until,
    MeasureKind.USER_SUSPEND: users.c.suspended_until,
}
FLAG_COLUMNS: dict[MeasureKind, Column[Any]] = {
    MeasureKind.GROUP_HIDE: groups.c.hidden,
    MeasureKind.GROUP_FREEZE_JOINS: groups.c.joins_frozen,
}

# the kinds whose state is recomputed from the active records on apply and on lift
RECOMPUTED = frozenset(UNTIL_COLUMNS) | frozenset(FLAG_COLUMNS) | {MeasureKind.GROUP_STARS}


async def recompute(uow: UnitOfWork, kind: MeasureKind, target_id: int, *, ctx: Ctx) -> None:
    """Set the column of `kind` on the target from the records of that kind still active and not yet ended."""
    if kind is MeasureKind.GROUP_STARS:
        await _recompute_stars(uow, target_id, ctx=ctx)
        return
    column = UNTIL_COLUMNS[kind] if kind in UNTIL_COLUMNS else FLAG_COLUMNS.get(kind)
    if column is None:
        return
    r = enforcement_records.c
    rows = await uow.conn.execute(
        select(r.ends_at).where(
            r.measure == kind.value,
            r.target_id == target_id,
            r.status == "active",
            (r.ends_at.is_(None)) | (r.ends_at > ctx.now),
        )
    )
    ends = [e for (e,) in rows]
    table = column.table
    if kind in FLAG_COLUMNS:
        value: Any = bool(ends)
    elif not ends:
        value = None
    else:
        value = PERMANENT if any(e is None for e in ends) else max(ends)
    await uow.conn.execute(update(table).where(table.c.id == target_id).values({column.name: value}))


async def _recompute_stars(uow: UnitOfWork, group_id: int, *, ctx: Ctx) -> None:
    """群信用星级: the lowest level of the star measures still active and not yet ended, five without one."""
    r = enforcement_records.c
    levels = await uow.conn.execute(
        select(r.stars).where(
            r.measure == MeasureKind.GROUP_STARS.value,
            r.target_id == group_id,
            r.status == "active",
            r.stars.is_not(None),
            (r.ends_at.is_(None)) | (r.ends_at > ctx.now),
        )
    )
    stars = stars_in_force(int(s) for (s,) in levels)
    await uow.conn.execute(update(groups).where(groups.c.id == group_id).values(stars=stars))


async def apply_state(
    uow: UnitOfWork, kind: MeasureKind, row: Any, *, record_id: int, decided_by: int | None, ctx: Ctx
) -> list[int]:
    """Change state for a new active (or one-off) record. Returns the members of a group it closed."""
    if kind in RECOMPUTED:
        await recompute(uow, kind, row.id, ctx=ctx)
    if kind is MeasureKind.USER_SUSPEND:  # signed out everywhere; sign-in refused while it lasts
        await uow.conn.execute(
            update(auth_tokens)
            .where(auth_tokens.c.user_id == row.id, auth_tokens.c.revoked_at.is_(None))
            .values(revoked_at=ctx.now)
        )
        uow.collect(SessionsEnded(row.id, "account_suspended", int(ctx.now.timestamp() * 1000)))
    if kind is MeasureKind.GROUP_CLOSE:
        return await _close(uow, row, record_id=record_id, decided_by=decided_by, ctx=ctx)
    if kind is MeasureKind.CONTENT_REMOVAL and row.deleted_at is None:
        await uow.conn.execute(
            update(messages)
            .where(messages.c.id == row.id)
            .values(deleted_at=ctx.now, deleted_by=decided_by, delete_reason=f"measure:{record_id}")
        )
        if row.seq is not None:
            uow.collect(MessageDeleted(row.group_id, row.group_code, row.id, row.seq, int(ctx.now.timestamp() * 1000)))
    return []


def _access(row: Any) -> GroupAccess:
    return GroupAccess(id=row.id, code=row.code, status=row.status, member_cap=row.member_cap, role=None)


async def _close(uow: UnitOfWork, row: Any, *, record_id: int, decided_by: int | None, ctx: Ctx) -> list[int]:
    await uow.conn.execute(
        update(groups)
        .where(groups.c.id == row.id)
        .values(status="closed", closed_at=ctx.now, closed_by=decided_by, closed_reason=f"measure:{record_id}")
    )
    member_ids = list(
        (await uow.conn.execute(select(memberships.c.user_id).where(memberships.c.group_id == row.id))).scalars()
    )
    await activity(uow, _access(row), "closed_by_platform", ctx, actor=None, record=record_id)
    await uow.conn.execute(delete(memberships).where(memberships.c.group_id == row.id))
    await counters.release_joined(uow, member_ids)
    await counters.release_owned(uow, row.owner_id)
    await uow.conn.execute(
        update(role_offers)
        .where(role_offers.c.group_id == row.id, role_offers.c.status == "pending")
        .values(status="cancelled", decided_at=ctx.now, open_key=None)
    )
    await cancel_open_for_group(uow, row.id, ctx=ctx, reason="closed")
    return member_ids


async def _reopen(uow: UnitOfWork, group_id: int, *, ctx: Ctx) -> None:
    g = (await uow.conn.execute(select(groups).where(groups.c.id == group_id))).one()
    if g.status != "closed":
        return
    owner = (await uow.conn.execute(select(users.c.status).where(users.c.id == g.owner_id))).scalar_one()
    await uow.conn.execute(
        update(groups)
        .where(groups.c.id == group_id)
        .values(status="active", closed_at=None, closed_by=None, closed_reason=None, member_count=0)
    )
    if owner != "active":
        return
    await uow.conn.execute(
        insert(memberships).values(group_id=group_id, user_id=g.owner_id, role="creator", joined_at=ctx.now)
    )
    await uow.conn.execute(update(groups).where(groups.c.id == group_id).values(member_count=1))
    await uow.conn.execute(
        update(users)
        .where(users.c.id == g.owner_id)
        .values(groups_owned=users.c.groups_owned + 1, groups_joined=users.c.groups_joined + 1)
    )


async def undo_state(uow: UnitOfWork, rec: Any, *, ctx: Ctx) -> None:
    """Undo what `rec` (now ended) changed, unless another active record of its kind still holds it."""
    kind = MeasureKind(rec.measure)
    if kind in RECOMPUTED:
        await recompute(uow, kind, rec.target_id, ctx=ctx)
    elif kind is MeasureKind.GROUP_CLOSE:
        await _reopen(uow, rec.target_id, ctx=ctx)
    elif kind is MeasureKind.CONTENT_REMOVAL:
        await uow.conn.execute(
            update(messages)
            .where(messages.c.id == rec.target_id, messages.c.delete_reason == f"measure:{rec.id}")
            .values(deleted_at=None, deleted_by=None, delete_reason=None)
        )


async def active_count(uow: UnitOfWork, *, target_type: str, target_id: int) -> int:
    """How many records are in force on a target (for pages that summarise)."""
    r = enforcement_records.c
    stmt = select(sa_func.count()).where(
        r.target_type == target_type, r.target_id == target_id, r.status.in_(("active", "overdue"))
    )
    return int((await uow.conn.execute(stmt)).scalar_one())
