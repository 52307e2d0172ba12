"""Lawful requests of an authority (Art. 13 ¶1, R-13.1-1, CSL Art. 28 / new 30): record, decide, deliver.

An administrator or compliance officer records what the authority asks for (rules in domain/lawful_requests.py);
another one approves or refuses it; the approved request is answered with a signed package
(services/lawful_answer.py), listed in the disclosure register, and marked delivered when it has been handed over.
Every step is an operation record written in the step's transaction: `lawful.request`, `lawful.approve`,
`lawful.refuse`, `lawful.answer`, `lawful.deliver`. The regulator role reads the list; it neither records, decides
nor answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from qunzu import netlog
from qunzu.context import Ctx
from qunzu.domain import lawful_requests as lr
from qunzu.domain.accounts import normalise_username
from qunzu.domain.groupcode import parse_group_code
from qunzu.domain.staff import LAWFUL_OFFICERS, LAWFUL_READERS, require_staff_role
from qunzu.domain.text import parse_int
from qunzu.errors import Conflict, ErrorCode, NotFound, QunzuError
from qunzu.netlog import Target
from qunzu.services.views import UserView
from qunzu.storage.tables import disclosure_register, groups, lawful_requests, users
from qunzu.storage.uow import Database, UnitOfWork


@dataclass(frozen=True, slots=True)
class RequestView:
    id: int
    authority: str
    document_number: str
    legal_basis: str
    reason: str
    scope: dict[str, Any]  # groups [{id, code}], accounts [{id, username}], addresses [{ip, port}], include_identity
    period_from: datetime
    period_to: datetime
    status: str
    requested_by: int
    requester: str | None
    requested_at: datetime
    decided_by: int | None
    decider: str | None
    decided_at: datetime | None
    decision_reason: str | None
    register_id: int | None
    answered_at: datetime | None
    file_name: str | None  # the answer's package
    counts: dict[str, int] | None
    delivered_at: datetime | None

    @property
    def include_identity(self) -> bool:
        return bool(self.scope.get("include_identity"))


def not_found() -> NotFound:
    return NotFound("No such lawful request", code=ErrorCode.LAWFUL_REQUEST_NOT_FOUND)


async def _resolve(uow: UnitOfWork, spec: lr.RequestSpec) -> dict[str, Any]:
    """The scope as stored: each group code and account resolved, or `not found` naming the field and the value."""
    found_groups = []
    for raw in spec.group_codes:
        try:
            code = parse_group_code(raw)
        except QunzuError as exc:
            raise QunzuError(exc.message, code=exc.code, details={"field": "group_codes", "value": raw}) from None
        g = (await uow.conn.execute(select(groups.c.id, groups.c.code).where(groups.c.code == code))).first()
        if g is None:
            raise NotFound("No group has this code", code=ErrorCode.GROUP_NOT_FOUND,
                           details={"field": "group_codes", "value": raw})  # fmt: skip
        found_groups.append({"id": int(g.id), "code": g.code})
    found_users = []
    for raw in spec.accounts:
        user_id = parse_int(raw, lo=1, hi=2**62)
        try:
            where = users.c.id == user_id if user_id else users.c.username == normalise_username(raw.removeprefix("@"))
        except QunzuError:
            raise NotFound("No such account", details={"field": "accounts", "value": raw}) from None
        u = (await uow.conn.execute(select(users.c.id, users.c.username).where(where))).first()
        if u is None:
            raise NotFound("No such account", details={"field": "accounts", "value": raw})
        found_users.append({"id": int(u.id), "username": u.username})
    return {
        "groups": list({g["id"]: g for g in found_groups}.values()),
        "accounts": list({u["id"]: u for u in found_users}.values()),
        "addresses": [a.as_dict() for a in spec.parsed_addresses],
        "include_identity": spec.include_identity,
    }


async def record_request(db: Database, *, staff: UserView, spec: lr.RequestSpec, ctx: Ctx) -> RequestView:
    """Record an authority's request, pending a second officer's decision; recorded as `lawful.request`."""
    require_staff_role(staff.staff_role, LAWFUL_OFFICERS)
    spec = lr.check_request(spec)
    async with db.uow() as uow:
        scope = await _resolve(uow, spec)
        request_id = (
            await uow.conn.execute(
                lawful_requests.insert()
                .values(
                    authority=spec.authority, document_number=spec.document_number, legal_basis=spec.legal_basis,
                    scope=scope, period_from=spec.period_from, period_to=spec.period_to, reason=spec.reason,
                    status=lr.PENDING, requested_by=staff.id, requested_at=ctx.now,
                )
                .returning(lawful_requests.c.id)
            )
        ).scalar_one()  # fmt: skip
        await netlog.record(
            uow, ctx, "lawful.request", Target("lawful_request", request_id), actor=staff.id,
            authority=spec.authority, document_number=spec.document_number, scope=scope,
            period_from=spec.period_from.isoformat(), period_to=spec.period_to.isoformat(),
        )  # fmt: skip
        view = await _view(uow, request_id)
        await uow.commit()
    return view


async def decide_request(
    db: Database, *, staff: UserView, request_id: int, approve: bool, reason: str, ctx: Ctx
) -> RequestView:
    """Approve or refuse a pending request (never one's own: four eyes); a refusal says why. Recorded as
    `lawful.approve` or `lawful.refuse`."""
    require_staff_role(staff.staff_role, LAWFUL_OFFICERS)
    reason = reason.strip()[: lr.REASON_MAX] if approve else lr.check_refusal(reason)
    async with db.uow() as uow:
        row = await load_request(uow, request_id, lock=True)
        lr.check_decider(requested_by=row.requested_by, decider=staff.id)
        lr.check_pending(row.status)
        status = lr.APPROVED if approve else lr.REFUSED
        changed = await uow.conn.execute(
            update(lawful_requests)
            .where(lawful_requests.c.id == request_id, lawful_requests.c.status == lr.PENDING)
            .values(status=status, decided_by=staff.id, decided_at=ctx.now, decision_reason=reason or None)
        )
        if changed.rowcount != 1:
            raise Conflict("This request has been decided already", code=ErrorCode.ALREADY_DECIDED)
        await netlog.record(
            uow, ctx, "lawful.approve" if approve else "lawful.refuse", Target("lawful_request", request_id),
            actor=staff.id, document_number=row.document_number, reason=reason[:200] or None,
        )  # fmt: skip
        view = await _view(uow, request_id)
        await uow.commit()
    return view


async def mark_delivered(db: Database, *, staff: UserView, request_id: int, ctx: Ctx) -> RequestView:
    """Note that the answer's package was handed to the authority (`delivered_at` on its register entry); recorded
    as `lawful.deliver`. Only an answered request has a package to deliver; delivering twice is refused."""
    require_staff_role(staff.staff_role, LAWFUL_OFFICERS)
    async with db.uow() as uow:
        row = await load_request(uow, request_id, lock=True)
        if row.status != lr.ANSWERED or row.register_id is None:
            raise QunzuError("Only an answered request has a package to deliver",
                             code=ErrorCode.LAWFUL_REQUEST_NOT_APPROVED, details={"status": row.status})  # fmt: skip
        changed = await uow.conn.execute(
            update(disclosure_register)
            .where(disclosure_register.c.id == row.register_id, disclosure_register.c.delivered_at.is_(None))
            .values(delivered_at=ctx.now)
        )
        if changed.rowcount != 1:
            raise Conflict("The package was marked delivered already", code=ErrorCode.ALREADY_DECIDED)
        await netlog.record(uow, ctx, "lawful.deliver", Target("lawful_request", request_id), actor=staff.id,
                            register_id=row.register_id, document_number=row.document_number)  # fmt: skip
        view = await _view(uow, request_id)
        await uow.commit()
    return view


async def list_requests(
    db: Database, *, staff: UserView, status: str | None = None, limit: int = 200
) -> list[RequestView]:
    """The requests, newest first, optionally of one status (officers and the regulator role)."""
    require_staff_role(staff.staff_role, LAWFUL_READERS)
    async with db.uow(write=False) as uow:
        where = [lawful_requests.c.status == status] if status in lr.STATES else []
        return await _views(uow, *where, limit=limit)


async def get_request(db: Database, *, staff: UserView, request_id: int) -> RequestView:
    """One request with its decision and its answer's register entry (officers and the regulator role)."""
    require_staff_role(staff.staff_role, LAWFUL_READERS)
    async with db.uow(write=False) as uow:
        return await _view(uow, request_id)


# --- rows --------------------------------------------------------------------------------------------------------


async def load_request(uow: UnitOfWork, request_id: int, *, lock: bool = False) -> Any:
    """The request's row (locked for the transaction on PostgreSQL with `lock`), or `lawful_request_not_found`."""
    if not 1 <= request_id < 2**62:
        raise not_found()
    stmt = select(lawful_requests).where(lawful_requests.c.id == request_id)
    if lock and uow.dialect == "postgresql":
        stmt = stmt.with_for_update()
    row = (await uow.conn.execute(stmt)).one_or_none()
    if row is None:
        raise not_found()
    return row


async def _view(uow: UnitOfWork, request_id: int) -> RequestView:
    await load_request(uow, request_id)
    return (await _views(uow, lawful_requests.c.id == request_id))[0]


async def _views(uow: UnitOfWork, *where: Any, limit: int = 200) -> list[RequestView]:
    maker, decider = users.alias("maker"), users.alias("decider")
    stmt = (
        select(lawful_requests, maker.c.username.label("maker_name"), decider.c.username.label("decider_name"),
               disclosure_register.c.file_name, disclosure_register.c.counts, disclosure_register.c.delivered_at)
        .select_from(
            lawful_requests.outerjoin(maker, maker.c.id == lawful_requests.c.requested_by)
            .outerjoin(decider, decider.c.id == lawful_requests.c.decided_by)
            .outerjoin(disclosure_register, disclosure_register.c.id == lawful_requests.c.register_id)
        )
        .where(*where)
        .order_by(lawful_requests.c.id.desc())
        .limit(limit)
    )  # fmt: skip
    return [
        RequestView(
            id=r.id, authority=r.authority, document_number=r.document_number, legal_basis=r.legal_basis,
            reason=r.reason, scope=dict(r.scope), period_from=r.period_from, period_to=r.period_to, status=r.status,
            requested_by=r.requested_by, requester=r.maker_name, requested_at=r.requested_at,
            decided_by=r.decided_by, decider=r.decider_name, decided_at=r.decided_at,
            decision_reason=r.decision_reason, register_id=r.register_id, answered_at=r.answered_at,
            file_name=r.file_name, counts=dict(r.counts) if r.counts is not None else None,
            delivered_at=r.delivered_at,
        )
        for r in await uow.conn.execute(stmt)
    ]  # fmt: skip
