"""The review team's capacity (Art. 5 ¶1, R-5.1-1; rules in domain/capacity.py): shifts, the figures and their targets.

A staff member who decides review items, tickets or appeals starts and ends a shift (`staff.shift_start`,
`staff.shift_end`, recorded in the same transaction); a shift nobody ended ends by itself after
`capacity.max_shift_hours` — counted so at once, and written down with its record by the capacity job. The figures
are read from the queues themselves (review items, tickets, appeals) and the shifts, so there is nothing to keep in
step. `capacity_status` is the one function the console, the API, the metrics job and the self-check all call.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, insert, select, true, update

from qunzu import netlog
from qunzu.config import Settings
from qunzu.context import Ctx
from qunzu.domain.appeals import AppealStatus
from qunzu.domain.capacity import (
    Backlog,
    Breach,
    CapacityFigures,
    CapacityTargets,
    Queue,
    ReviewerOutput,
    TargetCheck,
    beijing_days,
    day_start,
    review_overdue_before,
    reviewer_output,
    shift_ends_by,
    target_checks,
)
from qunzu.domain.complaints import DECIDED, OPEN
from qunzu.domain.staff import CAPACITY_READERS, SHIFT_WORKERS, require_staff_role
from qunzu.errors import Conflict, ErrorCode
from qunzu.netlog import Target
from qunzu.services.views import UserView
from qunzu.storage.tables import appeals, review_items, staff_shifts, tickets, users
from qunzu.storage.uow import Database, UnitOfWork

EXPIRE_BATCH = 100


def targets_of(settings: Settings) -> CapacityTargets:
    """The operator's targets from the `capacity` settings."""
    c = settings.capacity
    return CapacityTargets(
        review_sla=timedelta(minutes=c.review_sla_minutes),
        backlog_per_reviewer=c.backlog_per_reviewer,
        max_shift=timedelta(hours=c.max_shift_hours),
    )


@dataclass(frozen=True, slots=True)
class ShiftView:
    id: int
    user_id: int
    username: str
    nickname: str
    started_at: datetime
    ends_by: datetime  # when it ends by itself unless ended before


@dataclass(frozen=True, slots=True)
class CapacityStatus:
    """The figures at `now`, each against its target; `alert` when any target is missed."""

    now: datetime
    targets: CapacityTargets
    figures: CapacityFigures
    checks: list[TargetCheck]
    on_shift: list[ShiftView]
    days: list[date]  # the Beijing days of `throughput`, oldest first (empty when not asked for)
    throughput: list[ReviewerOutput]
    names: dict[int, str]  # reviewer id → username, for `throughput`

    @property
    def breaches(self) -> list[Breach]:
        return [c.key for c in self.checks if not c.ok]

    @property
    def alert(self) -> bool:
        return bool(self.breaches)


# --- shifts -----------------------------------------------------------------------------------------------------


def _open_shifts(now: datetime, targets: CapacityTargets) -> Any:
    """Shifts that count at `now`: begun, not ended, younger than the longest shift."""
    return and_(
        staff_shifts.c.ended_at.is_(None),
        staff_shifts.c.started_at <= now,
        staff_shifts.c.started_at > now - targets.max_shift,
    )


async def _shifts(uow: UnitOfWork, where: Any, targets: CapacityTargets) -> list[ShiftView]:
    rows = await uow.conn.execute(
        select(staff_shifts, users.c.username, users.c.nickname)
        .select_from(staff_shifts.join(users, users.c.id == staff_shifts.c.user_id))
        .where(where, users.c.staff_role.in_(SHIFT_WORKERS))
        .order_by(staff_shifts.c.started_at, staff_shifts.c.id)
    )
    return [
        ShiftView(r.id, r.user_id, r.username, r.nickname, r.started_at,
                  shift_ends_by(r.started_at, max_shift=targets.max_shift))
        for r in rows
    ]  # fmt: skip


async def _close_stale(uow: UnitOfWork, *, where: Any, targets: CapacityTargets, ctx: Ctx, limit: int) -> int:
    """End shifts past the longest shift at the moment they ran out, each with its record (`staff.shift_end`,
    `expired`); the system is the actor."""
    stale = (
        await uow.conn.execute(
            select(staff_shifts.c.id, staff_shifts.c.user_id, staff_shifts.c.started_at)
            .where(where, staff_shifts.c.ended_at.is_(None), staff_shifts.c.started_at <= ctx.now - targets.max_shift)
            .order_by(staff_shifts.c.id)
            .limit(limit)
        )
    ).all()
    ended_now = 0
    for s in stale:
        ended = shift_ends_by(s.started_at, max_shift=targets.max_shift)
        changed = await uow.conn.execute(
            update(staff_shifts)
            .where(staff_shifts.c.id == s.id, staff_shifts.c.ended_at.is_(None))
            .values(ended_at=ended)
        )
        if changed.rowcount != 1:  # another process's job ended it first, and recorded it
            continue
        ended_now += 1
        await netlog.record(uow, ctx, "staff.shift_end", Target.user(s.user_id), actor=None, shift_id=s.id,
                            expired=True, ended_at=ended.isoformat())  # fmt: skip
    return ended_now


async def my_shift(db: Database, *, staff: UserView, now: datetime, settings: Settings) -> ShiftView | None:
    """The staff member's shift in force, if any."""
    require_staff_role(staff.staff_role, SHIFT_WORKERS)
    targets = targets_of(settings)
    async with db.uow(write=False) as uow:
        found = await _shifts(uow, and_(_open_shifts(now, targets), staff_shifts.c.user_id == staff.id), targets)
    return found[0] if found else None


async def start_shift(db: Database, *, staff: UserView, settings: Settings, ctx: Ctx) -> tuple[ShiftView, bool]:
    """Go on shift (recorded as `staff.shift_start`); (the shift, whether it began now). Already on shift: that
    shift, nothing written, so a second press of the button changes nothing."""
    require_staff_role(staff.staff_role, SHIFT_WORKERS)
    targets = targets_of(settings)
    mine = staff_shifts.c.user_id == staff.id
    async with db.uow() as uow:
        # One start at a time per person: the account row is the lock (SQLite's writer lock does the same).
        await uow.conn.execute(select(users.c.id).where(users.c.id == staff.id).with_for_update())
        found = await _shifts(uow, and_(_open_shifts(ctx.now, targets), mine), targets)
        if found:
            return found[0], False
        await _close_stale(uow, where=mine, targets=targets, ctx=ctx, limit=EXPIRE_BATCH)
        shift_id = (
            await uow.conn.execute(
                insert(staff_shifts).values(user_id=staff.id, started_at=ctx.now).returning(staff_shifts.c.id)
            )
        ).scalar_one()
        await netlog.record(uow, ctx, "staff.shift_start", Target.user(staff.id), actor=staff.id, shift_id=shift_id)
        view = (await _shifts(uow, staff_shifts.c.id == shift_id, targets))[0]
        await uow.commit()
    return view, True


async def end_shift(db: Database, *, staff: UserView, settings: Settings, ctx: Ctx) -> ShiftView:
    """Go off shift (recorded as `staff.shift_end`); `not_on_shift` when there is no shift to end."""
    require_staff_role(staff.staff_role, SHIFT_WORKERS)
    targets = targets_of(settings)
    async with db.uow() as uow:
        await uow.conn.execute(select(users.c.id).where(users.c.id == staff.id).with_for_update())
        found = await _shifts(uow, and_(_open_shifts(ctx.now, targets), staff_shifts.c.user_id == staff.id), targets)
        if not found:
            raise Conflict("You are not on shift", code=ErrorCode.NOT_ON_SHIFT)
        shift = found[0]
        await uow.conn.execute(update(staff_shifts).where(staff_shifts.c.id == shift.id).values(ended_at=ctx.now))
        await netlog.record(uow, ctx, "staff.shift_end", Target.user(staff.id), actor=staff.id, shift_id=shift.id,
                            minutes=int((ctx.now - shift.started_at).total_seconds() // 60))  # fmt: skip
        await uow.commit()
    return shift


async def expire_shifts(db: Database, *, now: datetime, settings: Settings) -> int:
    """Write down the end of up to 100 shifts nobody ended within `capacity.max_shift_hours` (a job's step)."""
    async with db.uow() as uow:
        done = await _close_stale(
            uow, where=true(), targets=targets_of(settings), ctx=Ctx.system(now), limit=EXPIRE_BATCH
        )
        await uow.commit()
    return done


# --- the figures ------------------------------------------------------------------------------------------------


async def _backlog(uow: UnitOfWork, table: Any, *, open_: Any, since: Any, overdue: Any) -> Backlog:
    row = (
        await uow.conn.execute(
            select(func.count(), func.min(since), func.coalesce(func.sum(case((overdue, 1), else_=0)), 0))
            .select_from(table)
            .where(open_)
        )
    ).one()
    return Backlog(open=int(row[0] or 0), oldest_at=row[1], overdue=int(row[2] or 0))


async def _decisions(uow: UnitOfWork, since: datetime) -> list[tuple[int, str, datetime]]:
    out: list[tuple[int, str, datetime]] = []
    for queue, table, decided in (
        (Queue.REVIEW, review_items, review_items.c.state != "pending"),
        (Queue.TICKETS, tickets, tickets.c.status.in_(DECIDED)),
        (Queue.APPEALS, appeals, appeals.c.status != AppealStatus.PENDING.value),
    ):
        rows = await uow.conn.execute(
            select(table.c.decided_by, table.c.decided_at).where(
                decided, table.c.decided_by.is_not(None), table.c.decided_at >= since
            )
        )
        out.extend((int(r.decided_by), queue.value, r.decided_at) for r in rows)
    return out


async def capacity_status(
    db: Database, now: datetime, settings: Settings, *, throughput: bool = True
) -> CapacityStatus:
    """The queues, the reviewers on shift and the items decided per reviewer per day (last 7 Beijing days; left out
    with `throughput=False`, as the metrics job does), each figure against its target. Reads only: a shift past the
    longest shift is simply not counted."""
    targets = targets_of(settings)
    days = beijing_days(now) if throughput else []
    async with db.uow(write=False) as uow:
        review = await _backlog(
            uow, review_items, open_=review_items.c.state == "pending", since=review_items.c.created_at,
            overdue=review_items.c.created_at < review_overdue_before(now, targets),
        )  # fmt: skip
        open_tickets = await _backlog(
            uow, tickets, open_=tickets.c.status.in_(OPEN), since=tickets.c.received_at, overdue=tickets.c.due_at < now
        )
        open_appeals = await _backlog(
            uow, appeals, open_=appeals.c.status == AppealStatus.PENDING.value, since=appeals.c.created_at,
            overdue=appeals.c.due_at < now,
        )  # fmt: skip
        shifts = await _shifts(uow, _open_shifts(now, targets), targets)
        decisions = await _decisions(uow, day_start(days[0])) if days else []
        output = reviewer_output(decisions, days=days)
        names: dict[int, str] = {}
        if output:
            ids = [o.reviewer_id for o in output]
            names = {
                int(r.id): r.username
                for r in await uow.conn.execute(select(users.c.id, users.c.username).where(users.c.id.in_(ids)))
            }
    figures = CapacityFigures(
        review=review, tickets=open_tickets, appeals=open_appeals, on_shift=len({s.user_id for s in shifts})
    )
    return CapacityStatus(
        now=now, targets=targets, figures=figures, checks=target_checks(figures, targets=targets, now=now),
        on_shift=shifts, days=days, throughput=output, names=names,
    )  # fmt: skip


async def read_capacity(db: Database, *, staff: UserView, now: datetime, settings: Settings) -> CapacityStatus:
    """The capacity figures for the console and the API (administrators, compliance officers, reviewers)."""
    require_staff_role(staff.staff_role, CAPACITY_READERS)
    return await capacity_status(db, now, settings)
