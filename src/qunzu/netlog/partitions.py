"""The monthly partitions of `operation_log` on PostgreSQL (migration 0012): created three months ahead, and an empty
one dropped once its whole month is past retention. SQLite has one table and nothing to do here.

A month whose partition is missing still takes its records (the default partition holds them); its partition is then
not created over them, and the job logs that, so an operator can see a clock that ran far ahead.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import structlog
from sqlalchemy import text

from qunzu.storage.uow import Database

log = structlog.get_logger(__name__)
AHEAD_MONTHS = 3
_NAME = re.compile(r"^operation_log_y(\d{4})m(\d{2})$")


def _month(year: int, month: int, plus: int = 0) -> datetime:
    index = year * 12 + (month - 1) + plus
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)


def partition_name(start: datetime) -> str:
    return f"operation_log_y{start.year:04d}m{start.month:02d}"


async def _existing(db: Database) -> set[str]:
    async with db.uow(write=False) as uow:
        rows = await uow.conn.execute(
            text(
                "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'operation_log'"
            )
        )
        return {r[0] for r in rows}


async def ensure_partitions(db: Database, *, now: datetime, ahead: int = AHEAD_MONTHS) -> int:
    """Create the partitions of this month and the next `ahead` months that are missing; how many were made."""
    if db.is_sqlite:
        return 0
    have = await _existing(db)
    made = 0
    for plus in range(ahead + 1):
        start, end = _month(now.year, now.month, plus), _month(now.year, now.month, plus + 1)
        name = partition_name(start)
        if name in have:
            continue
        async with db.uow() as uow:
            stray = (
                await uow.conn.execute(
                    text("SELECT count(*) FROM operation_log_default WHERE ts >= :lo AND ts < :hi"),
                    {"lo": start, "hi": end},
                )
            ).scalar_one()
            if stray:
                log.warning("netlog_partition_skipped", partition=name, records_in_default=stray)
                continue
            # DDL takes no parameters: the bounds are our own month starts, written as literals
            bounds = f"FROM ('{start.isoformat()}') TO ('{end.isoformat()}')"
            await uow.conn.execute(text(f"CREATE TABLE {name} PARTITION OF operation_log FOR VALUES {bounds}"))
            await uow.commit()
        made += 1
    return made


async def drop_empty(db: Database, *, before: datetime) -> list[str]:
    """Drop monthly partitions whose whole month ends on or before `before` (the retention cut-off) and that hold
    no record any more (the purge emptied them; a legal hold keeps a partition by keeping a record in it)."""
    if db.is_sqlite:
        return []
    dropped = []
    for name in sorted(await _existing(db)):
        m = _NAME.match(name)
        if m is None or _month(int(m.group(1)), int(m.group(2)), 1) > before:
            continue
        async with db.uow() as uow:
            if (await uow.conn.execute(text(f"SELECT EXISTS (SELECT 1 FROM {name})"))).scalar_one():
                continue
            await uow.conn.execute(text(f"DROP TABLE {name}"))
            await uow.commit()
        dropped.append(name)
    return dropped
