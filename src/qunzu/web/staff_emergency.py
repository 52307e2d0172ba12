"""The staff console's emergency switches (Art. 5, R-5.1-4): the switches on, the form to turn one on, turning each
off, and the history of every change. Administrators turn switches; compliance officers read them. Also what every
page and the chat show users: the banner of the switches that concern them and the composer's closing."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from starlette.responses import RedirectResponse, Response

from qunzu.domain.emergency import STOPS, Action, Scope, Switch
from qunzu.domain.staff import EMERGENCY_OPERATORS, EMERGENCY_READERS
from qunzu.domain.text import clean_line, clean_text, parse_int
from qunzu.errors import ErrorCode, QunzuError
from qunzu.i18n import category_label
from qunzu.services import emergency
from qunzu.services.views import GroupView
from qunzu.web.context import Web, form_fields, staff_page
from qunzu.web.i18n import error_field, form_error
from qunzu.web.staff import _page, _refused

router = APIRouter(include_in_schema=False)
ReaderDep = Annotated[Web, Depends(staff_page(EMERGENCY_READERS))]
OperatorDep = Annotated[Web, Depends(staff_page(EMERGENCY_OPERATORS))]
FIELDS = ("scope", "scope_key", "category", "kind", "reason", "csrf")


async def _list(w: Web, *, form: dict[str, str] | None = None, error: QunzuError | None = None) -> Response:
    assert w.session is not None
    staff = w.session.user
    try:
        switches = await emergency.list_switches(w.container.db, staff=staff)
        events = await emergency.history(w.container.db, staff=staff)
    except QunzuError as exc:
        return _refused(w, exc)
    flash = w.request.query_params.get("done", "")
    status = 200
    if error is not None:
        status = {ErrorCode.VALIDATION_FAILED: 422, ErrorCode.ALREADY_DECIDED: 409}.get(error.code, 404)
    return _page(
        w, "staff_emergency.html", "emergency", status_code=status,
        on=[s for s in switches if s.active], off=[s for s in switches if not s.active][:50], events=events,
        categories=(await w.container.policy.policy()).category_ids(), can_turn=staff.staff_role in EMERGENCY_OPERATORS,
        form=dict.fromkeys(FIELDS, "") | {"scope": "group", "kind": "stop_send"} | (form or {}),
        error=form_error(error, w.lang) if error else None, error_field=error_field(error) if error else None,
        flash=flash if flash in ("on", "off") else None, category_name=lambda c: category_label(c, w.lang),
    )  # fmt: skip


@router.get("/staff/emergency")
async def page(w: ReaderDep) -> Response:
    return await _list(w)


@router.post("/staff/emergency")
async def turn_on(w: OperatorDep) -> Response:
    assert w.session is not None
    f = await form_fields(w.request, *FIELDS)
    try:
        w.check_csrf(f["csrf"])
        key = f["category"] if f["scope"] == "category" else f["scope_key"]
        key = clean_line(key, field="scope_key", required=False)
        await emergency.turn_on(
            w.container.db, staff=w.session.user, scope=f["scope"], scope_key=key or "", kind=f["kind"],
            reason=clean_text(f["reason"], field="reason", required=True),
            categories=(await w.container.policy.policy()).category_ids(), ctx=w.ctx,
        )  # fmt: skip
    except QunzuError as exc:
        if exc.code is ErrorCode.FORBIDDEN:
            return w.forbidden()
        return await _list(w, form=f, error=exc)
    return RedirectResponse("/staff/emergency?done=on", status_code=303)


@router.post("/staff/emergency/{switch_id}/off")
async def turn_off(switch_id: str, w: OperatorDep) -> Response:
    assert w.session is not None
    sid = parse_int(switch_id, lo=1, hi=2**63 - 1)
    if sid is None:
        return w.not_found()
    f = await form_fields(w.request, "reason", "csrf")
    try:
        w.check_csrf(f["csrf"])
        reason = clean_text(f["reason"], field="reason", required=True)
        await emergency.turn_off(w.container.db, staff=w.session.user, switch_id=sid, reason=reason, ctx=w.ctx)
    except QunzuError as exc:
        if exc.code is ErrorCode.FORBIDDEN:
            return w.forbidden()
        if exc.code is ErrorCode.EMERGENCY_SWITCH_NOT_FOUND:
            return w.not_found()
        return await _list(w, error=exc)
    return RedirectResponse("/staff/emergency?done=off", status_code=303)


# --- what users see ------------------------------------------------------------------------------------------------


async def chat_context(w: Web, group: GroupView, out: dict[str, Any]) -> dict[str, Any]:
    """For chat.html, on top of the composer's state (web/measures.py::chat_context): the switches on this group or
    its category join the page's banner, and one that stops sending closes the composer with its reason (staff,
    who are never stopped, keep theirs). `stop_links` leaves the composer open: a post without a link goes."""
    assert w.session is not None
    board = await emergency.board(w.container.db)
    here = [s for s in board.covering(group.id, group.category) if s.scope is not Scope.PLATFORM]
    w.emergency = [*w.emergency, *here]
    stopping = [s for s in board.covering(group.id, group.category) if Action.POST in STOPS[s.kind]]
    if not stopping or w.session.user.staff_role:
        return out
    switch = stopping[0]
    return out | {
        "composer": {"disabled": True, "note": w.t("chat.composer.emergency", reason=switch.reason)},
        "composer_data": {**out["composer_data"], "emergency": switch.public()},
    }


def banner_text(w: Web, switch: Switch) -> str:
    """One switch as the banner says it: what is stopped, where, and why."""
    where = {
        Scope.PLATFORM: w.t("emergency.where.platform"),
        Scope.CATEGORY: w.t("emergency.where.category", category=category_label(switch.scope_key, w.lang)),
        Scope.GROUP: w.t("emergency.where.group"),
    }[switch.scope]
    what = w.t(f"emergency.kind.{switch.kind.value}")
    return w.t("emergency.banner", what=what, where=where, reason=switch.reason)
