"""Appeals (R-11-x, D10; 用户服务协议 §8): the subject of a measure or of a credit deduction appeals once; another
staff member decides within 15 working days; an upheld appeal lifts the measure and reverses its ledger event, in one
transaction with the appeal, each step with its operation record. The appellant is told on their page and live.

The measure stays in force while the appeal waits (§8.3). A deduction that a measure carries (the record's
`credit_event_id`) is appealed through its measure, so one decision cannot be appealed twice by two routes.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from qunzu import netlog
from qunzu.context import Ctx
from qunzu.domain import appeals as rules
from qunzu.domain.appeals import Appealable, AppealStatus, Subject
from qunzu.domain.credit import EventKind
from qunzu.domain.staff import APPEAL_DECIDERS, require_staff_role
from qunzu.errors import Conflict, ErrorCode, NotFound
from qunzu.netlog import Target
from qunzu.services import appeals_blacklist, credit, enforcement, notices
from qunzu.services.events import AppealDecided
from qunzu.services.views import UserView
from qunzu.storage.tables import (
    appeals,
    content_bans,
    credit_events,
    enforcement_records,
    groups,
    memberships,
    messages,
    users,
)
from qunzu.storage.uow import Database, UnitOfWork

# what an upheld appeal lifts through services/enforcement.py (a one-off measure, `resolved`, is undone too: a
# removed message comes back); an `expired` one is only marked
LIFTABLE = ("active", "overdue", "resolved")
NOTICE_UPHELD = "appeal_upheld"
NOTICE_REJECTED = "appeal_rejected"


@dataclass(frozen=True, slots=True)
class Subjected:
    """What is appealed, loaded: the rules' view and what pages show."""

    rule_view: Appealable
    record: Any  # the enforcement record row, or None for a deduction no measure carries
    event: Any  # the credit event row (the record's, or the deduction appealed), or None
    group_code: str | None = None
    entry: Any = None  # the blacklist entry row appealed


@dataclass(frozen=True, slots=True)
class AppealView:
    id: int
    subject: Subject
    record_id: int | None
    credit_event_id: int | None
    appellant_id: int
    appellant_nickname: str
    statement: str
    status: str
    created_at: datetime
    due_at: datetime
    decided_at: datetime | None
    decided_by: int | None
    decision_reason: str | None
    overdue: bool
    record: dict[str, Any] | None = None  # the measure appealed (with its evidence, for staff)
    event: dict[str, Any] | None = None  # the deduction appealed, or the measure's
    original_decider: int | None = None
    original_decider_nickname: str | None = None
    group_code: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # decide_appeal: "accounts" whose level changed
    blacklist_entry_id: int | None = None
    entry: dict[str, Any] | None = None  # the blacklist entry appealed (appeals_blacklist.entry_summary)


def _checked_id(value: int, what: str) -> int:
    if not 1 <= value < 2**63:
        raise NotFound(f"No such {what}")
    return value


async def _subject_user(uow: UnitOfWork, record: Any) -> tuple[int | None, str | None]:
    """Who may appeal a record (the person measured; a group's owner; a message's author) and the group's code."""
    if record.target_type == "user":
        code = None
        if record.group_id is not None:
            code = (
                await uow.conn.execute(select(groups.c.code).where(groups.c.id == record.group_id))
            ).scalar_one_or_none()
        return record.target_id, code
    if record.target_type == "group":
        row = (
            await uow.conn.execute(select(groups.c.owner_id, groups.c.code).where(groups.c.id == record.target_id))
        ).one_or_none()
        return (row.owner_id, row.code) if row else (None, None)
    row = (
        await uow.conn.execute(
            select(messages.c.sender_id, groups.c.code)
            .join(groups, groups.c.id == messages.c.group_id)
            .where(messages.c.id == record.target_id)
        )
    ).one_or_none()
    return (row.sender_id, row.code) if row else (None, None)


async def _reversed(uow: UnitOfWork, event_id: int | None) -> bool:
    if event_id is None:
        return False
    stmt = select(credit_events.c.id).where(credit_events.c.reverses == event_id)
    return (await uow.conn.execute(stmt)).first() is not None


async def _load_record(uow: UnitOfWork, record_id: int) -> Subjected | None:
    record = (
        await uow.conn.execute(select(enforcement_records).where(enforcement_records.c.id == record_id))
    ).one_or_none()
    if record is None:
        return None
    subject_user, code = await _subject_user(uow, record)
    if subject_user is None:
        return None
    event = None
    if record.credit_event_id is not None:
        event = (
            await uow.conn.execute(select(credit_events).where(credit_events.c.id == record.credit_event_id))
        ).one_or_none()
    closed = record.status == "lifted"
    view = Appealable(Subject.MEASURE, subject_user, record.decided_by, record.starts_at, closed)
    return Subjected(view, record, event, code)


async def _load_event(uow: UnitOfWork, event_id: int) -> Subjected | None:
    event = (await uow.conn.execute(select(credit_events).where(credit_events.c.id == event_id))).one_or_none()
    if event is None:
        return None
    carrier = (
        await uow.conn.execute(
            select(enforcement_records.c.id).where(enforcement_records.c.credit_event_id == event_id)
        )
    ).scalar_one_or_none()
    if carrier is not None:  # a measure's deduction is appealed through its measure
        return await _load_record(uow, carrier)
    if event.kind != EventKind.VIOLATION.value:
        return None
    closed = await _reversed(uow, event.id)
    view = Appealable(Subject.CREDIT, event.user_id, event.decided_by, event.created_at, closed)
    return Subjected(view, None, event, None)


async def _load_entry(uow: UnitOfWork, entry_id: int) -> Subjected | None:
    loaded = await appeals_blacklist.load_entry(uow, entry_id)
    if loaded is None:
        return None
    view, row = loaded
    code = None
    if row.subject_type == "group":
        code = (
            await uow.conn.execute(select(groups.c.code).where(groups.c.id == int(row.subject_key)))
        ).scalar_one_or_none()
    return Subjected(view, None, None, code, entry=row)


async def _load_of(uow: UnitOfWork, row: Any) -> Subjected | None:
    """What an appeal row is about, loaded."""
    if row.record_id:
        return await _load_record(uow, row.record_id)
    if row.blacklist_entry_id:
        return await _load_entry(uow, row.blacklist_entry_id)
    return await _load_event(uow, row.credit_event_id)


async def _load_subject(
    uow: UnitOfWork,
    *,
    actor: int,
    record_id: int | None,
    credit_event_id: int | None,
    blacklist_entry_id: int | None = None,
) -> Subjected:
    """What the actor appeals; "not found" for what does not exist or is not theirs to see."""
    if sum(i is not None for i in (record_id, credit_event_id, blacklist_entry_id)) != 1:
        raise NotFound("Name one measure, one credit deduction or one blacklist entry")
    if record_id is not None:
        found = await _load_record(uow, _checked_id(record_id, "measure"))
    elif blacklist_entry_id is not None:
        found = await _load_entry(uow, _checked_id(blacklist_entry_id, "blacklist entry"))
        if found is None or not rules.may_appeal(found.rule_view, actor):
            raise NotFound("No such blacklist entry", code=ErrorCode.BLACKLIST_ENTRY_NOT_FOUND)
    else:
        found = await _load_event(uow, _checked_id(credit_event_id or 0, "credit event"))
    if found is None:
        raise NotFound("No such measure", code=ErrorCode.MEASURE_NOT_FOUND)
    if not rules.may_appeal(found.rule_view, actor):
        # a group measure is visible to the group's managers (services/enforcement.py), who may not appeal it
        seen = found.record is not None and found.record.target_type == "group" and await _manages(uow, actor, found)
        if not seen:
            raise NotFound("No such measure", code=ErrorCode.MEASURE_NOT_FOUND)
    return found


async def _manages(uow: UnitOfWork, actor: int, found: Subjected) -> bool:
    stmt = select(memberships.c.role).where(
        memberships.c.group_id == found.record.target_id, memberships.c.user_id == actor
    )
    return (await uow.conn.execute(stmt)).scalar_one_or_none() in ("creator", "manager")


async def _existing(uow: UnitOfWork, found: Subjected) -> int | None:
    conds = []
    if found.record is not None:
        conds.append(appeals.c.record_id == found.record.id)
    if found.event is not None:
        conds.append(appeals.c.credit_event_id == found.event.id)
    if found.entry is not None:
        conds.append(appeals.c.blacklist_entry_id == found.entry.id)
    return (await uow.conn.execute(select(appeals.c.id).where(or_(*conds)).limit(1))).scalar_one_or_none()


# --- the appellant ---------------------------------------------------------------------------------------------------


async def appeal_subject(
    db: Database,
    *,
    actor: int,
    record_id: int | None = None,
    credit_event_id: int | None = None,
    blacklist_entry_id: int | None = None,
) -> tuple[dict[str, Any], int | None]:
    """What the appeal form shows: the measure, deduction or blacklist entry (no evidence of other people) and the
    appeal already filed on it, if any."""
    async with db.uow(write=False) as uow:
        found = await _load_subject(
            uow, actor=actor, record_id=record_id, credit_event_id=credit_event_id,
            blacklist_entry_id=blacklist_entry_id,
        )  # fmt: skip
        summary = _summary(found, with_evidence=False)
        summary["may_appeal"] = rules.may_appeal(found.rule_view, actor)
        return summary, await _existing(uow, found)


async def file_appeal(
    db: Database,
    *,
    actor: UserView,
    record_id: int | None = None,
    credit_event_id: int | None = None,
    blacklist_entry_id: int | None = None,
    statement: str,
    ctx: Ctx,
    holidays: Collection[date] = (),
    workdays: Collection[date] = (),
) -> int:
    """Appeal a measure, a credit deduction or a blacklist entry (R-11-x): once, by its subject, within the window;
    due in 15 working days. Returns the appeal's id."""
    text = rules.check_statement(statement)
    async with db.uow() as uow:
        found = await _load_subject(
            uow, actor=actor.id, record_id=record_id, credit_event_id=credit_event_id,
            blacklist_entry_id=blacklist_entry_id,
        )  # fmt: skip
        rules.check_appellant(found.rule_view, actor=actor.id)
        rules.check_first_appeal(await _existing(uow, found))
        rules.check_open(found.rule_view, now=ctx.now)
        due = rules.appeal_due(ctx.now, holidays=holidays, workdays=workdays)
        on_record = found.record is not None
        entry_id = found.entry.id if found.entry is not None else None
        event_id = found.event.id if not on_record and found.event is not None else None
        try:
            appeal_id = (
                await uow.conn.execute(
                    insert(appeals)
                    .values(
                        record_id=found.record.id if on_record else None,
                        credit_event_id=event_id,
                        blacklist_entry_id=entry_id,
                        appellant_id=actor.id,
                        statement=text,
                        status=AppealStatus.PENDING.value,
                        created_at=ctx.now,
                        due_at=due,
                    )
                    .returning(appeals.c.id)
                )
            ).scalar_one()
        except IntegrityError:  # a simultaneous appeal on the same decision won (the unique keys hold it)
            raise Conflict("This decision has been appealed already", code=ErrorCode.APPEAL_EXISTS) from None
        await netlog.record(
            uow, ctx, "appeal.file", Target("appeal", appeal_id, found.record.group_id if on_record else None),
            actor=actor.id, record_id=found.record.id if on_record else None,
            credit_event_id=event_id, blacklist_entry_id=entry_id, due_at=due.isoformat(),
        )  # fmt: skip
        await uow.commit()
    return int(appeal_id)


async def my_appeals(db: Database, *, actor: int, now: datetime, limit: int = 100) -> list[AppealView]:
    """My appeals, newest first, with what each is about and its outcome."""
    async with db.uow(write=False) as uow:
        rows = list(
            await uow.conn.execute(
                select(appeals).where(appeals.c.appellant_id == actor).order_by(appeals.c.id.desc()).limit(limit)
            )
        )
        return [await _view(uow, r, now=now, with_evidence=False) for r in rows]


# --- staff -----------------------------------------------------------------------------------------------------------


async def appeal_queue(
    db: Database, *, staff: UserView, now: datetime, state: str = "pending", limit: int = 200
) -> list[AppealView]:
    """The appeals queue: pending ones first, the most urgent (earliest due) on top, overdue ones marked; `state`
    decided lists the decided ones, newest first."""
    require_staff_role(staff.staff_role, APPEAL_DECIDERS)
    stmt = select(appeals)
    if state == "pending":
        stmt = stmt.where(appeals.c.status == AppealStatus.PENDING.value).order_by(appeals.c.due_at, appeals.c.id)
    else:
        stmt = stmt.where(appeals.c.status != AppealStatus.PENDING.value).order_by(appeals.c.decided_at.desc())
    async with db.uow(write=False) as uow:
        rows = list(await uow.conn.execute(stmt.limit(limit)))
        return [await _view(uow, r, now=now, with_evidence=False) for r in rows]


async def appeal_detail(db: Database, *, staff: UserView, appeal_id: int, now: datetime) -> AppealView:
    """One appeal for its decider: the measure record with its evidence, the original decider, the statement."""
    require_staff_role(staff.staff_role, APPEAL_DECIDERS)
    async with db.uow(write=False) as uow:
        row = await _appeal_row(uow, appeal_id)
        return await _view(uow, row, now=now, with_evidence=True)


async def _appeal_row(uow: UnitOfWork, appeal_id: int, *, lock: bool = False) -> Any:
    if not 1 <= appeal_id < 2**63:
        raise NotFound("No such appeal", code=ErrorCode.APPEAL_NOT_FOUND)
    stmt = select(appeals).where(appeals.c.id == appeal_id)
    if lock and uow.dialect == "postgresql":
        stmt = stmt.with_for_update()
    row = (await uow.conn.execute(stmt)).one_or_none()
    if row is None:
        raise NotFound("No such appeal", code=ErrorCode.APPEAL_NOT_FOUND)
    return row


async def decide_appeal(
    db: Database, *, staff: UserView, appeal_id: int, uphold: bool, reason: str, ctx: Ctx
) -> AppealView:
    """Uphold or reject an appeal, with a reason (R-11-x). Upheld: the measure is lifted (reason "appeal") and its
    credit event reversed, a content ban it raised is withdrawn; a blacklist entry is removed (appeals_blacklist.py);
    rejected: the measure or entry stays. Either way the
    appellant is told, on their page and live. The original decider may not decide (`appeal_same_decider`)."""
    require_staff_role(staff.staff_role, APPEAL_DECIDERS)
    why = rules.check_decision_reason(reason)
    async with db.uow() as uow:
        row = await _appeal_row(uow, appeal_id, lock=True)
        if row.status != AppealStatus.PENDING.value:
            raise Conflict("This appeal has been decided already", code=ErrorCode.ALREADY_DECIDED)
        found = await _load_of(uow, row)
        if found is None:
            raise NotFound("No such measure", code=ErrorCode.MEASURE_NOT_FOUND)
        rules.check_decider(
            staff_id=staff.id, original_decider=found.rule_view.decided_by, appellant_id=row.appellant_id
        )
        outcome = AppealStatus.UPHELD if uphold else AppealStatus.REJECTED
        undone: dict[str, Any] = {}
        accounts: list[int] = []
        if uphold and found.entry is not None:
            undone, outcome_bl = await appeals_blacklist.undo_entry(uow, found.entry, staff=staff, ctx=ctx)
            accounts = outcome_bl.accounts
        elif uphold:
            undone = await _undo(uow, found, appeal_id=appeal_id, staff=staff, ctx=ctx)
        await uow.conn.execute(
            update(appeals)
            .where(appeals.c.id == appeal_id)
            .values(status=outcome.value, decided_at=ctx.now, decided_by=staff.id, decision_reason=why)
        )
        group_id = found.record.group_id if found.record is not None else None
        await netlog.record(
            uow, ctx, f"appeal.{outcome.value}", Target("appeal", appeal_id, group_id), actor=staff.id,
            appellant=row.appellant_id, record_id=row.record_id, credit_event_id=row.credit_event_id,
            blacklist_entry_id=row.blacklist_entry_id, original_decider=found.rule_view.decided_by, reason=why[:200],
            **undone,
        )  # fmt: skip
        details = {"appeal_id": appeal_id, "reason": why[:500], "measure": _measure_name(found)}
        await notices.add_notice(
            uow,
            user_id=row.appellant_id,
            kind=(NOTICE_UPHELD if uphold else NOTICE_REJECTED) + ("_blacklist" if found.entry is not None else ""),
            details=details,
            now=ctx.now,
        )
        uow.collect(
            AppealDecided(
                appellant_id=row.appellant_id,
                appeal_id=appeal_id,
                outcome=outcome.value,
                reason=why[:500],
                ts_ms=int(ctx.now.timestamp() * 1000),
            )
        )
        await uow.commit()
    async with db.uow(write=False) as uow:
        view = await _view(uow, await _appeal_row(uow, appeal_id), now=ctx.now, with_evidence=False)
    view.extra["accounts"] = accounts  # the callers evict these accounts' cached sessions (a level changed)
    return view


async def _undo(uow: UnitOfWork, found: Subjected, *, appeal_id: int, staff: UserView, ctx: Ctx) -> dict[str, Any]:
    """What an upheld appeal undoes, in the appeal's transaction: the measure, its credit event, its content ban."""
    done: dict[str, Any] = {}
    record = found.record
    if record is not None and record.status in LIFTABLE:
        await enforcement.lift_measure(
            uow, record_id=record.id, reason="appeal", lifted_by=staff.id, ctx=ctx, status="lifted"
        )
        done["lifted"] = record.id
    elif record is not None:  # expired already: the record says the appeal undid it
        await uow.conn.execute(
            update(enforcement_records)
            .where(enforcement_records.c.id == record.id)
            .values(status="lifted", lifted_at=ctx.now, lifted_by=staff.id, lift_reason="appeal")
        )
        done["corrected"] = record.id
    event = found.event
    if event is not None and event.kind == EventKind.VIOLATION.value and not await _reversed(uow, event.id):
        reversal = await credit.reverse_event(
            uow, event_id=event.id, reason=f"appeal {appeal_id} upheld", decided_by=staff.id, ctx=ctx
        )
        done["reversed"] = event.id
        done["reversal"] = reversal.id
    if record is not None:
        bans = await uow.conn.execute(
            delete(content_bans).where(content_bans.c.record_id == record.id).returning(content_bans.c.text_sha256)
        )
        withdrawn = [b.text_sha256 for b in bans]
        if withdrawn:
            done["bans_withdrawn"] = withdrawn
    return done


def _measure_name(found: Subjected) -> str:
    if found.entry is not None:
        return "blacklist"
    return found.record.measure if found.record is not None else "credit_deduction"


def _summary(found: Subjected, *, with_evidence: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"subject": found.rule_view.subject.value, "group_code": found.group_code}
    r = found.record
    if r is not None:
        out["record"] = {
            "id": r.id, "measure": r.measure, "target_type": r.target_type, "target_id": r.target_id,
            "reason_code": r.reason_code, "reason": r.reason, "clause": r.clause, "legal_basis": r.legal_basis,
            "rectification": r.rectification, "source": r.source, "source_ref": r.source_ref,
            "starts_at": r.starts_at, "ends_at": r.ends_at, "status": r.status, "lifted_at": r.lifted_at,
            "lift_reason": r.lift_reason, "evidence_sha256": r.evidence_sha256,
            "evidence": list(r.evidence or []) if with_evidence else [],
        }  # fmt: skip
    e = found.event
    if e is not None:
        out["event"] = {"id": e.id, "delta": e.delta, "reason": e.reason, "rule": e.rule, "source": e.source,
                        "created_at": e.created_at}  # fmt: skip
    if found.entry is not None:
        out["entry"] = appeals_blacklist.entry_summary(found.entry)
    out["decided_by"] = found.rule_view.decided_by
    out["decided_at"] = found.rule_view.decided_at
    out["closed"] = found.rule_view.closed
    return out


async def _nickname(uow: UnitOfWork, user_id: int | None) -> str | None:
    if user_id is None:
        return None
    return (await uow.conn.execute(select(users.c.nickname).where(users.c.id == user_id))).scalar_one_or_none()


async def _view(uow: UnitOfWork, row: Any, *, now: datetime, with_evidence: bool) -> AppealView:
    found = await _load_of(uow, row)
    summary = _summary(found, with_evidence=with_evidence) if found is not None else {}
    decider = summary.get("decided_by")
    return AppealView(
        id=row.id,
        subject=(Subject.MEASURE if row.record_id else Subject.BLACKLIST if row.blacklist_entry_id else Subject.CREDIT),
        record_id=row.record_id,
        credit_event_id=row.credit_event_id,
        appellant_id=row.appellant_id,
        appellant_nickname=await _nickname(uow, row.appellant_id) or "",
        statement=row.statement,
        status=row.status,
        created_at=row.created_at,
        due_at=row.due_at,
        decided_at=row.decided_at,
        decided_by=row.decided_by,
        decision_reason=row.decision_reason,
        overdue=rules.overdue(row.status, row.due_at, now=now),
        record=summary.get("record"),
        event=summary.get("event"),
        original_decider=decider,
        original_decider_nickname=await _nickname(uow, decider),
        group_code=summary.get("group_code"),
        blacklist_entry_id=row.blacklist_entry_id,
        entry=summary.get("entry"),
    )
