"""The staff side of reports (Art. 12, R-12.1-2): the queue, claiming, and deciding with a reason.

Tickets on one target are handled together: the queue shows one entry per target (its reporters, categories, the
earliest deadline), ordered high-risk first, then by priority, then by deadline; claiming, releasing and deciding
act on every open ticket of the target. An upheld decision may apply a measure in the same transaction
(services/enforcement.py::apply_measure, source "complaint", the ticket number as its reference) or link an
enforcement record already made. Each reporter with an account is told at once, by an account notice and a live
`report_decided` frame (never naming the person reported); a public-form reporter reads the result with their
number and code. Every step writes an operation record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from qunzu import netlog
from qunzu.context import Ctx
from qunzu.domain import complaints as rules
from qunzu.domain.accounts import StaffRole
from qunzu.domain.complaints import ComplaintSla
from qunzu.domain.enforcement import GROUP_KINDS, MESSAGE_KINDS, MeasureKind, MeasureSpec
from qunzu.domain.staff import TICKET_HANDLERS, require_staff_role
from qunzu.errors import ErrorCode, NotFound, ValidationFailed
from qunzu.netlog import Target
from qunzu.services import enforcement
from qunzu.services.complaint_snapshot import snapshot_sha256
from qunzu.services.complaints import reporter_levels, target_label
from qunzu.services.events import ReportDecided
from qunzu.services.notices import add_notice
from qunzu.services.views import UserView
from qunzu.storage.tables import enforcement_records, groups, tickets, users
from qunzu.storage.uow import Database, UnitOfWork

NOTICE_KIND = "report_decided"


@dataclass(frozen=True, slots=True)
class QueueEntry:
    """One reported target with its open tickets."""

    ticket_id: int  # the ticket to open (the earliest due)
    target_key: str
    target_type: str
    label: str
    group_code: str | None
    tickets: int
    reporters: int
    categories: tuple[str, ...]
    high_risk: bool
    priority: int
    received_at: datetime
    due_at: datetime
    overdue: bool
    claimed_by: int | None
    claimed_by_nickname: str | None


async def ticket_queue(db: Database, *, staff: UserView, now: datetime, limit: int = 200) -> list[QueueEntry]:
    """Open tickets grouped by target: high-risk first, then by priority, then by the earliest deadline."""
    require_staff_role(staff.staff_role, TICKET_HANDLERS)
    async with db.uow(write=False) as uow:
        rows = list(
            await uow.conn.execute(
                select(tickets, groups.c.code.label("group_code"), users.c.nickname.label("claimant"))
                .outerjoin(groups, groups.c.id == tickets.c.group_id)
                .outerjoin(users, users.c.id == tickets.c.claimed_by)
                .where(tickets.c.status.in_(rules.OPEN))
                .order_by(tickets.c.due_at, tickets.c.id)
            )
        )
    by_target: dict[str, list[Any]] = {}
    for r in rows:
        by_target.setdefault(r.target_key, []).append(r)
    entries = []
    for key, group in by_target.items():
        first = group[0]
        accounts = {r.reporter_id for r in group if r.reporter_id is not None}
        claimed = next((r for r in group if r.claimed_by is not None), None)
        entries.append(
            QueueEntry(
                ticket_id=first.id,
                target_key=key,
                target_type=first.target_type,
                label=target_label(first.snapshot or {}),
                group_code=first.group_code,
                tickets=len(group),
                reporters=len(accounts) + sum(1 for r in group if r.reporter_id is None),
                categories=tuple(sorted({r.category for r in group})),
                high_risk=any(r.high_risk for r in group),
                priority=max(r.priority for r in group),
                received_at=min(r.received_at for r in group),
                due_at=first.due_at,
                overdue=rules.overdue(due_at=first.due_at, decided_at=None, now=now),
                claimed_by=claimed.claimed_by if claimed else None,
                claimed_by_nickname=claimed.claimant if claimed else None,
            )
        )
    entries.sort(key=lambda e: (not e.high_risk, -e.priority, e.due_at, e.ticket_id))
    return entries[:limit]


@dataclass(frozen=True, slots=True)
class TicketReport:
    """One report on the target, as handlers see it (a form reporter by channel only: their contact is personal
    data, read through the personal-data access log)."""

    id: int
    number: str
    channel: str
    reporter_id: int | None
    reporter_nickname: str | None
    reporter_credit_level: int | None
    has_contact: bool
    category: str
    description: str
    status: str
    received_at: datetime
    due_at: datetime


@dataclass(frozen=True, slots=True)
class TicketDetail:
    id: int
    number: str
    target_type: str
    target_id: str
    target_key: str
    group_id: int | None
    group_code: str | None
    category: str
    high_risk: bool
    priority: int
    status: str
    snapshot: dict[str, Any]
    snapshot_sha256: str
    hash_matches: bool  # the stored snapshot still hashes to the value recorded when it was taken
    received_at: datetime
    due_at: datetime
    feedback_due: datetime
    overdue: bool
    claimed_by: int | None
    claimed_by_nickname: str | None
    decided_at: datetime | None
    decided_by: int | None
    decision_reason: str | None
    record_id: int | None
    feedback_at: datetime | None
    reports: list[TicketReport] = field(default_factory=list)


async def ticket_detail(
    db: Database, *, staff: UserView, ticket_id: int, now: datetime, sla: ComplaintSla
) -> TicketDetail:
    """One ticket with its snapshot (and whether it still matches its hash) and every report on the same target."""
    require_staff_role(staff.staff_role, TICKET_HANDLERS)
    async with db.uow(write=False) as uow:
        t = await _load(uow, ticket_id)
        siblings = list(
            await uow.conn.execute(
                select(tickets, users.c.nickname.label("reporter_nickname"))
                .outerjoin(users, users.c.id == tickets.c.reporter_id)
                .where(tickets.c.target_key == t.target_key)
                .order_by(tickets.c.received_at, tickets.c.id)
            )
        )
        if t.status not in rules.DECIDED:
            siblings = [s for s in siblings if s.status in rules.OPEN]
        levels = await reporter_levels(uow, {s.reporter_id for s in siblings if s.reporter_id is not None}, now=now)
        code = None
        if t.group_id is not None:
            code = (await uow.conn.execute(select(groups.c.code).where(groups.c.id == t.group_id))).scalar_one()
        claimant = None
        if t.claimed_by is not None:
            found = await uow.conn.execute(select(users.c.nickname).where(users.c.id == t.claimed_by))
            claimant = found.scalar_one_or_none()
    snapshot = dict(t.snapshot or {})
    return TicketDetail(
        id=t.id, number=t.number, target_type=t.target_type, target_id=t.target_id, target_key=t.target_key,
        group_id=t.group_id, group_code=code, category=t.category, high_risk=t.high_risk, priority=t.priority,
        status=t.status, snapshot=snapshot, snapshot_sha256=t.snapshot_sha256,
        hash_matches=snapshot_sha256(snapshot) == t.snapshot_sha256, received_at=t.received_at, due_at=t.due_at,
        feedback_due=sla.feedback_due(t.received_at),
        overdue=rules.overdue(due_at=t.due_at, decided_at=t.decided_at, now=now), claimed_by=t.claimed_by,
        claimed_by_nickname=claimant, decided_at=t.decided_at, decided_by=t.decided_by,
        decision_reason=t.decision_reason, record_id=t.record_id, feedback_at=t.feedback_at,
        reports=[
            TicketReport(
                id=s.id, number=s.number, channel=s.channel, reporter_id=s.reporter_id,
                reporter_nickname=s.reporter_nickname, reporter_credit_level=levels.get(s.reporter_id),
                has_contact=s.reporter_contact is not None, category=s.category, description=s.description,
                status=s.status, received_at=s.received_at, due_at=s.due_at,
            )
            for s in siblings
        ],
    )  # fmt: skip


async def _load(uow: UnitOfWork, ticket_id: int, *, for_update: bool = False) -> Any:
    if not 1 <= ticket_id < 2**63:
        raise rules.ticket_not_found()
    stmt = select(tickets).where(tickets.c.id == ticket_id)
    if for_update and uow.dialect == "postgresql":
        stmt = stmt.with_for_update()
    row = (await uow.conn.execute(stmt)).one_or_none()
    if row is None:
        raise rules.ticket_not_found()
    return row


async def _state(uow: UnitOfWork, t: Any) -> tuple[str, int | None]:
    """Where a target stands (its tickets move together): decided, claimed by someone, or waiting."""
    if t.status in rules.DECIDED:
        return t.status, t.claimed_by
    claimant = (
        await uow.conn.execute(
            select(tickets.c.claimed_by).where(
                tickets.c.target_key == t.target_key, tickets.c.status == rules.TicketStatus.IN_REVIEW
            )
        )
    ).first()
    if claimant is not None:
        return rules.TicketStatus.IN_REVIEW.value, claimant.claimed_by
    return t.status, None


def _record_target(t: Any) -> Target:
    return Target("ticket", t.number, t.group_id)


async def claim_ticket(db: Database, *, staff: UserView, ticket_id: int, ctx: Ctx) -> None:
    """Claim a reported target for review: its open tickets go in_review under this handler."""
    require_staff_role(staff.staff_role, TICKET_HANDLERS)
    async with db.uow() as uow:
        t = await _load(uow, ticket_id, for_update=True)
        status, claimant = await _state(uow, t)
        rules.check_claim(status=status, claimed_by=claimant, actor=staff.id)
        # every waiting ticket on the target, reports that arrived after an earlier claim included
        claimed = await uow.conn.execute(
            update(tickets)
            .where(tickets.c.target_key == t.target_key, tickets.c.status == rules.TicketStatus.RECEIVED)
            .values(status=rules.TicketStatus.IN_REVIEW.value, claimed_by=staff.id, claimed_at=ctx.now)
        )
        if claimed.rowcount:
            await netlog.record(uow, ctx, "ticket.claim", _record_target(t), actor=staff.id, target_key=t.target_key,
                                tickets=claimed.rowcount)  # fmt: skip
        await uow.commit()


async def release_ticket(db: Database, *, staff: UserView, ticket_id: int, ctx: Ctx) -> None:
    """Give a claimed target back to the queue (its claimant, or an administrator)."""
    require_staff_role(staff.staff_role, TICKET_HANDLERS)
    async with db.uow() as uow:
        t = await _load(uow, ticket_id, for_update=True)
        status, claimant = await _state(uow, t)
        rules.check_release(status=status, claimed_by=claimant, actor=staff.id,
                            override=staff.staff_role == StaffRole.ADMIN.value)  # fmt: skip
        await uow.conn.execute(
            update(tickets)
            .where(tickets.c.target_key == t.target_key, tickets.c.status == rules.TicketStatus.IN_REVIEW)
            .values(status=rules.TicketStatus.RECEIVED.value, claimed_by=None, claimed_at=None)
        )
        await netlog.record(uow, ctx, "ticket.release", _record_target(t), actor=staff.id, target_key=t.target_key,
                            claimant=claimant)  # fmt: skip
        await uow.commit()


@dataclass(frozen=True, slots=True)
class MeasureRequest:
    """A measure to apply with an upheld decision; its subject follows from the ticket: the group for a group
    measure, the message for a removal, the person (the reported user, or the reported message's sender)."""

    kind: str
    reason_code: str
    duration: timedelta | None = None
    rectification: str | None = None
    stars: int | None = None  # a group_stars measure: the level


async def _spec(uow: UnitOfWork, t: Any, m: MeasureRequest, *, reason: str) -> MeasureSpec:
    try:
        kind = MeasureKind(m.kind)
    except ValueError:
        raise ValidationFailed("Unknown measure", details={"field": "measure"}) from None
    evidence: tuple[int, ...] = ()
    if t.target_type == "message":
        evidence = (int(t.target_id),)
    if kind in GROUP_KINDS:
        subject = t.group_id
    elif kind in MESSAGE_KINDS:
        subject = int(t.target_id) if t.target_type == "message" else None
    elif t.target_type == "user" and t.group_id is not None:
        subject = int(t.target_id)
    elif t.target_type == "message":
        subject = (t.snapshot or {}).get("message", {}).get("sender_id")
    else:
        subject = None
    if subject is None:
        raise ValidationFailed("This measure does not fit what was reported", details={"field": "measure"})
    return MeasureSpec(kind=kind, target_id=int(subject), reason_code=m.reason_code, reason=reason,
                       duration=m.duration, rectification=m.rectification, stars=m.stars,
                       evidence_message_ids=evidence,
                       source="complaint", source_ref=t.number)  # fmt: skip


async def decide_ticket(
    db: Database, *, staff: UserView, ticket_id: int, outcome: str, reason: str, ctx: Ctx,
    measure: MeasureRequest | None = None, record_id: int | None = None,
) -> int | None:  # fmt: skip
    """Decide a reported target, upheld or rejected, with a reason: every open ticket on it takes the outcome, an
    upheld one may apply a measure or link a record, and each reporter is told. Returns the linked record id."""
    require_staff_role(staff.staff_role, TICKET_HANDLERS)
    async with db.uow() as uow:
        t = await _load(uow, ticket_id, for_update=True)
        status, claimant = await _state(uow, t)
        why = rules.check_decision(status=status, claimed_by=claimant, actor=staff.id, outcome=outcome,
                                   reason=reason)  # fmt: skip
        upheld = outcome == rules.TicketStatus.UPHELD
        if (measure is not None or record_id is not None) and not upheld:
            raise ValidationFailed("Only an upheld report leads to a measure", details={"field": "measure"})
        if measure is not None:
            record_id = await enforcement.apply_measure(
                uow, spec=await _spec(uow, t, measure, reason=why), decided_by=staff.id, ctx=ctx
            )
        elif record_id is not None:
            found = await uow.conn.execute(
                select(enforcement_records.c.id).where(enforcement_records.c.id == record_id)
            )
            if not 1 <= record_id < 2**63 or found.first() is None:
                raise NotFound("No such measure", code=ErrorCode.MEASURE_NOT_FOUND)
        decided = list(
            await uow.conn.execute(
                update(tickets)
                .where(tickets.c.target_key == t.target_key, tickets.c.status.in_(rules.OPEN))
                .values(status=outcome, decided_at=ctx.now, decided_by=staff.id, decision_reason=why,
                        record_id=record_id, feedback_at=ctx.now)
                .returning(tickets.c.id, tickets.c.number, tickets.c.reporter_id, tickets.c.category)
            )
        )  # fmt: skip
        measure_kind = None
        if record_id is not None:
            found_kind = await uow.conn.execute(
                select(enforcement_records.c.measure).where(enforcement_records.c.id == record_id)
            )
            measure_kind = found_kind.scalar_one_or_none()
        for d in decided:
            await netlog.record(uow, ctx, "ticket.decide", Target("ticket", d.number, t.group_id), actor=staff.id,
                                outcome=outcome, reason=why, target_key=t.target_key, record=record_id)  # fmt: skip
            if d.reporter_id is None:
                continue
            details = {"number": d.number, "category": d.category, "decision": outcome, "measure": measure_kind}
            await add_notice(uow, user_id=d.reporter_id, kind=NOTICE_KIND, details=details, now=ctx.now)
            uow.collect(ReportDecided(d.reporter_id, d.number, outcome, int(ctx.now.timestamp() * 1000)))
        await uow.commit()
    return record_id
