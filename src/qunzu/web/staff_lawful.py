"""The staff console's lawful requests (R-13.1-1): `/staff/lawful` lists the requests with their states and holds the
form to record one; `/staff/lawful/{id}` shows one, with the approve and refuse forms for another officer, the
button that builds the signed answer once approved, its download (through the disclosure register) and the mark
that it was delivered. Administrators and compliance officers act; the regulator role reads the list and the
requests. The period is typed as Beijing calendar days, both included. Forms work without JavaScript and check the
page's CSRF token; the services check each role again.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends
from starlette.responses import RedirectResponse, Response

from qunzu.domain import lawful_requests as lr
from qunzu.domain.complaint_figures import BEIJING
from qunzu.domain.reports import beijing_day
from qunzu.domain.staff import LAWFUL_OFFICERS, LAWFUL_READERS
from qunzu.domain.text import clean_line, clean_text, parse_int
from qunzu.errors import ErrorCode, QunzuError, ValidationFailed
from qunzu.services import lawful_answer, lawful_requests
from qunzu.services.report_keys import signing_key
from qunzu.web.context import Web, form_fields, staff_page
from qunzu.web.i18n import error_field, form_error, translator
from qunzu.web.staff import _page, _refused

router = APIRouter(include_in_schema=False)
ReaderDep = Annotated[Web, Depends(staff_page(LAWFUL_READERS))]
OfficerDep = Annotated[Web, Depends(staff_page(LAWFUL_OFFICERS))]
FIELDS = (
    "authority", "document_number", "legal_basis", "reason", "from_day", "to_day", "group_codes", "accounts",
    "addresses", "csrf",
)  # fmt: skip
# A service's field → the form's input, to mark the one at fault.
FORM_FIELD = {"period_from": "from_day", "period_to": "to_day"}
LIST_SPLIT = re.compile(r"[\s,，、;；]+")
FLASHES = ("recorded", "approved", "refused", "answered", "delivered")


def _day(raw: str, field: str, *, end: bool) -> datetime:
    """A Beijing calendar day → the instant it begins (`end`: the instant after it ends)."""
    try:
        d = date.fromisoformat(raw.strip())
        return datetime.combine(d + timedelta(days=1) if end else d, time(), BEIJING)
    except (ValueError, OverflowError):  # not a date, or 9999-12-31 with no day after it
        raise ValidationFailed("A day is written YYYY-MM-DD", details={"field": field, "reason": "invalid"}) from None


def _last_day(period_to: datetime) -> str:
    """The last Beijing day a period [from, to) covers."""
    return beijing_day(period_to - timedelta(milliseconds=1))


def _items(raw: str) -> tuple[str, ...]:
    return tuple(item for item in LIST_SPLIT.split(raw) if item)


def _message(w: Web, exc: QunzuError) -> str:
    """A form error: this page's own sharper text for a field it names, else the usual one."""
    t = translator(w.lang)
    field, reason = exc.details.get("field"), exc.details.get("reason")
    key = f"lawful.error.{field}.{reason}"
    if exc.code is ErrorCode.VALIDATION_FAILED and t(key) != key:
        return t(key)
    return form_error(exc, w.lang)


def _field(exc: QunzuError) -> str | None:
    field = error_field(exc)
    return FORM_FIELD.get(field or "", field)


async def _list(w: Web, *, form: dict[str, str] | None = None, include: bool = False,
                error: QunzuError | None = None) -> Response:  # fmt: skip
    assert w.session is not None
    try:
        requests = await lawful_requests.list_requests(w.container.db, staff=w.session.user)
    except QunzuError as exc:
        return _refused(w, exc)
    today = beijing_day(w.ctx.now)
    status = 200 if error is None else 404 if error.code in (ErrorCode.GROUP_NOT_FOUND, ErrorCode.NOT_FOUND) else 422
    return _page(
        w, "staff_lawful.html", "lawful", status_code=status, requests=requests, day=beijing_day, last_day=_last_day,
        can_act=w.session.user.staff_role in LAWFUL_OFFICERS, include_identity=include,
        form=dict.fromkeys(FIELDS, "") | {"from_day": today, "to_day": today} | (form or {}),
        error=_message(w, error) if error else None, error_field=_field(error) if error else None,
    )  # fmt: skip


@router.get("/staff/lawful")
async def requests(w: ReaderDep) -> Response:
    return await _list(w)


@router.post("/staff/lawful")
async def record(w: OfficerDep) -> Response:
    """Record a request; then its page, pending another officer's decision."""
    assert w.session is not None
    f = await form_fields(w.request, *FIELDS)
    include = "include_identity" in (await w.request.form())
    try:
        w.check_csrf(f["csrf"])
        spec = lr.RequestSpec(
            authority=clean_line(f["authority"], field="authority", required=False),
            document_number=clean_line(f["document_number"], field="document_number", required=False),
            legal_basis=clean_line(f["legal_basis"], field="legal_basis", required=False),
            reason=clean_text(f["reason"], field="reason"), period_from=_day(f["from_day"], "period_from", end=False),
            period_to=_day(f["to_day"], "period_to", end=True), group_codes=_items(f["group_codes"]),
            accounts=_items(f["accounts"]), addresses=_items(f["addresses"]), include_identity=include,
        )  # fmt: skip
        view = await lawful_requests.record_request(w.container.db, staff=w.session.user, spec=spec, ctx=w.ctx)
    except QunzuError as exc:
        if exc.code in (ErrorCode.FORBIDDEN, ErrorCode.CSRF_FAILED):
            return w.forbidden()
        return await _list(w, form=f, include=include, error=exc)
    return RedirectResponse(f"/staff/lawful/{view.id}?done=recorded", status_code=303)


async def _detail(w: Web, request_id: int, *, error: QunzuError | None = None, status_code: int = 200) -> Response:
    assert w.session is not None
    try:
        view = await lawful_requests.get_request(w.container.db, staff=w.session.user, request_id=request_id)
    except QunzuError as exc:
        if exc.code is ErrorCode.LAWFUL_REQUEST_NOT_FOUND:
            return w.not_found()
        return _refused(w, exc)
    flash = w.request.query_params.get("done", "")
    officer = w.session.user.staff_role in LAWFUL_OFFICERS
    return _page(
        w, "staff_lawful_detail.html", "lawful", status_code=status_code, r=view, day=beijing_day,
        last_day=_last_day(view.period_to), can_act=officer,
        can_decide=officer and view.status == lr.PENDING and view.requested_by != w.session.user.id,
        own=view.requested_by == w.session.user.id, sections=list(lr.SECTIONS),
        flash=flash if flash in FLASHES else None, error=_message(w, error) if error else None,
    )  # fmt: skip


@router.get("/staff/lawful/{request_id}")
async def detail(request_id: str, w: ReaderDep) -> Response:
    rid = parse_int(request_id, lo=1, hi=2**53)
    return w.not_found() if rid is None else await _detail(w, rid)


async def _act(w: Web, request_id: str, action: str) -> Response:
    """approve, refuse, answer or delivered: the service's step, then back to the request with what was done."""
    assert w.session is not None
    rid = parse_int(request_id, lo=1, hi=2**53)
    if rid is None:
        return w.not_found()
    f = await form_fields(w.request, "reason", "csrf")
    db, staff = w.container.db, w.session.user
    try:
        w.check_csrf(f["csrf"])
        if action in ("approve", "refuse"):
            reason = clean_text(f["reason"], field="reason")
            await lawful_requests.decide_request(db, staff=staff, request_id=rid, approve=action == "approve",
                                                 reason=reason, ctx=w.ctx)  # fmt: skip
        elif action == "answer":
            settings = w.container.settings
            await lawful_answer.answer_request(
                db, w.container.keys, staff=staff, request_id=rid, key=signing_key(settings.report_key_path),
                out_dir=settings.report_dir, ctx=w.ctx,
            )  # fmt: skip
        else:
            await lawful_requests.mark_delivered(db, staff=staff, request_id=rid, ctx=w.ctx)
    except QunzuError as exc:
        if exc.code in (ErrorCode.FORBIDDEN, ErrorCode.CSRF_FAILED):
            return w.forbidden()
        if exc.code is ErrorCode.LAWFUL_REQUEST_NOT_FOUND:
            return w.not_found()
        status = 503 if exc.code is ErrorCode.UNAVAILABLE else 422 if exc.code in (
            ErrorCode.VALIDATION_FAILED, ErrorCode.REASON_REQUIRED) else 409 if exc.code in (
            ErrorCode.ALREADY_DECIDED, ErrorCode.LAWFUL_REQUEST_NOT_APPROVED) else 403  # fmt: skip
        return await _detail(w, rid, error=exc, status_code=status)
    done = {"approve": "approved", "refuse": "refused", "answer": "answered"}.get(action, "delivered")
    return RedirectResponse(f"/staff/lawful/{rid}?done={done}", status_code=303)


@router.post("/staff/lawful/{request_id}/approve")
async def approve(request_id: str, w: OfficerDep) -> Response:
    return await _act(w, request_id, "approve")


@router.post("/staff/lawful/{request_id}/refuse")
async def refuse(request_id: str, w: OfficerDep) -> Response:
    return await _act(w, request_id, "refuse")


@router.post("/staff/lawful/{request_id}/answer")
async def answer(request_id: str, w: OfficerDep) -> Response:
    return await _act(w, request_id, "answer")


@router.post("/staff/lawful/{request_id}/delivered")
async def delivered(request_id: str, w: OfficerDep) -> Response:
    return await _act(w, request_id, "delivered")
