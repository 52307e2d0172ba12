"""Sealing the operation log into its daily hash chains, and checking them (R-13.2-1; rules in domain/log_chain.py).

`seal` is the one writer of `log_seals`: it takes committed records not sealed yet, in id order, and appends each to
its UTC day's chain, in one short transaction per batch (PostgreSQL: under an advisory lock, so two server processes
running the job never seal the same record twice; SQLite has one writer anyway). Records are written by
`netlog.record` in their callers' transactions and never wait for this. A transaction that commits after records
with higher ids were sealed is still found (the job looks `STRAGGLERS` ids back) and sealed then.

`verify` walks every day still held in the database and reports the first record that changed, went missing or is
out of place, and records older than `grace` that were never sealed.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, func, insert, select, text, update

from qunzu.domain.log_chain import FIELDS, Break, Sealed, day_of, genesis, link, verify_day
from qunzu.storage.tables import log_days, log_seals, operation_log
from qunzu.storage.uow import Database, UnitOfWork

SEAL_BATCH = 500
STRAGGLERS = 20_000  # how far below the highest sealed id the job still looks for records that committed late
LOCK_KEY = 0x71756E7A6C6F67  # "qunzlog": PostgreSQL advisory lock of the sealer
VERIFY_PAGE = 5_000
UNSEALED_GRACE = timedelta(minutes=10)


def record_of(row: Any) -> dict[str, Any]:
    """A row of operation_log as the chain hashes it."""
    return dict(row._mapping)


async def _locked(uow: UnitOfWork) -> bool:
    if uow.dialect != "postgresql":
        return True
    return bool((await uow.conn.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": LOCK_KEY})).scalar())


async def seal(db: Database, *, now: datetime, limit: int = SEAL_BATCH) -> int:
    """Seal up to `limit` records into their days' chains; returns how many (0 when another process is sealing)."""
    async with db.uow() as uow:
        if not await _locked(uow):
            return 0
        top = (await uow.conn.execute(select(func.max(log_seals.c.record_id)))).scalar() or 0
        o = operation_log.c
        rows = (
            await uow.conn.execute(
                select(operation_log)
                .where(o.id > max(0, top - STRAGGLERS), ~exists().where(log_seals.c.record_id == o.id))
                .order_by(o.id)
                .limit(limit)
            )
        ).all()
        if not rows:
            return 0
        heads: dict[str, tuple[str, int, bool]] = {}  # day → (head hash, records, known)
        for day in sorted({day_of(r.ts) for r in rows}):
            stmt = select(log_days.c.head_hash, log_days.c.records).where(log_days.c.day == day)
            if uow.dialect == "postgresql":
                stmt = stmt.with_for_update()
            found = (await uow.conn.execute(stmt)).one_or_none()
            heads[day] = (found.head_hash, found.records, True) if found else (genesis(day), 0, False)
        seals = []
        for r in rows:
            day = day_of(r.ts)
            prev, count, known = heads[day]
            h = link(prev, record_of(r))
            seals.append({"record_id": r.id, "day": day, "seq": count + 1, "ts": r.ts, "hash": h, "sealed_at": now})
            heads[day] = (h, count + 1, known)
        await uow.conn.execute(insert(log_seals), seals)
        for day, (head, count, known) in heads.items():
            if known:
                await uow.conn.execute(
                    update(log_days).where(log_days.c.day == day).values(head_hash=head, records=count, sealed_at=now)
                )
            else:
                await uow.conn.execute(insert(log_days).values(day=day, head_hash=head, records=count, sealed_at=now))
        await uow.commit()
    return len(rows)


@dataclass(slots=True)
class Verification:
    """What `qunzu logs verify` found: the days and records checked, the first break, the records never sealed."""

    days: int = 0
    records: int = 0
    purged_days: int = 0
    broken: Break | None = None
    unsealed: int = 0
    first_unsealed: int | None = None
    checked_days: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.broken is None and self.unsealed == 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "days": self.days,
            "records": self.records,
            "purged_days": self.purged_days,
            "broken": self.broken.as_dict() if self.broken else None,
            "unsealed": self.unsealed,
            "first_unsealed": self.first_unsealed,
        }


async def _day_seals(uow: UnitOfWork, day: str, after: int) -> Sequence[Any]:
    s, o = log_seals.c, operation_log.c
    stmt = (
        select(s.seq, s.record_id, s.hash, operation_log)
        .select_from(log_seals.outerjoin(operation_log, o.id == s.record_id))
        .where(s.day == day, s.seq > after)
        .order_by(s.seq)
        .limit(VERIFY_PAGE)
    )
    return (await uow.conn.execute(stmt)).all()


def _sealed(rows: Sequence[Any]) -> Iterator[Sealed]:
    for r in rows:
        m = r._mapping
        record = {k: m[k] for k in FIELDS} if m["id"] is not None else None
        yield Sealed(seq=r.seq, record_id=r.record_id, hash=r.hash, record=record)


async def verify(
    db: Database, *, now: datetime, day_from: str | None = None, day_to: str | None = None,
    grace: timedelta = UNSEALED_GRACE,
) -> Verification:  # fmt: skip
    """Check every day's chain still in the database (between `day_from` and `day_to`, inclusive) and look for
    records older than `grace` that were never sealed. Stops at the first break."""
    out = Verification()
    async with db.uow(write=False) as uow:
        where = [log_days.c.day >= day_from] if day_from else []
        where += [log_days.c.day <= day_to] if day_to else []
        days = (await uow.conn.execute(select(log_days).where(and_(True, *where)).order_by(log_days.c.day))).all()
        for d in days:
            if d.purged_at is not None:
                out.purged_days += 1
                continue
            seals: list[Sealed] = []
            after = 0
            while True:
                page = list(_sealed(await _day_seals(uow, d.day, after)))
                seals.extend(page)
                if len(page) < VERIFY_PAGE:
                    break
                after = page[-1].seq
            out.days += 1
            out.records += len(seals)
            out.checked_days.append(d.day)
            broken = verify_day(d.day, seals, records=d.records, head_hash=d.head_hash)
            if broken is not None:
                out.broken = broken
                return out
        o = operation_log.c
        late = (
            await uow.conn.execute(
                select(func.count(), func.min(o.id)).where(
                    o.ts < now - grace, ~exists().where(log_seals.c.record_id == o.id)
                )
            )
        ).one()
        out.unsealed, out.first_unsealed = int(late[0]), late[1]
    return out
