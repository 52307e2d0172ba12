"""The staff ticket desk (Art. 12, R-12.1-2): the queue of reported targets (high-risk first, reporters counted,
deadline countdowns and overdue marks), and one ticket with its snapshot and hash, its reporters and the decision
form (a reason required; upheld: a measure to apply, or a record to link)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from starlette.responses import RedirectResponse, Response

from qunzu.domain.content import REASON_CODES
from qunzu.domain.enforcement import GROUP_KINDS, MESSAGE_KINDS, USER_KINDS, MeasureKind
from qunzu.domain.groupcode import format_group_code
from qunzu.domain.staff import TICKET_HANDLERS
from qunzu.domain.text import parse_int
from qunzu.errors import ErrorCode, QunzuError, ValidationFailed
from qunzu.i18n import wait_text
from qunzu.services import complaint_desk, complaints
from qunzu.services.complaint_desk import MeasureRequest
from qunzu.services.complaints import category_text
from qunzu.web.context import Web, form_fields, staff_page
from qunzu.web.i18n import form_error
from qunzu.web.render import when
from qunzu.web.staff import _page, _refused

router = APIRouter(include_in_schema=False)
TicketDeskDep = Annotated[Web, Depends(staff_page(TICKET_HANDLERS))]
FLASHES = ("claimed", "released", "decided")
DECISION_FIELDS = (
    "outcome", "reason", "measure", "reason_code", "duration_hours", "rectification", "stars", "record_id",
)  # fmt: skip


def _at(iso: str | None) -> str:
    """A snapshot's ISO time as the console shows times (Beijing, to the minute)."""
    if not iso:
        return ""
    try:
        return when(datetime.fromisoformat(iso.replace("Z", "+00:00")))
    except ValueError:
        return iso


def _countdown(w: Web, due: Any, overdue: bool) -> str:
    """What is left until the deadline, or how long it has passed ("剩余 45 分钟" / "已超时 2 小时")."""
    ms = int(abs((due - w.ctx.now).total_seconds()) * 1000)
    return w.t("tickets.overdue_by" if overdue else "tickets.due_in", wait=wait_text(ms, w.lang))


@router.get("/staff/tickets")
async def queue(w: TicketDeskDep) -> Response:
    assert w.session is not None
    try:
        entries = await complaint_desk.ticket_queue(w.container.db, staff=w.session.user, now=w.ctx.now)
    except QunzuError as exc:
        return _refused(w, exc)
    items = [
        {
            "ticket_id": e.ticket_id,
            "target_type": e.target_type,
            "label": e.label,
            "group_code": format_group_code(e.group_code) if e.group_code else None,
            "tickets": e.tickets,
            "reporters": e.reporters,
            "categories": [category_text(c, w.lang) for c in e.categories],
            "high_risk": e.high_risk,
            "priority": e.priority,
            "due_at": e.due_at,
            "overdue": e.overdue,
            "countdown": _countdown(w, e.due_at, e.overdue),
            "claimed_by": e.claimed_by,
            "claimed_by_nickname": e.claimed_by_nickname,
            "mine": e.claimed_by == w.session.user.id,
        }
        for e in entries
    ]
    return _page(w, "staff_tickets.html", "tickets", items=items)


def _measures(target_type: str, has_group: bool) -> list[str]:
    """The measures that fit what was reported (their subject follows from the ticket)."""
    kinds: list[MeasureKind] = []
    if target_type == "message":
        kinds += sorted(MESSAGE_KINDS) + sorted(USER_KINDS)
    if target_type == "user" and has_group:
        kinds += sorted(USER_KINDS)
    if has_group:
        kinds += sorted(GROUP_KINDS)
    return [k.value for k in kinds]


async def _detail_page(w: Web, ticket_id: int, *, error: QunzuError | None = None,
                       values: dict[str, str] | None = None) -> Response:  # fmt: skip
    assert w.session is not None
    sla = complaints.sla_of(w.container.settings.complaints)
    try:
        d = await complaint_desk.ticket_detail(
            w.container.db, staff=w.session.user, ticket_id=ticket_id, now=w.ctx.now, sla=sla
        )
    except QunzuError as exc:
        if exc.code is ErrorCode.TICKET_NOT_FOUND:
            return w.not_found()
        return _refused(w, exc)
    flash = w.request.query_params.get("done", "")
    return _page(
        w,
        "staff_tickets_detail.html",
        "tickets",
        status_code=(409 if error.code in (ErrorCode.TICKET_CLAIMED, ErrorCode.ALREADY_DECIDED) else 422)
        if error
        else 200,
        d=d,
        snap=d.snapshot,
        at=_at,
        category=category_text(d.category, w.lang),
        report_categories={r.category: category_text(r.category, w.lang) for r in d.reports},
        group_code_display=format_group_code(d.group_code) if d.group_code else None,
        countdown=_countdown(w, d.due_at, d.overdue),
        mine=d.claimed_by == w.session.user.id,
        decided=d.status in ("upheld", "rejected"),
        measures=_measures(d.target_type, d.group_id is not None),
        reason_codes=list(REASON_CODES),
        values=dict.fromkeys(DECISION_FIELDS, "") | (values or {}),
        error=form_error(error, w.lang) if error else None,
        flash=flash if flash in FLASHES else None,
    )


def _ticket_id(raw: str) -> int | None:
    return parse_int(raw, lo=1)


@router.get("/staff/tickets/{ticket_id}")
async def detail(ticket_id: str, w: TicketDeskDep) -> Response:
    tid = _ticket_id(ticket_id)
    return await _detail_page(w, tid) if tid else w.not_found()


async def _act(w: Web, ticket_id: str, action: str) -> Response:
    assert w.session is not None
    tid = _ticket_id(ticket_id)
    if tid is None:
        return w.not_found()
    f = await form_fields(w.request, "csrf")
    try:
        w.check_csrf(f["csrf"])
        act = complaint_desk.claim_ticket if action == "claim" else complaint_desk.release_ticket
        await act(w.container.db, staff=w.session.user, ticket_id=tid, ctx=w.ctx)
    except QunzuError as exc:
        return await _detail_page(w, tid, error=exc)
    done = "claimed" if action == "claim" else "released"
    return RedirectResponse(f"/staff/tickets/{tid}?done={done}", status_code=303)


@router.post("/staff/tickets/{ticket_id}/claim")
async def claim(ticket_id: str, w: TicketDeskDep) -> Response:
    return await _act(w, ticket_id, "claim")


@router.post("/staff/tickets/{ticket_id}/release")
async def release(ticket_id: str, w: TicketDeskDep) -> Response:
    return await _act(w, ticket_id, "release")


def _measure(f: dict[str, str]) -> MeasureRequest | None:
    if not f["measure"]:
        return None
    hours = parse_int(f["duration_hours"], lo=1) if f["duration_hours"].strip() else None
    if f["duration_hours"].strip() and hours is None:
        raise ValidationFailed("The period is a whole number of hours", details={"field": "duration_hours"})
    return MeasureRequest(
        kind=f["measure"], reason_code=f["reason_code"] or "other",
        duration=timedelta(hours=hours) if hours else None, rectification=f["rectification"].strip() or None,
        stars=parse_int(f["stars"], lo=1, hi=5),
    )  # fmt: skip


@router.post("/staff/tickets/{ticket_id}/decide")
async def decide(ticket_id: str, w: TicketDeskDep) -> Response:
    """Uphold or reject with a reason; upheld: optionally apply a measure or link a record."""
    assert w.session is not None
    tid = _ticket_id(ticket_id)
    if tid is None:
        return w.not_found()
    f = await form_fields(w.request, *DECISION_FIELDS, "csrf")
    try:
        w.check_csrf(f["csrf"])
        record = parse_int(f["record_id"], lo=1) if f["record_id"].strip() else None
        if f["record_id"].strip() and record is None:
            raise ValidationFailed("A record is named by its number", details={"field": "record_id"})
        await complaint_desk.decide_ticket(
            w.container.db, staff=w.session.user, ticket_id=tid, outcome=f["outcome"], reason=f["reason"],
            ctx=w.ctx, measure=_measure(f), record_id=record,
        )  # fmt: skip
    except QunzuError as exc:
        return await _detail_page(w, tid, error=exc, values=f)
    return RedirectResponse(f"/staff/tickets/{tid}?done=decided", status_code=303)
