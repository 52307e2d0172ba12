"""The use cases around platform measures (Art. 11 ¶1–2, R-11.1-*, R-11.2-*, R-11-x): staff apply, lift and read
enforcement records; a user reads the measures on them and on groups they own or manage; an owner answers a
warning (D12); the expiry job. Each public function is one transaction; the state change itself is
services/enforcement.py::apply_measure / lift_measure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, or_, select, update

from qunzu import netlog
from qunzu.context import Ctx
from qunzu.domain.accounts import normalise_username
from qunzu.domain.enforcement import MeasureKind, MeasureSpec, evidence_intact, target_type
from qunzu.domain.groupcode import parse_group_code
from qunzu.domain.staff import MEASURE_DECIDERS, MEASURE_READERS, require_staff_role
from qunzu.domain.text import parse_int
from qunzu.errors import Conflict, ErrorCode, NotFound, QunzuError, ValidationFailed
from qunzu.netlog import Target
from qunzu.services import enforcement
from qunzu.services.views import UserView
from qunzu.storage.tables import account_notices, appeals, enforcement_records, groups, memberships, messages, users
from qunzu.storage.uow import Database, UnitOfWork

RESPONSE_MAX = 2000
PAGE_MAX = 200
RECORD_NOTICE_KINDS = (
    enforcement.MEASURE_NOTICE,
    enforcement.MEASURE_ENDED_NOTICE,
    enforcement.WARNING_OVERDUE_NOTICE,
    enforcement.GROUP_CLOSED_NOTICE,
)


@dataclass(frozen=True, slots=True)
class RecordView:
    """An enforcement record as staff and its subject read it."""

    id: int
    measure: MeasureKind
    target_type: str
    target_id: int
    target_label: str  # group code and name, username, or "message 42"
    group_id: int | None
    group_code: str | None
    reason_code: str
    reason: str
    clause: str
    legal_basis: str
    rectification: str | None
    stars: int | None  # a group_stars measure: the level it lowers the group to
    source: str
    source_ref: str | None
    decided_by: int | None
    decided_by_name: str | None
    starts_at: datetime
    ends_at: datetime | None
    status: str
    lifted_at: datetime | None
    lifted_by: int | None
    lift_reason: str | None
    owner_response: str | None
    responded_at: datetime | None
    credit_event_id: int | None
    notified_at: datetime | None
    reported_at: datetime | None
    report_id: int | None
    created_at: datetime
    evidence: list[dict[str, Any]]
    evidence_sha256: str
    appeal_status: str | None  # pending | upheld | rejected, None: not appealed

    @property
    def evidence_intact(self) -> bool:
        return evidence_intact(self.evidence, self.evidence_sha256)

    @property
    def in_force(self) -> bool:
        return self.status in ("active", "overdue")


@dataclass(frozen=True, slots=True)
class NoticeSent:
    user_id: int
    nickname: str
    kind: str
    created_at: datetime
    read_at: datetime | None


@dataclass(frozen=True, slots=True)
class RecordFilter:
    target_type: str | None = None
    target_id: int | None = None
    measure: str | None = None
    status: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def _decider() -> Any:
    return users.alias("decider")


async def _views(uow: UnitOfWork, where: Any, *, limit: int, offset: int = 0) -> list[RecordView]:
    r = enforcement_records.c
    decider = _decider()
    target_user = users.alias("target_user")
    target_group = groups.alias("target_group")
    stmt = (
        select(
            enforcement_records,
            decider.c.username.label("decider_name"),
            groups.c.code.label("group_code"),
            target_user.c.username.label("target_username"),
            target_group.c.code.label("target_code"),
            target_group.c.name.label("target_name"),
            appeals.c.status.label("appeal_status"),
        )
        .select_from(
            enforcement_records.outerjoin(decider, decider.c.id == r.decided_by)
            .outerjoin(groups, groups.c.id == r.group_id)
            .outerjoin(target_user, and_(r.target_type == "user", target_user.c.id == r.target_id))
            .outerjoin(target_group, and_(r.target_type == "group", target_group.c.id == r.target_id))
            .outerjoin(appeals, appeals.c.record_id == r.id)
        )
        .where(where)
        .order_by(r.id.desc())
        .limit(limit)
        .offset(offset)
    )
    out = []
    for row in await uow.conn.execute(stmt):
        if row.target_type == "group":
            label = f"{row.target_code} {row.target_name}"
        elif row.target_type == "user":
            label = f"@{row.target_username}"
        else:
            label = f"#{row.target_id}"
        out.append(
            RecordView(
                id=row.id, measure=MeasureKind(row.measure), target_type=row.target_type, target_id=row.target_id,
                target_label=label, group_id=row.group_id, group_code=row.group_code, reason_code=row.reason_code,
                reason=row.reason, clause=row.clause, legal_basis=row.legal_basis, rectification=row.rectification,
                stars=row.stars, source=row.source, source_ref=row.source_ref, decided_by=row.decided_by,
                decided_by_name=row.decider_name, starts_at=row.starts_at, ends_at=row.ends_at, status=row.status,
                lifted_at=row.lifted_at, lifted_by=row.lifted_by, lift_reason=row.lift_reason,
                owner_response=row.owner_response, responded_at=row.responded_at,
                credit_event_id=row.credit_event_id, notified_at=row.notified_at, reported_at=row.reported_at,
                report_id=row.report_id, created_at=row.created_at, evidence=list(row.evidence or []),
                evidence_sha256=row.evidence_sha256, appeal_status=row.appeal_status,
            )
        )  # fmt: skip
    return out


# --- staff --------------------------------------------------------------------------------------------------------


async def resolve_target(db: Database, *, staff: UserView, kind: MeasureKind, target: str) -> int:
    """The id of a measure's target as staff type it: a group by its code (or id), a user by username (or id), a
    message by id (deciders only: others learn nothing of what exists)."""
    require_staff_role(staff.staff_role, MEASURE_DECIDERS)
    raw = target.strip()
    if not raw:
        raise ValidationFailed("Name the target", details={"field": "target", "reason": "required"})
    what = target_type(kind)
    as_id = parse_int(raw, lo=1, hi=2**63 - 1)  # ASCII digits only: "²" is no id
    async with db.uow(write=False) as uow:
        if what == "group" and not (as_id is not None and len(raw) < 10):
            code = parse_group_code(raw)
            found = (await uow.conn.execute(select(groups.c.id).where(groups.c.code == code))).scalar_one_or_none()
            if found is None:
                raise NotFound("No such group", code=ErrorCode.GROUP_NOT_FOUND, details={"field": "target"})
            return int(found)
        if what == "user" and as_id is None:
            try:
                name = normalise_username(raw.removeprefix("@"))
            except QunzuError as exc:
                raise NotFound("No such user", details={"field": "target"}) from exc
            found = (await uow.conn.execute(select(users.c.id).where(users.c.username == name))).scalar_one_or_none()
            if found is None:
                raise NotFound("No such user", details={"field": "target"})
            return int(found)
    if as_id is None:
        raise ValidationFailed("The target is not valid", details={"field": "target", "reason": "invalid"})
    return as_id


async def apply(db: Database, *, staff: UserView, spec: MeasureSpec, ctx: Ctx) -> RecordView:
    """A staff member applies a measure (R-11.1-1, R-11.2-1): one transaction, its record returned."""
    require_staff_role(staff.staff_role, MEASURE_DECIDERS)
    async with db.uow() as uow:
        record_id = await enforcement.apply_measure(uow, spec=spec, decided_by=staff.id, ctx=ctx)
        await uow.commit()
    return await record_detail(db, staff=staff, record_id=record_id)


async def lift(
    db: Database, *, staff: UserView, record_id: int, reason: str, ctx: Ctx, status: str = "lifted"
) -> RecordView:
    """A staff member lifts a measure, or marks a warning resolved (`status="resolved"`), with the reason."""
    require_staff_role(staff.staff_role, MEASURE_DECIDERS)
    if status not in ("lifted", "resolved"):
        raise ValidationFailed("Lift or resolve", details={"field": "status", "allowed": ["lifted", "resolved"]})
    async with db.uow() as uow:
        await enforcement.lift_measure(uow, record_id=record_id, reason=reason, lifted_by=staff.id, ctx=ctx,
                                       status=status)  # fmt: skip
        await uow.commit()
    return await record_detail(db, staff=staff, record_id=record_id)


def _instant(value: datetime | None, field: str) -> datetime | None:
    """A period bound as UTC (a bound without a zone is read as UTC); one out of range is refused."""
    if value is None:
        return None
    try:
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)
    except (OverflowError, ValueError) as exc:
        raise ValidationFailed("The date is out of range", details={"field": field, "reason": "invalid"}) from exc


def _filter(f: RecordFilter) -> Any:
    r = enforcement_records.c
    conds: list[Any] = []
    if f.target_type:
        conds.append(r.target_type == f.target_type)
    if f.target_id is not None:
        conds.append(r.target_id == f.target_id)
    if f.measure:
        conds.append(r.measure == f.measure)
    if f.status:
        conds.append(r.status == f.status)
    since, until = _instant(f.since, "since"), _instant(f.until, "until")
    if since is not None:
        conds.append(r.created_at >= since)
    if until is not None:
        conds.append(r.created_at < until)
    return and_(True, *conds)


async def list_records(
    db: Database, *, staff: UserView, filters: RecordFilter = RecordFilter(), limit: int = 50, offset: int = 0
) -> list[RecordView]:
    """Enforcement records, newest first, filtered by target, measure, status and period (R-11.1-2)."""
    require_staff_role(staff.staff_role, MEASURE_READERS)
    async with db.uow(write=False) as uow:
        return await _views(uow, _filter(filters), limit=max(1, min(limit, PAGE_MAX)), offset=max(0, offset))


async def record_detail(db: Database, *, staff: UserView, record_id: int) -> RecordView:
    """One enforcement record with all its fields (R-11.1-2, R-11.2-2)."""
    require_staff_role(staff.staff_role, MEASURE_READERS)
    async with db.uow(write=False) as uow:
        found = await _views(uow, enforcement_records.c.id == _valid_id(record_id), limit=1)
    if not found:
        raise NotFound("No such measure", code=ErrorCode.MEASURE_NOT_FOUND)
    return found[0]


async def overdue_owner(db: Database, *, staff: UserView, record: RecordView) -> int | None:
    """The group's current owner when a warning went overdue: whom a follow-up measure on a person would concern
    (the agreement §7.6: a member's violation costs the owner credit only when a warning's deadline passed)."""
    require_staff_role(staff.staff_role, MEASURE_READERS)
    if record.measure is not MeasureKind.GROUP_WARNING or record.status != "overdue":
        return None
    async with db.uow(write=False) as uow:
        owner = await uow.conn.execute(select(groups.c.owner_id).where(groups.c.id == record.target_id))
        return owner.scalar_one_or_none()


async def notices_sent(db: Database, *, staff: UserView, record: RecordView) -> list[NoticeSent]:
    """The account notices a record caused (applied, overdue, ended), to whom and whether read."""
    require_staff_role(staff.staff_role, MEASURE_READERS)
    async with db.uow(write=False) as uow:
        rows = await uow.conn.execute(
            select(account_notices, users.c.nickname)
            .join(users, users.c.id == account_notices.c.user_id)
            .where(account_notices.c.kind.in_(RECORD_NOTICE_KINDS), account_notices.c.created_at >= record.created_at)
            .order_by(account_notices.c.id)
            .limit(2000)
        )
        return [
            NoticeSent(n.user_id, n.nickname, n.kind, n.created_at, n.read_at)
            for n in rows
            if (n.details or {}).get("record_id") == record.id
        ]


def _valid_id(record_id: int) -> int:
    if not 1 <= record_id < 2**63:
        raise NotFound("No such measure", code=ErrorCode.MEASURE_NOT_FOUND)
    return record_id


# --- the subject ----------------------------------------------------------------------------------------------------


def _mine(actor: int) -> Any:
    """Records on me, on a message of mine, on a group I own (a closed one too: its owner of record), or on a group
    I manage now."""
    r = enforcement_records.c
    led = select(memberships.c.group_id).where(
        memberships.c.user_id == actor, memberships.c.role.in_(("creator", "manager"))
    )
    authored = select(messages.c.id).where(messages.c.sender_id == actor)
    owned = select(groups.c.id).where(groups.c.owner_id == actor)
    return or_(
        and_(r.target_type == "user", r.target_id == actor),
        and_(r.target_type == "group", or_(r.target_id.in_(led), r.target_id.in_(owned))),
        and_(r.target_type == "message", r.target_id.in_(authored)),
    )


async def my_measures(db: Database, *, actor: int, limit: int = 100) -> list[RecordView]:
    """The measures on me and on groups I own or manage, newest first (R-11-x)."""
    async with db.uow(write=False) as uow:
        return await _views(uow, _mine(actor), limit=max(1, min(limit, PAGE_MAX)))


async def my_measure(db: Database, *, actor: int, record_id: int) -> RecordView:
    """One of my measures (someone else's answers "not found")."""
    async with db.uow(write=False) as uow:
        found = await _views(uow, and_(enforcement_records.c.id == _valid_id(record_id), _mine(actor)), limit=1)
    if not found:
        raise NotFound("No such measure", code=ErrorCode.MEASURE_NOT_FOUND)
    return found[0]


async def group_warnings(db: Database, *, actor: int, group_id: int) -> list[RecordView]:
    """The warnings in force on a group, for its owner and managers (the chat's banner, D12); [] for others."""
    async with db.uow(write=False) as uow:
        role = (
            await uow.conn.execute(
                select(memberships.c.role).where(memberships.c.group_id == group_id, memberships.c.user_id == actor)
            )
        ).scalar_one_or_none()
        if role not in ("creator", "manager"):
            return []
        r = enforcement_records.c
        return await _views(
            uow,
            and_(
                r.target_type == "group",
                r.target_id == group_id,
                r.measure == MeasureKind.GROUP_WARNING.value,
                r.status == "active",
            ),
            limit=10,
        )


async def respond_to_warning(db: Database, *, actor: int, code: str, record_id: int, text: str, ctx: Ctx) -> RecordView:
    """The owner (or a manager) says what was done about a warning (D12): recorded on the warning, staff decide
    whether it is resolved. Answering again replaces the text; the record keeps each one."""
    body = text.strip()
    if not body:
        raise ValidationFailed("Say what was done", details={"field": "text", "reason": "required"})
    if len(body) > RESPONSE_MAX:
        raise ValidationFailed("The response is too long", details={"field": "text", "max": RESPONSE_MAX})
    parsed = parse_group_code(code)
    async with db.uow() as uow:
        rec = await enforcement.load_record(uow, record_id, for_update=True)
        gid = (await uow.conn.execute(select(groups.c.id).where(groups.c.code == parsed))).scalar_one_or_none()
        role = (
            await uow.conn.execute(
                select(memberships.c.role).where(memberships.c.group_id == gid, memberships.c.user_id == actor)
            )
        ).scalar_one_or_none()
        if (
            gid is None
            or rec.target_type != "group"
            or rec.target_id != gid
            or rec.measure != MeasureKind.GROUP_WARNING.value
            or role not in ("creator", "manager")
        ):
            raise NotFound("No such measure", code=ErrorCode.MEASURE_NOT_FOUND)
        if rec.status != "active":
            raise Conflict("This warning is closed", code=ErrorCode.MEASURE_NOT_ACTIVE, details={"status": rec.status})
        await uow.conn.execute(
            update(enforcement_records)
            .where(enforcement_records.c.id == record_id)
            .values(owner_response=body, responded_at=ctx.now)
        )
        await netlog.record(
            uow, ctx, "enforcement.respond", Target("enforcement_record", record_id, gid), actor=actor,
            role=role, text=body,
        )  # fmt: skip
        await uow.commit()
    return await my_measure(db, actor=actor, record_id=record_id)


# --- the expiry job -------------------------------------------------------------------------------------------------


async def lift_expired(db: Database, *, now: datetime, page: int = 100) -> int:
    """One batch of the expiry job: lift up to `page` active measures whose period has ended (`expired`) and mark
    warnings past their deadline `overdue`, in one transaction. Returns how many it handled (the job calls it
    again while a batch comes back full, jobs/schedule.py::run_job)."""
    r = enforcement_records.c
    ctx = Ctx.system(now)
    async with db.uow(write=False) as uow:
        due = list(
            await uow.conn.execute(
                select(r.id, r.measure)
                .where(r.status == "active", r.ends_at.is_not(None), r.ends_at <= now)
                .order_by(r.ends_at, r.id)
                .limit(page)
            )
        )
    if not due:
        return 0
    async with db.uow() as uow:
        for row in due:
            if row.measure == MeasureKind.GROUP_WARNING.value:
                await enforcement.mark_overdue(uow, record_id=row.id, ctx=ctx)
                continue
            try:
                await enforcement.lift_measure(
                    uow, record_id=row.id, reason="period ended", lifted_by=None, ctx=ctx, status="expired"
                )
            except Conflict:  # lifted by someone else since the read
                continue
        await uow.commit()
    return len(due)
