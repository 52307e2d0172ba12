"""Read-only inspection views (R-13.1-4): regulators within the scope of their access (domain/inspection.py),
administrators and compliance officers without limit.

Groups in scope; one group's members over time, its messages with the deleted and held ones marked, its measures;
the complaint figures; the operation log searched by account, IP, group and time. Every view is itself an operation
record (`inspect.view`, with what was viewed and how many rows) written in the transaction that read it, so no view
happens without its record; a refusal (out of scope, access ended) is recorded too, with its error code. Nothing here
changes anything else.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, false, or_, select, true

from qunzu import netlog
from qunzu.context import Ctx
from qunzu.domain.complaint_figures import FigureRow
from qunzu.domain.groupcode import parse_group_code
from qunzu.domain.inspection import Scope, check_access_current, check_in_scope, clamp_window
from qunzu.errors import ErrorCode, NotFound, QunzuError
from qunzu.netlog import Target
from qunzu.services import report_package
from qunzu.services.inspection_scope import load_scope
from qunzu.services.views import UserView
from qunzu.storage.tables import enforcement_records, groups, memberships, messages, operation_log, users
from qunzu.storage.uow import Database, UnitOfWork

LIMIT = 500  # rows per view; narrow the window or the search for more
# The operation records that change who is in a group (services/joining.py, group_roles.py, groups.py).
MEMBERSHIP_ACTIONS = (
    "group.create", "group.join", "group.invitation_accept", "group.join_request_decision", "group.leave",
    "group.remove", "group.transfer", "group.dissolve",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class InspectGroup:
    id: int
    code: str
    name: str
    category: str
    status: str
    member_count: int
    owner_id: int
    created_at: datetime


@dataclass(frozen=True, slots=True)
class LogRow:
    id: int
    ts: datetime
    actor_id: int | None
    action: str
    target_type: str | None
    target_id: str | None
    group_id: int | None
    src_ip: str | None
    src_port: int | None
    result: str
    error_code: str | None
    details: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class Member:
    user_id: int
    username: str
    nickname: str
    role: str
    joined_at: datetime


@dataclass(frozen=True, slots=True)
class InspectMessage:
    id: int
    seq: int | None
    sender_id: int
    sender_nickname: str
    text: str
    created_at: datetime
    src_ip: str | None
    src_port: int | None
    review_state: str
    deleted_at: datetime | None
    deleted_by: int | None
    delete_reason: str | None

    @property
    def held(self) -> bool:
        return self.review_state == "held"


@dataclass(frozen=True, slots=True)
class InspectMeasure:
    id: int
    target_type: str
    target_id: int
    measure: str
    reason_code: str
    clause: str
    legal_basis: str
    reason: str
    source: str
    starts_at: datetime
    ends_at: datetime | None
    status: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class GroupFile:
    """One group as an inspector sees it: the group, the scope's window, and the view's rows."""

    group: InspectGroup
    window_from: datetime | None
    window_to: datetime | None
    members: list[Member]
    history: list[LogRow]
    messages: list[InspectMessage]
    measures: list[InspectMeasure]


def _group(r: Any) -> InspectGroup:
    return InspectGroup(id=r.id, code=r.code, name=r.name, category=r.category, status=r.status,
                        member_count=r.member_count, owner_id=r.owner_id, created_at=r.created_at)  # fmt: skip


def _log_row(r: Any) -> LogRow:
    return LogRow(id=r.id, ts=r.ts, actor_id=r.actor_id, action=r.action, target_type=r.target_type,
                  target_id=r.target_id, group_id=r.group_id, src_ip=r.src_ip, src_port=r.src_port, result=r.result,
                  error_code=r.error_code, details=r.details)  # fmt: skip


def _in_scope_clause(scope: Scope) -> Any:
    if scope.unlimited:
        return None
    return or_(
        groups.c.id.in_(sorted(scope.group_ids)) if scope.group_ids else false(),
        groups.c.category.in_(sorted(scope.categories)) if scope.categories else false(),
    )


def _window(column: Any, lo: datetime | None, hi: datetime | None) -> list[Any]:
    return [c for c in (column >= lo if lo else None, column < hi if hi else None) if c is not None]


async def _refuse(db: Database, ctx: Ctx, staff: UserView, target: Target, exc: QunzuError, **details: Any) -> None:
    """Record a refused view (the transaction that read was rolled back with the refusal)."""
    async with db.uow() as uow:
        await netlog.record(uow, ctx, "inspect.view", target, actor=staff.id, result="refused",
                            error_code=exc.code.value, **details)  # fmt: skip
        await uow.commit()


async def _scope(uow: UnitOfWork, staff: UserView, ctx: Ctx) -> Scope:
    scope = await load_scope(uow.conn, staff=staff)
    check_access_current(scope, at=ctx.now)
    return scope


async def list_groups(db: Database, *, staff: UserView, ctx: Ctx) -> list[InspectGroup]:
    """The groups in the inspector's scope (every group, newest first, for unlimited staff)."""
    try:
        async with db.uow() as uow:
            scope = await _scope(uow, staff, ctx)
            stmt = select(groups).order_by(groups.c.id.desc()).limit(LIMIT)
            if (clause := _in_scope_clause(scope)) is not None:
                stmt = stmt.where(clause)
            found = [_group(r) for r in await uow.conn.execute(stmt)]
            await netlog.record(uow, ctx, "inspect.view", Target("inspection", "groups"), actor=staff.id,
                                view="groups", rows=len(found))  # fmt: skip
            await uow.commit()
    except QunzuError as exc:
        await _refuse(db, ctx, staff, Target("inspection", "groups"), exc, view="groups")
        raise
    return found


async def group_file(db: Database, *, staff: UserView, code: str, view: str, ctx: Ctx) -> GroupFile:
    """One group in scope: `view` is members (now and over time), messages (deleted and held ones marked) or
    measures; records outside the scope's window are not shown. Out of scope: `forbidden`, recorded."""
    if view not in ("members", "messages", "measures"):
        raise NotFound()
    try:
        parsed = parse_group_code(code)
    except QunzuError:
        raise NotFound("No such group", code=ErrorCode.GROUP_NOT_FOUND) from None
    target = Target("group", parsed)
    try:
        async with db.uow() as uow:
            scope = await _scope(uow, staff, ctx)
            g = (await uow.conn.execute(select(groups).where(groups.c.code == parsed))).one_or_none()
            if g is None:
                raise NotFound("No such group", code=ErrorCode.GROUP_NOT_FOUND)
            target = Target.group(g.id, g.code)
            check_in_scope(scope, g.category, g.id, ctx.now)
            lo, hi = clamp_window(scope, None, None)
            file = GroupFile(group=_group(g), window_from=lo, window_to=hi, members=[], history=[], messages=[],
                             measures=[])  # fmt: skip
            if view == "members":
                file = await _members(uow, file)
            elif view == "messages":
                file = await _messages(uow, file)
            else:
                file = await _measures(uow, file)
            rows = len(file.members) + len(file.history) + len(file.messages) + len(file.measures)
            await netlog.record(uow, ctx, "inspect.view", target, actor=staff.id, view=view, rows=rows)
            await uow.commit()
    except QunzuError as exc:
        await _refuse(db, ctx, staff, target, exc, view=view)
        raise
    return file


async def _members(uow: UnitOfWork, f: GroupFile) -> GroupFile:
    now_rows = await uow.conn.execute(
        select(memberships, users.c.username, users.c.nickname)
        .join(users, users.c.id == memberships.c.user_id)
        .where(memberships.c.group_id == f.group.id)
        .order_by(memberships.c.joined_at)
        .limit(LIMIT)
    )
    members = [Member(user_id=r.user_id, username=r.username, nickname=r.nickname, role=r.role,
                      joined_at=r.joined_at) for r in now_rows]  # fmt: skip
    hist = await uow.conn.execute(
        select(operation_log)
        .where(operation_log.c.group_id == f.group.id, operation_log.c.action.in_(MEMBERSHIP_ACTIONS),
               *_window(operation_log.c.ts, f.window_from, f.window_to))
        .order_by(operation_log.c.ts, operation_log.c.id)
        .limit(LIMIT)
    )  # fmt: skip
    return _replace(f, members=members, history=[_log_row(r) for r in hist])


async def _messages(uow: UnitOfWork, f: GroupFile) -> GroupFile:
    rows = await uow.conn.execute(
        select(messages)
        .where(messages.c.group_id == f.group.id, *_window(messages.c.created_at, f.window_from, f.window_to))
        .order_by(messages.c.id.desc())
        .limit(LIMIT)
    )
    found = [
        InspectMessage(id=r.id, seq=r.seq, sender_id=r.sender_id, sender_nickname=r.sender_nickname, text=r.text,
                       created_at=r.created_at, src_ip=r.src_ip, src_port=r.src_port, review_state=r.review_state,
                       deleted_at=r.deleted_at, deleted_by=r.deleted_by, delete_reason=r.delete_reason)
        for r in rows
    ]  # fmt: skip
    return _replace(f, messages=found)


async def _measures(uow: UnitOfWork, f: GroupFile) -> GroupFile:
    rows = await uow.conn.execute(
        select(enforcement_records)
        .where(enforcement_records.c.group_id == f.group.id,
               *_window(enforcement_records.c.created_at, f.window_from, f.window_to))
        .order_by(enforcement_records.c.id.desc())
        .limit(LIMIT)
    )  # fmt: skip
    found = [
        InspectMeasure(id=r.id, target_type=r.target_type, target_id=r.target_id, measure=r.measure,
                       reason_code=r.reason_code, clause=r.clause, legal_basis=r.legal_basis, reason=r.reason,
                       source=r.source, starts_at=r.starts_at, ends_at=r.ends_at, status=r.status,
                       created_at=r.created_at)
        for r in rows
    ]  # fmt: skip
    return _replace(f, measures=found)


def _replace(f: GroupFile, **changes: Any) -> GroupFile:
    from dataclasses import replace

    return replace(f, **changes)


async def search_log(
    db: Database,
    *,
    staff: UserView,
    actor_id: int | None = None,
    ip: str | None = None,
    group_code: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    ctx: Ctx,
    download: bool = False,
) -> list[LogRow]:
    """Operation records by account, source IP, group and time, newest first. A regulator sees only the records of
    groups in scope, within the window; a group named outside the scope is refused (`forbidden`). `download` marks
    the record as a download (`inspect.download`)."""
    action = "inspect.download" if download else "inspect.view"
    query = {"actor_id": actor_id, "ip": ip, "group": group_code,
             "since": since.isoformat() if since else None, "until": until.isoformat() if until else None}  # fmt: skip
    query = {k: v for k, v in query.items() if v is not None}
    target = Target("inspection", "log")
    try:
        async with db.uow() as uow:
            scope = await _scope(uow, staff, ctx)
            where: list[Any] = []
            if group_code:
                try:
                    parsed = parse_group_code(group_code)
                except QunzuError:
                    raise _no_group() from None
                g = (await uow.conn.execute(select(groups).where(groups.c.code == parsed))).one_or_none()
                if g is None:
                    raise _no_group()
                target = Target.group(g.id, g.code)
                check_in_scope(scope, g.category, g.id, ctx.now)
                where.append(operation_log.c.group_id == g.id)
            elif (clause := _in_scope_clause(scope)) is not None:
                where.append(operation_log.c.group_id.in_(select(groups.c.id).where(clause)))
            if actor_id is not None:
                where.append(operation_log.c.actor_id == actor_id)
            if ip:
                where.append(operation_log.c.src_ip == ip)
            lo, hi = clamp_window(scope, since, until)
            where += _window(operation_log.c.ts, lo, hi)
            rows = await uow.conn.execute(
                select(operation_log).where(and_(*where) if where else true())
                .order_by(operation_log.c.ts.desc(), operation_log.c.id.desc()).limit(LIMIT)
            )  # fmt: skip
            found = [_log_row(r) for r in rows]
            await netlog.record(uow, ctx, action, target, actor=staff.id, view="log", query=query, rows=len(found))
            await uow.commit()
    except QunzuError as exc:
        await _refuse(db, ctx, staff, target, exc, view="log", query=query)
        raise
    return found


def _no_group() -> NotFound:
    return NotFound("No such group", code=ErrorCode.GROUP_NOT_FOUND, details={"field": "group"})


async def figures(
    db: Database, *, staff: UserView, period_from: datetime, period_to: datetime, ctx: Ctx
) -> list[FigureRow]:
    """The complaint supervision figures (R-12.1-3) of [from, to), narrowed to a regulator's window."""
    target = Target("inspection", "figures")
    try:
        async with db.uow(write=False) as uow:
            scope = await _scope(uow, staff, ctx)
        lo, hi = clamp_window(scope, period_from, period_to)
        assert lo is not None and hi is not None
        rows = await report_package.figures(db, staff=None, period_from=lo, period_to=max(hi, lo), now=ctx.now)
        async with db.uow() as uow:
            await netlog.record(uow, ctx, "inspect.view", target, actor=staff.id, view="figures",
                                period_from=lo.isoformat(), period_to=hi.isoformat())  # fmt: skip
            await uow.commit()
    except QunzuError as exc:
        await _refuse(db, ctx, staff, target, exc, view="figures")
        raise
    return rows


def log_as_csv(rows: list[LogRow]) -> bytes:
    """A log search as CSV (UTF-8 with a BOM, so spreadsheet programs read the Chinese right)."""
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["id", "ts", "actor_id", "action", "target_type", "target_id", "group_id", "src_ip", "src_port",
                "result", "error_code", "details"])  # fmt: skip
    for r in rows:
        w.writerow([r.id, r.ts.isoformat(), r.actor_id, r.action, r.target_type, r.target_id, r.group_id, r.src_ip,
                    r.src_port, r.result, r.error_code,
                    json.dumps(r.details, ensure_ascii=False) if r.details else ""])  # fmt: skip
    return ("\ufeff" + out.getvalue()).encode()


__all__: Sequence[str] = (
    "GroupFile", "InspectGroup", "InspectMeasure", "InspectMessage", "LogRow", "Member", "figures", "group_file",
    "list_groups", "log_as_csv", "search_log",
)  # fmt: skip
