"""Administering the group policy (Art. 7 ¶1–2, Art. 8 ¶1): new versions, their filing with the CAC office, and the
second approval a raised global member cap needs.

- `write_version`: an administrator or compliance officer writes a new version from an edited body and the version
  they edited (`base_version`; another version written meanwhile → `policy_stale`, also under a race: the version
  number is the primary key). The body is validated by `domain/policy.parse_policy` (the error names the field); the
  hard cap may be lowered here but never raised (`second_approver_required`, R-8.1-4).
- `request_cap` / `decide_cap` / `withdraw_cap`: a raise of the hard cap is a request that a *different*
  administrator or compliance officer approves; the approval writes the new version.
- `mark_filed` / `filing_status`: each version records whether and under which reference it was filed (D15,
  R-7.1-3); the console warns while the version in force is not the last one filed.

Each write records `policy.version`, `policy.filing`, `policy.cap_request` or `policy.cap_decision` in the operation
log, with old → new, in its own transaction; the caller then calls `PolicyBook.invalidate()` (done here when given),
so the new version is in force at once in this process and within the book's ttl in the others.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError

from qunzu import netlog
from qunzu.context import Ctx
from qunzu.domain.accounts import StaffRole
from qunzu.domain.policy import GroupPolicy, parse_policy, policy_body, policy_changes
from qunzu.domain.policy_change import (
    check_cap_request,
    check_new_version,
    check_second_approver,
    filing_differs,
)
from qunzu.domain.staff import ANY_STAFF, require_staff_role
from qunzu.domain.text import clean_line
from qunzu.errors import Conflict, ErrorCode, NotFound, QunzuError, ValidationFailed
from qunzu.netlog import Target
from qunzu.services.accounts import user_view
from qunzu.services.policy import PolicyBook, newest_number
from qunzu.services.views import UserView
from qunzu.storage.tables import cap_requests, policy_versions, users
from qunzu.storage.uow import Database, UnitOfWork

# Write versions, file them, request and decide cap raises.
POLICY_EDITORS = frozenset({StaffRole.ADMIN.value, StaffRole.COMPLIANCE_OFFICER.value})
# Read the versions, their changes and the cap requests (every staff role; the numbers in force are public).
POLICY_READERS = ANY_STAFF
NOTE_MAX = 500
REF_MAX = 100


@dataclass(frozen=True, slots=True)
class VersionView:
    version: int
    body: dict[str, Any]
    changes: list[dict[str, Any]]
    note: str
    created_by: int | None
    author: str | None  # the author's username (None: the defaults shipped with Qunzu)
    created_at: datetime
    filed_at: datetime | None
    filed_ref: str | None
    filed_by: int | None
    filer: str | None

    @property
    def policy(self) -> GroupPolicy:
        return parse_policy(self.body)

    @property
    def filed(self) -> bool:
        return self.filed_at is not None


@dataclass(frozen=True, slots=True)
class FilingStatus:
    running: VersionView
    filed: VersionView | None  # the newest version filed with the CAC office

    @property
    def differs(self) -> bool:
        return filing_differs(self.running.version, self.filed.version if self.filed else None)


@dataclass(frozen=True, slots=True)
class CapRequestView:
    id: int
    value: int
    reason: str
    requested_by: int
    requester: str | None
    requested_at: datetime
    status: str
    decided_by: int | None
    decider: str | None
    decided_at: datetime | None
    decision_note: str | None
    policy_version: int | None


def stale(base_version: int, newest: int | None) -> QunzuError:
    return QunzuError(
        "Someone else changed the group policy; reload and try again",
        code=ErrorCode.POLICY_STALE,
        details={"base_version": base_version, "current_version": newest},
    )


async def _names(uow: UnitOfWork, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = await uow.conn.execute(select(users.c.id, users.c.username).where(users.c.id.in_(wanted)))
    return {r.id: r.username for r in rows}


def _version_view(row: Any, names: Mapping[int, str]) -> VersionView:
    return VersionView(
        version=row.version,
        body=dict(row.body),
        changes=list(row.changes or []),
        note=row.note or "",
        created_by=row.created_by,
        author=names.get(row.created_by) if row.created_by is not None else None,
        created_at=row.created_at,
        filed_at=row.filed_at,
        filed_ref=row.filed_ref,
        filed_by=row.filed_by,
        filer=names.get(row.filed_by) if row.filed_by is not None else None,
    )


def _cap_view(row: Any, names: Mapping[int, str]) -> CapRequestView:
    return CapRequestView(
        id=row.id,
        value=row.value,
        reason=row.reason,
        requested_by=row.requested_by,
        requester=names.get(row.requested_by),
        requested_at=row.requested_at,
        status=row.status,
        decided_by=row.decided_by,
        decider=names.get(row.decided_by) if row.decided_by is not None else None,
        decided_at=row.decided_at,
        decision_note=row.decision_note,
        policy_version=row.policy_version,
    )


async def _versions(uow: UnitOfWork, *where: Any, limit: int | None = None) -> list[VersionView]:
    q = select(policy_versions).where(*where).order_by(policy_versions.c.version.desc())
    rows = list(await uow.conn.execute(q.limit(limit) if limit else q))
    names = await _names(uow, [r.created_by for r in rows] + [r.filed_by for r in rows])
    return [_version_view(r, names) for r in rows]


# --- reading -------------------------------------------------------------------------------------------------------


async def staff_by_username(db: Database, username: str) -> UserView | None:
    """A staff account by its username (the operator command records who filed); None for no such staff account."""
    async with db.uow(write=False) as uow:
        row = (await uow.conn.execute(select(users).where(users.c.username == username))).one_or_none()
    return user_view(row) if row is not None and row.staff_role else None


async def get_version(db: Database, version: int | None = None) -> VersionView:
    """One version (None: the one in force). The policy's numbers are public: they are the published rules."""
    async with db.uow(write=False) as uow:
        number = version if version is not None else await newest_number(uow)
        found = await _versions(uow, policy_versions.c.version == number) if number is not None else []
    if not found:
        raise NotFound("No such policy version", details={"version": version})
    return found[0]


async def filing_status(db: Database) -> FilingStatus:
    """The version in force, the newest version filed with the CAC office, and whether they differ (D15)."""
    async with db.uow(write=False) as uow:
        (running,) = await _versions(uow, limit=1)
        filed = await _versions(uow, policy_versions.c.filed_at.is_not(None), limit=1)
    return FilingStatus(running=running, filed=filed[0] if filed else None)


async def list_versions(db: Database, *, staff: UserView, limit: int = 200) -> list[VersionView]:
    """Every version, newest first, with its author, note, changes and filing status (staff)."""
    require_staff_role(staff.staff_role, POLICY_READERS)
    async with db.uow(write=False) as uow:
        return await _versions(uow, limit=limit)


async def list_cap_requests(db: Database, *, staff: UserView, limit: int = 200) -> list[CapRequestView]:
    """The hard-cap requests, newest first (staff)."""
    require_staff_role(staff.staff_role, POLICY_READERS)
    async with db.uow(write=False) as uow:
        rows = list(await uow.conn.execute(select(cap_requests).order_by(cap_requests.c.id.desc()).limit(limit)))
        names = await _names(uow, [r.requested_by for r in rows] + [r.decided_by for r in rows])
    return [_cap_view(r, names) for r in rows]


# --- writing a version ---------------------------------------------------------------------------------------------


def _note(raw: str, *, field: str = "note", required: bool = False) -> str:
    text = clean_line(raw.strip(), field=field, required=required).strip()
    if len(text) > NOTE_MAX:
        raise ValidationFailed(f"{field}: at most {NOTE_MAX} characters", details={"field": field, "max": NOTE_MAX})
    return text


async def _current(uow: UnitOfWork) -> tuple[int, GroupPolicy]:
    newest = await newest_number(uow)
    if newest is None:
        raise NotFound("No group policy yet: start the server once")
    body = (
        await uow.conn.execute(select(policy_versions.c.body).where(policy_versions.c.version == newest))
    ).scalar_one()
    return newest, parse_policy(body)


async def _insert_version(
    uow: UnitOfWork, *, version: int, old: GroupPolicy, new: GroupPolicy, note: str, author: int, ctx: Ctx
) -> list[dict[str, Any]]:
    body = policy_body(new)
    changes = policy_changes(policy_body(old), body)
    await uow.conn.execute(
        insert(policy_versions).values(
            version=version, body=body, changes=changes, note=note, created_by=author, created_at=ctx.now
        )
    )
    await netlog.record(
        uow, ctx, "policy.version", Target("policy", f"v{version}"), actor=author, version=version,
        base_version=version - 1, note=note, changes=changes[:100],
    )  # fmt: skip
    return changes


async def write_version(
    db: Database,
    book: PolicyBook | None,
    *,
    staff: UserView,
    base_version: int,
    body: Mapping[str, Any],
    note: str,
    ceiling: int,
    ctx: Ctx,
) -> VersionView:
    """A new version from an edited body (R-7.1-2), in force at once; a raised hard cap is refused (R-8.1-4)."""
    require_staff_role(staff.staff_role, POLICY_EDITORS)
    new = parse_policy(body)
    note = _note(note)
    try:
        async with db.uow() as uow:
            newest, old = await _current(uow)
            if newest != base_version:
                raise stale(base_version, newest)
            check_new_version(old, new, ceiling=ceiling)
            if not policy_changes(policy_body(old), policy_body(new)):
                raise ValidationFailed("Nothing changed", details={"field": "policy", "reason": "unchanged"})
            await _insert_version(uow, version=newest + 1, old=old, new=new, note=note, author=staff.id, ctx=ctx)
            await uow.commit()
    except IntegrityError:  # another version took the number first
        raise stale(base_version, base_version + 1) from None
    if book is not None:
        book.invalidate()
    return await get_version(db, newest + 1)


# --- filing with the CAC office (D15) ------------------------------------------------------------------------------


async def mark_filed(db: Database, *, staff: UserView, version: int, ref: str, ctx: Ctx) -> VersionView:
    """Record that `version` was filed with the CAC office under reference `ref` (R-7.1-3)."""
    require_staff_role(staff.staff_role, POLICY_EDITORS)
    ref = clean_line(ref.strip(), field="ref").strip()
    if len(ref) > REF_MAX:
        raise ValidationFailed(f"ref: at most {REF_MAX} characters", details={"field": "ref", "max": REF_MAX})
    async with db.uow() as uow:
        done = await uow.conn.execute(
            update(policy_versions)
            .where(policy_versions.c.version == version, policy_versions.c.filed_at.is_(None))
            .values(filed_at=ctx.now, filed_ref=ref, filed_by=staff.id)
        )
        if done.rowcount != 1:
            exists = (
                await uow.conn.execute(select(func.count()).where(policy_versions.c.version == version))
            ).scalar_one()
            if not exists:
                raise NotFound("No such policy version", details={"version": version})
            raise Conflict(
                "This version is marked filed already", code=ErrorCode.ALREADY_DECIDED, details={"version": version}
            )
        await netlog.record(
            uow, ctx, "policy.filing", Target("policy", f"v{version}"), actor=staff.id, version=version, ref=ref
        )
        await uow.commit()
    return await get_version(db, version)


# --- raising the hard cap: a request and a second staff member's approval (R-8.1-4) -------------------------------


async def request_cap(
    db: Database, *, staff: UserView, value: int, reason: str, ceiling: int, ctx: Ctx
) -> CapRequestView:
    """Ask for a higher global hard cap; a different administrator or compliance officer decides."""
    require_staff_role(staff.staff_role, POLICY_EDITORS)
    reason = _note(reason, field="reason", required=True)
    async with db.uow() as uow:
        _, current = await _current(uow)
        check_cap_request(value, current=current.hard_cap, ceiling=ceiling)
        request_id = (
            await uow.conn.execute(
                insert(cap_requests)
                .values(value=value, reason=reason, requested_by=staff.id, requested_at=ctx.now, status="pending")
                .returning(cap_requests.c.id)
            )
        ).scalar_one()
        await netlog.record(
            uow, ctx, "policy.cap_request", Target("cap_request", request_id), actor=staff.id,
            old=current.hard_cap, new=value, reason=reason,
        )  # fmt: skip
        await uow.commit()
    return await _cap_request(db, request_id)


async def _cap_request(db: Database, request_id: int) -> CapRequestView:
    async with db.uow(write=False) as uow:
        row = (await uow.conn.execute(select(cap_requests).where(cap_requests.c.id == request_id))).one_or_none()
        if row is None:
            raise NotFound("No such cap request", details={"request_id": request_id})
        names = await _names(uow, [row.requested_by, row.decided_by])
    return _cap_view(row, names)


async def _pending(uow: UnitOfWork, request_id: int) -> Any:
    row = (await uow.conn.execute(select(cap_requests).where(cap_requests.c.id == request_id))).one_or_none()
    if row is None:
        raise NotFound("No such cap request", details={"request_id": request_id})
    if row.status != "pending":
        raise Conflict(
            "This request was decided already", code=ErrorCode.ALREADY_DECIDED, details={"status": row.status}
        )
    return row


async def _close(uow: UnitOfWork, request_id: int, **values: Any) -> None:
    """Close a pending request; a concurrent decision that closed it first makes this one `already_decided`."""
    done = await uow.conn.execute(
        update(cap_requests).where(cap_requests.c.id == request_id, cap_requests.c.status == "pending").values(**values)
    )
    if done.rowcount != 1:
        raise Conflict("This request was decided already", code=ErrorCode.ALREADY_DECIDED)


async def decide_cap(
    db: Database,
    book: PolicyBook | None,
    *,
    staff: UserView,
    request_id: int,
    approve: bool,
    note: str,
    ceiling: int,
    ctx: Ctx,
) -> CapRequestView:
    """Approve (a different staff member: the new version is written and in force) or refuse a cap request."""
    require_staff_role(staff.staff_role, POLICY_EDITORS)
    note = _note(note)
    try:
        async with db.uow() as uow:
            row = await _pending(uow, request_id)
            newest, current = await _current(uow)
            version = None
            if approve:
                check_second_approver(requested_by=row.requested_by, approver=staff.id)
                check_cap_request(row.value, current=current.hard_cap, ceiling=ceiling)
                version = newest + 1
                new = current.model_copy(update={"hard_cap": row.value})
                text = f"cap request #{request_id}: {row.reason}"[:NOTE_MAX]
                await _insert_version(uow, version=version, old=current, new=new, note=text, author=staff.id, ctx=ctx)
            await _close(
                uow, request_id, status="approved" if approve else "refused", decided_by=staff.id,
                decided_at=ctx.now, decision_note=note, policy_version=version,
            )  # fmt: skip
            await netlog.record(
                uow, ctx, "policy.cap_decision", Target("cap_request", request_id), actor=staff.id,
                approve=approve, old=current.hard_cap, new=row.value if approve else current.hard_cap,
                requested_by=row.requested_by, version=version, note=note,
            )  # fmt: skip
            await uow.commit()
    except IntegrityError:  # a version was written meanwhile: decide again on the new one
        raise stale(newest, newest + 1) from None
    if approve and book is not None:
        book.invalidate()
    return await _cap_request(db, request_id)


async def withdraw_cap(db: Database, *, staff: UserView, request_id: int, ctx: Ctx) -> CapRequestView:
    """The requester withdraws a pending cap request."""
    require_staff_role(staff.staff_role, POLICY_EDITORS)
    async with db.uow() as uow:
        row = await _pending(uow, request_id)
        if row.requested_by != staff.id:
            raise NotFound("No such cap request of yours", details={"request_id": request_id})
        await _close(uow, request_id, status="withdrawn", decided_by=staff.id, decided_at=ctx.now)
        await netlog.record(
            uow, ctx, "policy.cap_decision", Target("cap_request", request_id), actor=staff.id, withdrawn=True,
            old=row.value, new=None,
        )  # fmt: skip
        await uow.commit()
    return await _cap_request(db, request_id)
