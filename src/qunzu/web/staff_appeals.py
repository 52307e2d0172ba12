"""The staff console's appeals (R-11-x, D10): the queue (pending by due date, overdue marked; decided ones) and one
appeal with the measure record, its evidence and the original decider, where a staff member other than that decider
upholds or rejects it with a reason."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from starlette.responses import RedirectResponse, Response

from qunzu.domain.appeals import DECISION_REASON_MAX
from qunzu.domain.staff import APPEAL_DECIDERS
from qunzu.domain.text import parse_int
from qunzu.errors import ErrorCode, QunzuError
from qunzu.services import appeals
from qunzu.services.appeals import AppealView
from qunzu.web.appeals import subject_rows
from qunzu.web.context import Web, form_fields, staff_page
from qunzu.web.i18n import form_error
from qunzu.web.staff import _page, _refused

router = APIRouter(include_in_schema=False)
AppealsDep = Annotated[Web, Depends(staff_page(APPEAL_DECIDERS))]


def _row(w: Web, a: AppealView) -> dict[str, object]:
    return {
        "a": a,
        "subject": subject_rows(
            w, {"record": a.record, "event": a.event, "entry": a.entry, "group_code": a.group_code}
        ),
    }


@router.get("/staff/appeals")
async def queue(w: AppealsDep) -> Response:
    assert w.session is not None
    state = "decided" if w.request.query_params.get("state") == "decided" else "pending"
    try:
        found = await appeals.appeal_queue(w.container.db, staff=w.session.user, now=w.ctx.now, state=state)
    except QunzuError as exc:
        return _refused(w, exc)
    decided = parse_int(w.request.query_params.get("decided", ""), lo=1)
    return _page(w, "staff_appeals.html", "appeals", state=state, rows=[_row(w, a) for a in found], decided=decided)


async def _detail(w: Web, appeal_id: int, *, error: QunzuError | None = None, reason: str = "") -> Response:
    assert w.session is not None
    try:
        found = await appeals.appeal_detail(w.container.db, staff=w.session.user, appeal_id=appeal_id, now=w.ctx.now)
    except QunzuError as exc:
        if exc.code is ErrorCode.APPEAL_NOT_FOUND:
            return w.not_found()
        return _refused(w, exc)
    me = w.session.user.id
    return _page(
        w,
        "staff_appeals_detail.html",
        "appeals",
        status_code=(403 if error.code is ErrorCode.APPEAL_SAME_DECIDER else 422) if error else 200,
        row=_row(w, found),
        own=me in (found.original_decider, found.appellant_id),
        reason=reason,
        reason_max=DECISION_REASON_MAX,
        error=form_error(error, w.lang) if error else None,
    )


@router.get("/staff/appeals/{raw_id}")
async def detail(raw_id: str, w: AppealsDep) -> Response:
    appeal_id = parse_int(raw_id, lo=1)
    if appeal_id is None:
        return w.not_found()
    return await _detail(w, appeal_id)


@router.post("/staff/appeals/{raw_id}/decision")
async def decide(raw_id: str, w: AppealsDep) -> Response:
    """Uphold or reject with a reason; then back to the queue."""
    assert w.session is not None
    appeal_id = parse_int(raw_id, lo=1)
    if appeal_id is None:
        return w.not_found()
    f = await form_fields(w.request, "decision", "reason", "csrf")
    try:
        w.check_csrf(f["csrf"])
        view = await appeals.decide_appeal(
            w.container.db,
            staff=w.session.user,
            appeal_id=appeal_id,
            uphold=f["decision"] == "uphold",
            reason=f["reason"],
            ctx=w.ctx,
        )
        await w.container.review.refresh_bans()  # a content ban withdrawn by the appeal ends here at once
        for user_id in view.extra.get("accounts", []):
            w.container.tokens.evict_user(user_id)  # a blacklist entry removed: their level changed
    except QunzuError as exc:
        if exc.code is ErrorCode.FORBIDDEN:
            return w.forbidden()
        if exc.code is ErrorCode.APPEAL_NOT_FOUND:
            return w.not_found()
        return await _detail(w, appeal_id, error=exc, reason=f["reason"])
    return RedirectResponse(f"/staff/appeals?decided={appeal_id}", status_code=303)
