"""The periodic summary to the authorities (D13, Art. 11 ¶3): with `reports.periodic` set to "weekly" or "monthly",
the `report-periodic` job builds, once, the signed package of each calendar week or month (Beijing time) that has
ended, addressed to `reports.periodic_authority`, and enters it in the disclosure register like any package (no
staff member: `created_by` is empty, `scope.periodic` names the period kind).

**What it carries.** The package of its period with `build_enforcement_package`'s defaults: the enforcement records
and blacklist changes of the period that no earlier package carried, and the period's statistics, tickets and
appeals in full. Not `include_reported`: an item a staff member already sent in an on-demand package has been
reported, and the register shows where; sending it again would count it twice for whoever adds the summaries up. Not
`backlog`: the summary is the report *of its period* and says so in its manifest. Items left unreported from before
(a period the job could not build, the time before the summary was switched on) are counted on `/staff/reports`,
where a staff member sends them on purpose with "backlog" and an authority of their choosing; the first summary
after switching it on would otherwise carry the platform's whole history under the name of one month.

**Once per period.** Only the last complete period is built (the job runs hourly, so a period is missed only if no
server runs for a whole week or month). The disclosure register has no unique constraint on a period, so the check
"no periodic entry covers this period" and the build run in the *same* write transaction, serialised: on PostgreSQL
by a transaction-scoped advisory lock taken first, so a second process waits, then sees the first one's committed
entry and builds nothing; on SQLite by the write transaction itself (BEGIN IMMEDIATE, one writer per database across
processes, and the in-process writer lock). Relying on `package_conflict` instead would not do: a period with no
new items carries nothing to conflict over, and both processes would register a summary.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import structlog
from sqlalchemy import select, text

from qunzu.config import ReportSettings
from qunzu.context import Ctx
from qunzu.domain import reports as rp
from qunzu.services.report_keys import SigningKey
from qunzu.services.report_package import KIND, PackageInfo, build_enforcement_package
from qunzu.storage.tables import disclosure_register
from qunzu.storage.uow import Database, UnitOfWork

log = structlog.get_logger(__name__)
LOCK = 7306070013  # pg_advisory_xact_lock key: one periodic summary being built at a time (7306070001: pii_access)


class _AlreadyBuilt(Exception):
    """Raised inside the package's transaction when another process registered the summary meanwhile."""


async def _built(uow: UnitOfWork, period: tuple[datetime, datetime], every: str) -> bool:
    """Whether the register holds a periodic summary of exactly this period and kind (scope is JSON, read here
    rather than queried, the same on both databases; a period has a handful of entries at most)."""
    scopes = await uow.conn.execute(
        select(disclosure_register.c.scope).where(
            disclosure_register.c.kind == KIND,
            disclosure_register.c.period_from == period[0],
            disclosure_register.c.period_to == period[1],
        )
    )
    return any(isinstance(s, dict) and s.get("periodic") == every for s in scopes.scalars())


@dataclass(frozen=True, slots=True)
class NextSummary:
    every: str  # weekly | monthly
    authority: str
    period_from: datetime
    period_to: datetime  # the job builds it within the hour after this


async def next_summary(db: Database, *, settings: ReportSettings, now: datetime) -> NextSummary | None:
    """The summary the job builds next: the last complete period if not yet built, else the current one; None
    when the summary is off (the staff reports page shows it)."""
    every = settings.periodic
    last = rp.last_complete_period(now, every)
    current = rp.current_period(now, every)
    if last is None or current is None:
        return None
    async with db.uow(write=False) as uow:
        period = current if await _built(uow, last, every) else last
    return NextSummary(every, settings.periodic_authority, *period)


async def build_due_summary(
    db: Database,
    *,
    settings: ReportSettings,
    key: Callable[[], SigningKey],
    out_dir: Path,
    ctx: Ctx,
) -> PackageInfo | None:
    """Build the summary of the last complete period if the register has none yet; None when it has, or when the
    summary is off. `key` is called only when a package is due, so an hourly run that finds nothing to do neither
    reads nor creates the key file."""
    every = settings.periodic
    period = rp.last_complete_period(ctx.now, every)
    if period is None:
        return None
    async with db.uow(write=False) as uow:  # the hourly no-op: a read, no write transaction, no lock
        if await _built(uow, period, every):
            return None

    async def first(uow: UnitOfWork) -> None:
        if uow.dialect == "postgresql":
            await uow.conn.execute(text(f"SELECT pg_advisory_xact_lock({LOCK})"))
        if await _built(uow, period, every):
            raise _AlreadyBuilt

    try:
        info = await build_enforcement_package(
            db, staff=None, period_from=period[0], period_to=period[1], authority=settings.periodic_authority,
            periodic=every, first=first, key=key(), out_dir=out_dir, ctx=ctx,
        )  # fmt: skip
    except _AlreadyBuilt:
        return None
    log.info("report_periodic_built", every=every, period_from=rp.iso(period[0]), period_to=rp.iso(period[1]),
             register_id=info.id, counts=info.counts)  # fmt: skip
    return info
