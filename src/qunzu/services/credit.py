"""The credit ledger (Art. 7 ¶2, R-7.2-*): events written in the transaction of the decision that causes them, and
the user's own view of their score, level, events and next recovery.

The score is never stored: it is derived from the ledger by `domain/credit.py`, with the recoveries that clean time
has earned by now counted in (the recovery job of issue #12 will write them down as events; the score is the same).
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
from qunzu.netlog import Target
from qunzu.storage.tables import credit_events
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
