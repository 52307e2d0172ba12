"""Placing, listing and releasing legal holds (R-13.1-3; rules in domain/legal_holds.py).

Administrators and compliance officers place and release holds; the regulator role reads them. Each step is an
operation record (`legal_hold.place`, `legal_hold.release`) in the same transaction. A released hold stays on record;
the next purge takes what it was keeping.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update

from qunzu import netlog
from qunzu.context import Ctx
from qunzu.domain.accounts import normalise_username
from qunzu.domain.groupcode import format_group_code, parse_group_code
from qunzu.domain.legal_holds import HoldSpec, check_hold
from qunzu.domain.staff import HOLD_KEEPERS, HOLD_READERS, require_staff_role
from qunzu.domain.text import parse_int
from qunzu.errors import Conflict, ErrorCode, NotFound, QunzuError, ValidationFailed
from qunzu.netlog import Target
from qunzu.services.views import UserView
from qunzu.storage.tables import groups, legal_holds, operation_log, users
from qunzu.storage.uow import Database, UnitOfWork


@dataclass(frozen=True, slots=True)
class HoldView:
    id: int
    subject_type: str
    subject_id: int | None
    label: str
    starts_at: datetime | None
    ends_at: datetime | None
    authority: str
    document_number: str | None
    reason: str
    created_by: int | None
    created_by_name: str | None
    created_at: datetime
    released_at: datetime | None
    released_by: int | None
    release_reason: str | None
    records_held: int  # operation records it covers now

    @property
    def active(self) -> bool:
        return self.released_at is None


async def resolve_subject(db: Database, *, staff: UserView, subject_type: str, subject: str) -> tuple[int, str]:
    """(id, label) of a hold's subject as staff type it: a user by username (or id), a group by code."""
    require_staff_role(staff.staff_role, HOLD_KEEPERS)
    raw = subject.strip()
    if not raw:
        raise ValidationFailed("Name the user or group to hold", details={"field": "subject", "reason": "required"})
    async with db.uow(write=False) as uow:
        if subject_type == "group":
            try:
                code = parse_group_code(raw)
            except QunzuError:
                raise NotFound("No such group", code=ErrorCode.GROUP_NOT_FOUND, details={"field": "subject"}) from None
            found = (await uow.conn.execute(select(groups.c.id, groups.c.code).where(groups.c.code == code))).first()
            if found is None:
                raise NotFound("No such group", code=ErrorCode.GROUP_NOT_FOUND, details={"field": "subject"})
            return int(found.id), format_group_code(found.code)
        as_id = parse_int(raw, lo=1, hi=2**63 - 1)
        if as_id is not None:
            stmt = select(users.c.id, users.c.username).where(users.c.id == as_id)
        else:
            try:
                stmt = select(users.c.id, users.c.username).where(
                    users.c.username == normalise_username(raw.removeprefix("@"))
                )
            except QunzuError:
                raise NotFound("No such user", details={"field": "subject"}) from None
        row = (await uow.conn.execute(stmt)).first()
        if row is None:
            raise NotFound("No such user", details={"field": "subject"})
        return int(row.id), f"@{row.username}"


def _label(spec: HoldSpec, label: str | None) -> str:
    if spec.subject_type != "period":
        return (label or "")[:100]
    assert spec.starts_at is not None and spec.ends_at is not None
    return f"{spec.starts_at.isoformat(timespec='minutes')} – {spec.ends_at.isoformat(timespec='minutes')}"[:100]


async def place_hold(db: Database, *, staff: UserView, spec: HoldSpec, label: str | None, ctx: Ctx) -> HoldView:
    """Place a hold; recorded as `legal_hold.place` with the authority and document number."""
    require_staff_role(staff.staff_role, HOLD_KEEPERS)
    spec = check_hold(spec)
    async with db.uow() as uow:
        hold_id = (
            await uow.conn.execute(
                insert(legal_holds)
                .values(
                    subject_type=spec.subject_type, subject_id=spec.subject_id, label=_label(spec, label),
                    starts_at=spec.starts_at, ends_at=spec.ends_at, authority=spec.authority,
                    document_number=spec.document_number, reason=spec.reason, created_by=staff.id,
                    created_at=ctx.now,
                )
                .returning(legal_holds.c.id)
            )
        ).scalar_one()  # fmt: skip
        await netlog.record(
            uow, ctx, "legal_hold.place", Target("legal_hold", hold_id), actor=staff.id,
            subject_type=spec.subject_type, subject_id=spec.subject_id, authority=spec.authority,
            document_number=spec.document_number,
        )  # fmt: skip
        view = (await _views(uow, legal_holds.c.id == hold_id))[0]
        await uow.commit()
    return view


async def release_hold(db: Database, *, staff: UserView, hold_id: int, reason: str, ctx: Ctx) -> HoldView:
    """Release a hold (the next purge takes what it kept); recorded as `legal_hold.release`."""
    require_staff_role(staff.staff_role, HOLD_KEEPERS)
    reason = reason.strip()
    if not reason:
        raise ValidationFailed("State why the hold ends", details={"field": "reason", "reason": "required"})
    async with db.uow() as uow:
        found = await _views(uow, legal_holds.c.id == _valid(hold_id))
        if not found:
            raise NotFound("No such hold", code=ErrorCode.NOT_FOUND)
        if found[0].released_at is not None:
            raise Conflict("This hold was released already", code=ErrorCode.ALREADY_DECIDED)
        await uow.conn.execute(
            update(legal_holds)
            .where(legal_holds.c.id == hold_id, legal_holds.c.released_at.is_(None))
            .values(released_at=ctx.now, released_by=staff.id, release_reason=reason[:2000])
        )
        await netlog.record(uow, ctx, "legal_hold.release", Target("legal_hold", hold_id), actor=staff.id,
                            reason=reason[:200])  # fmt: skip
        view = (await _views(uow, legal_holds.c.id == hold_id))[0]
        await uow.commit()
    return view


async def list_holds(db: Database, *, staff: UserView, active_only: bool = False, limit: int = 200) -> list[HoldView]:
    """Holds, active ones first, newest first."""
    require_staff_role(staff.staff_role, HOLD_READERS)
    async with db.uow(write=False) as uow:
        where = legal_holds.c.released_at.is_(None) if active_only else None
        views = await _views(uow, where, limit=limit)
    return sorted(views, key=lambda v: (not v.active, -v.id))


def _valid(hold_id: int) -> int:
    if not 1 <= hold_id < 2**63:
        raise NotFound("No such hold", code=ErrorCode.NOT_FOUND)
    return hold_id


async def _views(uow: UnitOfWork, where: Any, *, limit: int = 200) -> list[HoldView]:
    from qunzu.netlog.retention import held_by

    maker = users.alias("maker")
    stmt = (
        select(legal_holds, maker.c.username.label("maker_name"))
        .select_from(legal_holds.outerjoin(maker, maker.c.id == legal_holds.c.created_by))
        .order_by(legal_holds.c.id.desc())
        .limit(limit)
    )
    if where is not None:
        stmt = stmt.where(where)
    out = []
    for r in await uow.conn.execute(stmt):
        count = (await uow.conn.execute(select(func.count()).select_from(operation_log).where(held_by(r)))).scalar()
        out.append(
            HoldView(
                id=r.id, subject_type=r.subject_type, subject_id=r.subject_id, label=r.label, starts_at=r.starts_at,
                ends_at=r.ends_at, authority=r.authority, document_number=r.document_number, reason=r.reason,
                created_by=r.created_by, created_by_name=r.maker_name, created_at=r.created_at,
                released_at=r.released_at, released_by=r.released_by, release_reason=r.release_reason,
                records_held=int(count or 0),
            )
        )  # fmt: skip
    return out
