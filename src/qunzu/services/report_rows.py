"""Reading a report period (services/report_package.py): the rows of each package section, in the column order of
`domain/reports.py`, joined with what a reader needs (group codes, the measured person's nickname, appeal outcomes).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Table, and_, or_, select

from qunzu.domain import reports as rp
from qunzu.domain.complaint_figures import TicketFacts
from qunzu.storage.tables import (
    appeals,
    blacklist_changes,
    blacklist_entries,
    enforcement_records,
    groups,
    review_items,
    tickets,
    users,
)
from qunzu.storage.uow import UnitOfWork


def items_where(table: Table, at: Any, lo: datetime, hi: datetime, *, backlog: bool, include_reported: bool) -> Any:
    in_period = and_(at >= lo, at < hi)
    if not include_reported:
        in_period = and_(in_period, table.c.reported_at.is_(None))
    if backlog:
        return or_(in_period, and_(at < lo, table.c.reported_at.is_(None)))
    return in_period


async def enforcement_rows(uow: UnitOfWork, where: Any) -> list[dict[str, Any]]:
    e, g, tg = enforcement_records, groups.alias("g"), groups.alias("tg")
    query = (
        select(e, g.c.code.label("group_code"), tg.c.code.label("target_code"), users.c.nickname,
               appeals.c.status.label("appeal_status"), appeals.c.decided_at.label("appeal_decided_at"))
        .select_from(
            e.outerjoin(g, g.c.id == e.c.group_id)
            .outerjoin(tg, and_(e.c.target_type == "group", tg.c.id == e.c.target_id))
            .outerjoin(users, and_(e.c.target_type == "user", users.c.id == e.c.target_id))
            .outerjoin(appeals, appeals.c.record_id == e.c.id)
        )
        .where(where)
        .order_by(e.c.created_at, e.c.id)
    )  # fmt: skip
    out = []
    for r in await uow.conn.execute(query):
        label = {"group": r.target_code, "user": r.nickname}.get(r.target_type) or f"{r.target_type}:{r.target_id}"
        row = {c: getattr(r, c, None) for c in rp.ENFORCEMENT_COLUMNS}
        row.update(target_label=label, group_code=r.group_code, evidence=r.evidence)
        out.append(row)
    return out


async def blacklist_rows(uow: UnitOfWork, where: Any) -> list[dict[str, Any]]:
    c, b = blacklist_changes, blacklist_entries
    query = (
        select(c, b.c.subject_type, b.c.subject_key, b.c.label, b.c.severity, b.c.source, b.c.authority_ref,
               b.c.record_id, b.c.starts_at, b.c.review_at, b.c.ends_at, b.c.removed_at)
        .select_from(c.join(b, b.c.id == c.c.entry_id))
        .where(where)
        .order_by(c.c.at, c.c.id)
    )  # fmt: skip
    return [{col: getattr(r, col) for col in rp.BLACKLIST_COLUMNS} for r in await uow.conn.execute(query)]


async def review_statistics(uow: UnitOfWork, lo: datetime, hi: datetime) -> list[dict[str, Any]]:
    r = review_items
    rows = await uow.conn.execute(
        select(r.c.kind, r.c.categories, r.c.action, r.c.state, r.c.created_at, r.c.decided_at).where(
            r.c.created_at >= lo, r.c.created_at < hi
        )
    )
    return rp.review_statistics(
        rp.ReviewFacts(x.kind, [str(c) for c in (x.categories or [])], x.action, x.state, x.created_at, x.decided_at)
        for x in rows
    )


async def period_tickets(uow: UnitOfWork, lo: datetime, hi: datetime) -> list[Any]:
    t = tickets
    query = (
        select(t, groups.c.code.label("group_code"))
        .select_from(t.outerjoin(groups, groups.c.id == t.c.group_id))
        .where(t.c.received_at >= lo, t.c.received_at < hi)
        .order_by(t.c.received_at, t.c.id)
    )
    return list(await uow.conn.execute(query))


def ticket_row(r: Any) -> dict[str, Any]:
    row = {c: getattr(r, c, None) for c in rp.TICKET_COLUMNS}
    row["within_sla"] = None if r.decided_at is None else r.decided_at <= r.due_at
    return row


def facts(rows: Iterable[Any]) -> list[TicketFacts]:
    return [TicketFacts(r.category, r.received_at, r.due_at, r.status, r.decided_at) for r in rows]


async def appeal_rows(uow: UnitOfWork, lo: datetime, hi: datetime) -> list[dict[str, Any]]:
    a = appeals
    rows = await uow.conn.execute(
        select(a).where(a.c.created_at >= lo, a.c.created_at < hi).order_by(a.c.created_at, a.c.id)
    )
    return [{c: getattr(r, c) for c in rp.APPEAL_COLUMNS} for r in rows]


def taxonomy_rows() -> list[dict[str, Any]]:
    try:
        from qunzu.domain.taxonomy import taxonomy_rows
    except ImportError:  # the taxonomy is not part of this build
        return []
    return taxonomy_rows()
