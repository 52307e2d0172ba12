"""Platform measures (Art. 11 ¶1–2): the one place a measure is applied, and its mirror that lifts it.

`apply_measure` runs in the caller's transaction (a staff decision, a review decision, an upheld ticket, a blacklist
entry, illegal content found): it validates the spec (domain/enforcement.py::check_spec), loads the target, copies
the evidence messages with their SHA-256 (so a later deletion destroys nothing), changes state, writes the
enforcement record, the credit event and the operation record, and tells the subject by an account notice and a
live frame. `lift_measure` ends one (an upheld appeal, a staff decision, the expiry job) and recomputes the
restriction column from the records still active, so two overlapping measures never lift each other
(docs/decisions/0011). The staff and user use cases are in services/measures.py; the state changes in
services/measure_state.py.

lift_measure does not touch the credit ledger: an upheld appeal reverses the record's `credit_event_id` with
services/credit.py::reverse_event in the same transaction.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select, update

from qunzu import netlog
from qunzu.context import Ctx
from qunzu.domain.credit import violation_event
from qunzu.domain.enforcement import (
    GROUP_KINDS,
    ONE_OFF_KINDS,
    MeasureKind,
    MeasureSpec,
    check_spec,
    evidence_copy,
    evidence_digest,
    target_type,
)
from qunzu.domain.restrictions import iso
from qunzu.errors import Conflict, ErrorCode, NotFound, ValidationFailed
from qunzu.netlog import Target
from qunzu.services import measure_state
from qunzu.services.credit import POLICY as CREDIT_POLICY
from qunzu.services.events import MeasureChanged
from qunzu.services.notices import add_notice
from qunzu.storage.tables import credit_events, enforcement_records, groups, memberships, messages, users
from qunzu.storage.uow import UnitOfWork

MEASURE_NOTICE = "measure"  # an account notice: a measure applied to me or to a group I own or manage
MEASURE_ENDED_NOTICE = "measure_ended"  # lifted, expired or resolved
WARNING_OVERDUE_NOTICE = "warning_overdue"
GROUP_CLOSED_NOTICE = "group_closed"  # to every member of a group the platform closed


def appeal_link(record_id: int) -> str:
    return f"/me/measures/{record_id}/appeal"


async def _evidence(uow: UnitOfWork, ids: tuple[int, ...]) -> list[dict[str, Any]]:
    if not ids:
        return []
    rows = {
        r.id: r
        for r in await uow.conn.execute(
            select(messages, groups.c.code.label("group_code"))
            .join(groups, groups.c.id == messages.c.group_id)
            .where(messages.c.id.in_(ids))
        )
    }
    missing = [i for i in ids if i not in rows]
    if missing:
        raise ValidationFailed(
            "An evidence message does not exist",
            details={"field": "evidence_message_ids", "reason": "unknown", "missing": missing},
        )
    return [
        evidence_copy(
            {
                "message_id": r.id,
                "group_id": r.group_id,
                "group_code": r.group_code,
                "seq": r.seq,
                "sender_id": r.sender_id,
                "sender_nickname": r.sender_nickname,
                "text": r.text,
                "created_at": iso(r.created_at),
                "review_state": r.review_state,
                "deleted_at": iso(r.deleted_at) if r.deleted_at else None,
            }
        )
        for r in (rows[i] for i in ids)
    ]


async def _target(uow: UnitOfWork, spec: MeasureSpec) -> tuple[Any, int | None, str | None]:
    """The target row, the group it concerns (id, code) and refusals for a target that is gone."""
    kind = target_type(spec.kind)
    if kind == "group":
        stmt = select(groups).where(groups.c.id == spec.target_id)
        if uow.dialect == "postgresql":
            stmt = stmt.with_for_update()
        row = (await uow.conn.execute(stmt)).one_or_none()
        if row is None or row.status in ("refused",):
            raise NotFound("No such group", code=ErrorCode.GROUP_NOT_FOUND)
        if row.status == "closed":
            raise Conflict("This group has been closed", code=ErrorCode.GROUP_CLOSED)
        return row, row.id, row.code
    if kind == "message":
        row = (
            await uow.conn.execute(
                select(messages, groups.c.code.label("group_code"))
                .join(groups, groups.c.id == messages.c.group_id)
                .where(messages.c.id == spec.target_id)
            )
        ).one_or_none()
        if row is None:
            raise NotFound("No such message", code=ErrorCode.MESSAGE_NOT_FOUND)
        return row, row.group_id, row.group_code
    row = (await uow.conn.execute(select(users).where(users.c.id == spec.target_id))).one_or_none()
    if row is None or row.cancelled_at is not None:
        raise NotFound("No such user", details={"field": "target_id"})
    return row, None, None


async def _credit(
    uow: UnitOfWork, spec: MeasureSpec, *, user_id: int, record_id: int, decided_by: int | None, ctx: Ctx
) -> int | None:
    if spec.credit_severity is None:
        return None
    event = violation_event(
        spec.credit_severity, at=ctx.now, reason=spec.reason_code, rule_id=spec.effective_clause, policy=CREDIT_POLICY
    )
    event_id = (
        await uow.conn.execute(
            insert(credit_events)
            .values(
                user_id=user_id, kind=event.kind.value, delta=event.delta, reason=event.reason, rule=event.rule[:32],
                source="enforcement", source_id=record_id, decided_by=decided_by, created_at=ctx.now,
            )
            .returning(credit_events.c.id)
        )
    ).scalar_one()  # fmt: skip
    await netlog.record(
        uow, ctx, "credit.violation", Target.user(user_id), actor=decided_by, delta=event.delta,
        reason=spec.reason_code, record=record_id,
    )  # fmt: skip
    return int(event_id)


async def group_leaders(uow: UnitOfWork, group_id: int) -> list[int]:
    """The owner and managers of a group: who a group measure is told to."""
    rows = await uow.conn.execute(
        select(memberships.c.user_id)
        .where(memberships.c.group_id == group_id, memberships.c.role.in_(("creator", "manager")))
        .order_by(memberships.c.role, memberships.c.user_id)
    )
    return list(rows.scalars())


def notice_details(rec: Any, *, group_code: str | None, group_name: str | None) -> dict[str, Any]:
    """What a measure notice carries: the measure, reason, rule, law, period, rectification and the appeal route."""
    return {
        "record_id": rec.id,
        "measure": rec.measure,
        "target_type": rec.target_type,
        "group_code": group_code,
        "group_name": group_name,
        "reason_code": rec.reason_code,
        "reason": rec.reason,
        "clause": rec.clause,
        "legal_basis": rec.legal_basis,
        "starts_at": iso(rec.starts_at),
        "ends_at": iso(rec.ends_at) if rec.ends_at else None,
        "rectification": rec.rectification,
        "stars": rec.stars,
        "status": rec.status,
        "appeal": appeal_link(rec.id),
    }


async def _tell(
    uow: UnitOfWork, rec: Any, recipients: list[int], *, kind: str, ctx: Ctx, extra: dict[str, Any] | None = None
) -> None:
    group_code = group_name = None
    if rec.group_id is not None:
        g = (await uow.conn.execute(select(groups.c.code, groups.c.name).where(groups.c.id == rec.group_id))).one()
        group_code, group_name = g.code, g.name
    details = notice_details(rec, group_code=group_code, group_name=group_name) | (extra or {})
    for user_id in dict.fromkeys(recipients):
        await add_notice(uow, user_id=user_id, kind=kind, details=details, now=ctx.now)
        uow.collect(
            MeasureChanged(
                user_id=user_id, record_id=rec.id, measure=rec.measure, status=rec.status, group_id=rec.group_id,
                group_code=group_code, until=details["ends_at"], reason=rec.reason,
                ts_ms=int(ctx.now.timestamp() * 1000),
            )
        )  # fmt: skip


async def subjects(uow: UnitOfWork, rec: Any) -> list[int]:
    """Who is told about a record: the user; a message's author; a group's owner and managers."""
    if rec.target_type == "user":
        return [rec.target_id]
    if rec.target_type == "message":
        sender = (
            await uow.conn.execute(select(messages.c.sender_id).where(messages.c.id == rec.target_id))
        ).scalar_one_or_none()
        return [sender] if sender is not None else []
    return await group_leaders(uow, rec.target_id)


async def apply_measure(uow: UnitOfWork, *, spec: MeasureSpec, decided_by: int | None, ctx: Ctx) -> int:
    """Apply one measure in the caller's transaction, with its record, evidence, credit event, operation record and
    notices (Art. 11 ¶1–2, R-11.1-1, R-11.2-1); returns the enforcement record's id."""
    spec = check_spec(spec)
    kind = spec.kind
    row, group_id, group_code = await _target(uow, spec)
    evidence_ids = spec.evidence_message_ids
    if kind is MeasureKind.CONTENT_REMOVAL and spec.target_id not in evidence_ids:
        evidence_ids = (spec.target_id, *evidence_ids)
    copies = await _evidence(uow, evidence_ids)
    if group_id is None and copies:  # a person measured for messages in one group: the record names that group
        groups_seen = {c["group_id"] for c in copies}
        group_id = groups_seen.pop() if len(groups_seen) == 1 else None
    ends_at = ctx.now + spec.duration if spec.duration is not None else None
    record_id = (
        await uow.conn.execute(
            insert(enforcement_records)
            .values(
                target_type=target_type(kind), target_id=spec.target_id, group_id=group_id, measure=kind.value,
                reason_code=spec.reason_code, clause=spec.effective_clause, legal_basis=spec.effective_legal_basis,
                reason=spec.reason, rectification=spec.rectification, stars=spec.stars, evidence=copies,
                evidence_sha256=evidence_digest(copies), source=spec.source, source_ref=spec.source_ref,
                decided_by=decided_by, starts_at=ctx.now, ends_at=ends_at,
                status="resolved" if kind in ONE_OFF_KINDS else "active", created_at=ctx.now,
            )
            .returning(enforcement_records.c.id)
        )
    ).scalar_one()  # fmt: skip
    record_id = int(record_id)
    leaders = await group_leaders(uow, spec.target_id) if kind in GROUP_KINDS else []
    members = await measure_state.apply_state(uow, kind, row, record_id=record_id, decided_by=decided_by, ctx=ctx)
    credit_user = row.sender_id if kind is MeasureKind.CONTENT_REMOVAL else spec.target_id
    credit_id = await _credit(
        uow, spec, user_id=credit_user, record_id=record_id, decided_by=decided_by, ctx=ctx
    ) if kind not in GROUP_KINDS else None  # fmt: skip
    await uow.conn.execute(
        update(enforcement_records)
        .where(enforcement_records.c.id == record_id)
        .values(credit_event_id=credit_id, notified_at=ctx.now)
    )
    rec = (await uow.conn.execute(select(enforcement_records).where(enforcement_records.c.id == record_id))).one()
    target = (
        Target.group(spec.target_id, group_code or "")
        if kind in GROUP_KINDS
        else Target.message(spec.target_id, group_id=group_id or 0)
        if kind is MeasureKind.CONTENT_REMOVAL
        else Target.user(spec.target_id, group_id=group_id)
    )
    await netlog.record(
        uow, ctx, "enforcement.apply", target, actor=decided_by, record=record_id, measure=kind.value,
        reason_code=spec.reason_code, clause=rec.clause, legal_basis=rec.legal_basis, source=spec.source,
        source_ref=spec.source_ref, ends_at=iso(ends_at) if ends_at else None, evidence_sha256=rec.evidence_sha256,
        credit_event=credit_id,
    )  # fmt: skip
    told = leaders if kind in GROUP_KINDS else await subjects(uow, rec)
    await _tell(uow, rec, told, kind=MEASURE_NOTICE, ctx=ctx)
    if kind is MeasureKind.GROUP_CLOSE:
        others = [m for m in members if m not in leaders]
        await _tell(uow, rec, others, kind=GROUP_CLOSED_NOTICE, ctx=ctx)
    return record_id


async def load_record(uow: UnitOfWork, record_id: int, *, for_update: bool = False) -> Any:
    if not 1 <= record_id < 2**63:
        raise NotFound("No such measure", code=ErrorCode.MEASURE_NOT_FOUND)
    stmt = select(enforcement_records).where(enforcement_records.c.id == record_id)
    if for_update and uow.dialect == "postgresql":
        stmt = stmt.with_for_update()
    rec = (await uow.conn.execute(stmt)).one_or_none()
    if rec is None:
        raise NotFound("No such measure", code=ErrorCode.MEASURE_NOT_FOUND)
    return rec


LIFT_STATUSES = ("lifted", "expired", "resolved")


async def lift_measure(
    uow: UnitOfWork, *, record_id: int, reason: str, lifted_by: int | None, ctx: Ctx, status: str = "lifted"
) -> None:
    """End a measure in the caller's transaction (an upheld appeal or a staff decision: `lifted`; the expiry job:
    `expired`; a warning rectified: `resolved`), undoing its state unless another active record still holds it."""
    if status not in LIFT_STATUSES:
        raise ValidationFailed("Unknown end status", details={"field": "status", "allowed": list(LIFT_STATUSES)})
    if not reason.strip():
        raise ValidationFailed("State why the measure ends", details={"field": "reason", "reason": "required"})
    rec = await load_record(uow, record_id, for_update=True)
    kind = MeasureKind(rec.measure)
    liftable = ("active", "overdue") if status != "lifted" else ("active", "overdue", "resolved")
    if rec.status not in liftable or (status == "resolved" and kind is not MeasureKind.GROUP_WARNING):
        raise Conflict(
            "This measure is not in force", code=ErrorCode.MEASURE_NOT_ACTIVE, details={"status": rec.status}
        )
    await uow.conn.execute(
        update(enforcement_records)
        .where(enforcement_records.c.id == record_id)
        .values(status=status, lifted_at=ctx.now, lifted_by=lifted_by, lift_reason=reason.strip()[:200])
    )
    await measure_state.undo_state(uow, rec, ctx=ctx)
    await netlog.record(
        uow, ctx, "enforcement.lift", Target("enforcement_record", record_id, rec.group_id), actor=lifted_by,
        measure=rec.measure, status=status, reason=reason.strip()[:200], target_type=rec.target_type,
        target_id=rec.target_id,
    )  # fmt: skip
    rec = await load_record(uow, record_id)
    await _tell(uow, rec, await subjects(uow, rec), kind=MEASURE_ENDED_NOTICE, ctx=ctx,
                extra={"lift_reason": rec.lift_reason})  # fmt: skip


async def mark_overdue(uow: UnitOfWork, *, record_id: int, ctx: Ctx) -> None:
    """A warning whose deadline passed unresolved becomes `overdue` (D12), recorded and told to the owner."""
    rec = await load_record(uow, record_id, for_update=True)
    if rec.status != "active" or rec.measure != MeasureKind.GROUP_WARNING.value:
        return
    await uow.conn.execute(
        update(enforcement_records).where(enforcement_records.c.id == record_id).values(status="overdue")
    )
    await netlog.record(
        uow, ctx, "enforcement.overdue", Target("enforcement_record", record_id, rec.group_id), actor=None,
        responded=rec.responded_at is not None,
    )  # fmt: skip
    rec = await load_record(uow, record_id)
    await _tell(uow, rec, await subjects(uow, rec), kind=WARNING_OVERDUE_NOTICE, ctx=ctx)
