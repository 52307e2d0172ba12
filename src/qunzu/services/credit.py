"""The credit ledger (Art. 7 ¶2, R-7.2-*): events written in the transaction of the decision that causes them, and
the user's own view of their score, level, events and next recovery.

The score is never stored: it is derived from the ledger by `domain/credit.py`, with the recoveries that clean time
has earned by now counted in (the daily job `credit-recovery` writes them down as events, `write_recoveries`; the score
is the same). An upheld appeal calls `reverse_event`. The database refuses UPDATE and DELETE on the ledger (triggers of
migration 0007).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select

from qunzu import netlog
from qunzu.context import Ctx
from qunzu.domain.credit import (
    CreditEvent,
    CreditLevel,
    CreditPolicy,
    EventKind,
    level_of,
    next_recovery,
    recovery_due,
    score_of,
    severity_of,
    violation_event,
)
from qunzu.errors import Conflict, ErrorCode, NotFound, ValidationFailed
from qunzu.netlog import Target
from qunzu.storage.tables import credit_events, users
from qunzu.storage.uow import Database, UnitOfWork

POLICY = CreditPolicy()  # the scale of REQUIREMENTS §2 (configurable with the policy table of issue #12)


@dataclass(frozen=True, slots=True)
class CreditView:
    score: int
    level: CreditLevel
    next_recovery_at: datetime | None
    events: list[CreditEvent]  # newest first, the recoveries earned by now included


def _event(row: Any) -> CreditEvent:
    return CreditEvent(
        EventKind(row.kind), row.delta, row.created_at, reason=row.reason, rule=row.rule, id=row.id,
        reverses=row.reverses,
    )  # fmt: skip


async def ledger(uow: UnitOfWork, user_id: int) -> list[CreditEvent]:
    """Every stored event of `user_id`, oldest first."""
    rows = await uow.conn.execute(
        select(credit_events).where(credit_events.c.user_id == user_id).order_by(credit_events.c.id)
    )
    return [_event(r) for r in rows]


async def record_violation(
    uow: UnitOfWork,
    *,
    user_id: int,
    reason_code: str,
    rule: str,
    source: str,
    source_id: int | None,
    decided_by: int | None,
    ctx: Ctx,
) -> CreditEvent:
    """Deduct for a confirmed violation (its severity by the reason code), in the caller's transaction, with its
    operation record."""
    event = violation_event(severity_of(reason_code), at=ctx.now, reason=reason_code, rule_id=rule, policy=POLICY)
    await uow.conn.execute(
        insert(credit_events).values(
            user_id=user_id,
            kind=event.kind.value,
            delta=event.delta,
            reason=event.reason,
            rule=event.rule,
            source=source,
            source_id=source_id,
            decided_by=decided_by,
            created_at=event.at,
        )
    )
    await netlog.record(
        uow, ctx, "credit.violation", Target.user(user_id), actor=decided_by, delta=event.delta, reason=reason_code
    )
    return event


async def my_credit(db: Database, *, actor: int, now: datetime) -> CreditView:
    """My score, level, events and when the next point comes back (R-7.2-3)."""
    async with db.uow(write=False) as uow:
        stored = await ledger(uow, actor)
    earned = recovery_due(stored, now=now, policy=POLICY)
    events = [*stored, *earned]
    score = score_of(events, POLICY)
    return CreditView(
        score=score,
        level=level_of(score, POLICY),
        next_recovery_at=next_recovery(events, policy=POLICY),
        events=sorted(events, key=lambda e: e.at, reverse=True),
    )


async def current_score(uow: UnitOfWork, user_id: int, *, now: datetime) -> int:
    """The score `user_id` has at `now` (the ledger with the recoveries earned by then), for the gates that read it
    inside their own transaction (group creation, R-8.3-1)."""
    stored = await ledger(uow, user_id)
    return score_of([*stored, *recovery_due(stored, now=now, policy=POLICY)], POLICY)


# --- the recovery job and the appeal hook (issue #12) --------------------------------------------------------------


async def _lock_user(uow: UnitOfWork, user_id: int) -> None:
    """Serialise ledger writes for one user (PostgreSQL row lock; SQLite writers are serial already)."""
    await uow.conn.execute(select(users.c.id).where(users.c.id == user_id).with_for_update())


async def write_recoveries(db: Database, *, now: datetime, page: int = 100) -> int:
    """Write down the recoveries clean time has earned by `now` (R-7.2-1), for every user with a violation, in
    short transactions of `page` users. Idempotent: what is written is what `my_credit` already counted, so the score
    shown does not change, and a second run writes nothing. Returns the events written."""
    written = 0
    after = 0
    while True:
        async with db.uow(write=False) as uow:
            ids = list(
                (
                    await uow.conn.execute(
                        select(credit_events.c.user_id)
                        .where(credit_events.c.kind == EventKind.VIOLATION.value, credit_events.c.user_id > after)
                        .group_by(credit_events.c.user_id)
                        .order_by(credit_events.c.user_id)
                        .limit(page)
                    )
                ).scalars()
            )
        if not ids:
            return written
        async with db.uow() as uow:
            for user_id in ids:
                await _lock_user(uow, user_id)
                for event in recovery_due(await ledger(uow, user_id), now=now, policy=POLICY):
                    await uow.conn.execute(
                        insert(credit_events).values(
                            user_id=user_id, kind=event.kind.value, delta=event.delta, reason=event.reason,
                            rule=event.rule, source="recovery", source_id=None, decided_by=None, created_at=event.at,
                        )
                    )  # fmt: skip
                    written += 1
            await uow.commit()
        after = ids[-1]
        if len(ids) < page:
            return written


async def reverse_event(
    uow: UnitOfWork, *, event_id: int, reason: str, decided_by: int | None, ctx: Ctx
) -> CreditEvent:
    """The appeal hook (R-7.2-3): an upheld appeal reverses a ledger event, in the caller's transaction, with its
    operation record. The reversal names the event (`reverses`) and carries no delta of its own: the score counts the
    reversed event as never having happened (domain/credit.py::score_of). A second reversal of the same event and a
    reversal of a reversal are refused."""
    if not reason.strip():
        raise ValidationFailed("A reversal names its reason", details={"field": "reason"})
    row = (await uow.conn.execute(select(credit_events).where(credit_events.c.id == event_id))).one_or_none()
    if row is None:
        raise NotFound("No such credit event", details={"event_id": event_id})
    await _lock_user(uow, row.user_id)
    if row.kind == EventKind.REVERSAL.value:
        raise ValidationFailed("A reversal cannot be reversed", details={"field": "event_id", "reason": "reversal"})
    again = (await uow.conn.execute(select(credit_events.c.id).where(credit_events.c.reverses == event_id))).first()
    if again is not None:
        raise Conflict(
            "This event was reversed already", code=ErrorCode.ALREADY_DECIDED, details={"reversal_id": again.id}
        )
    new_id = (
        await uow.conn.execute(
            insert(credit_events)
            .values(
                user_id=row.user_id, kind=EventKind.REVERSAL.value, delta=0, reason=reason.strip()[:200],
                rule=row.rule, source="appeal", source_id=event_id, decided_by=decided_by, reverses=event_id,
                created_at=ctx.now,
            )
            .returning(credit_events.c.id)
        )
    ).scalar_one()  # fmt: skip
    await netlog.record(
        uow, ctx, "credit.reversal", Target.user(row.user_id), actor=decided_by, event_id=event_id,
        old=row.delta, new=0, reason=reason.strip()[:200],
    )  # fmt: skip
    return CreditEvent(
        EventKind.REVERSAL, 0, ctx.now, reason=reason.strip()[:200], rule=row.rule, id=new_id, reverses=event_id
    )
