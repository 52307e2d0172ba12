"""The staff console's capacity page (Art. 5, R-5.1-1): the backlogs, the reviewers on shift and the items each
decided per day, each figure against the operator's target, and the shift button ("上班 / 下班"), which the review
queue shows too. Administrators, compliance officers and reviewers read the page and go on and off shift."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from starlette.responses import RedirectResponse, Response

from qunzu.domain.staff import CAPACITY_READERS, SHIFT_WORKERS
from qunzu.errors import ErrorCode, QunzuError
from qunzu.services import capacity
from qunzu.services.capacity import ShiftView
from qunzu.web.context import Web, form_fields, staff_page
from qunzu.web.i18n import form_error
from qunzu.web.staff import _page, _refused

router = APIRouter(include_in_schema=False)
ReaderDep = Annotated[Web, Depends(staff_page(CAPACITY_READERS))]
WorkerDep = Annotated[Web, Depends(staff_page(SHIFT_WORKERS))]
BACK = ("/staff/capacity", "/staff/review")  # where the shift button is; anything else goes to the capacity page


def duration(w: Web, seconds: float | None) -> str:
    """An age or a period as people read it: "2 小时 5 分钟", "3 天 4 小时", "12 小时", "40 分钟"."""
    if seconds is None:
        return "—"
    minutes = int(seconds // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return w.t("capacity.duration.dh", d=days, h=hours) if hours else w.t("capacity.duration.d", d=days)
    if hours:
        return w.t("capacity.duration.hm", h=hours, m=mins) if mins else w.t("capacity.duration.h", h=hours)
    return w.t("capacity.duration.m", m=mins)


async def shift_context(w: Web, *, back: str) -> dict[str, Any]:
    """What the shift button needs: whether this person may go on shift, their shift, where to come back to."""
    assert w.session is not None
    if w.session.user.staff_role not in SHIFT_WORKERS:
        return {"can_shift": False, "shift": None, "shift_back": back}
    shift = await capacity.my_shift(
        w.container.db, staff=w.session.user, now=w.container.clock.now(), settings=w.container.settings
    )
    return {"can_shift": True, "shift": _shift(w, shift), "shift_back": back}


def _shift(w: Web, s: ShiftView | None) -> dict[str, Any] | None:
    if s is None:
        return None
    return {"started_at": s.started_at, "ends_by": s.ends_by,
            "length": duration(w, (w.container.clock.now() - s.started_at).total_seconds())}  # fmt: skip


def _status(error: QunzuError | None) -> int:
    if error is None:
        return 200
    return 409 if error.code is ErrorCode.NOT_ON_SHIFT else 422


async def _capacity_page(w: Web, *, error: QunzuError | None = None) -> Response:
    assert w.session is not None
    c = w.container
    try:
        status = await capacity.read_capacity(c.db, staff=w.session.user, now=c.clock.now(), settings=c.settings)
    except QunzuError as exc:
        return _refused(w, exc)
    if c.capacity is not None:
        c.capacity.update(status)  # the banner of this very page agrees with its figures
    f = status.figures
    checks = {ch.key.value: ch for ch in status.checks}
    queues = [
        {"key": key, "backlog": b, "age": duration(w, (age.total_seconds() if age is not None else None)),
         "age_seconds": int(age.total_seconds()) if age is not None else None}
        for key, b in (("review", f.review), ("tickets", f.tickets), ("appeals", f.appeals))
        for age in [b.oldest_age(status.now)]
    ]  # fmt: skip
    per_reviewer = f.backlog_per_reviewer()
    return _page(
        w, "staff_capacity.html", "capacity", status_code=_status(error), status=status, queues=queues,
        checks=checks, per_reviewer=None if per_reviewer is None else round(per_reviewer, 1),
        review_sla=duration(w, status.targets.review_sla.total_seconds()),
        max_shift=duration(w, status.targets.max_shift.total_seconds()),
        on_shift=[{"s": s, "ends_by": s.ends_by, "length": duration(w, (status.now - s.started_at).total_seconds())}
                  for s in status.on_shift],
        days=[d.strftime("%m-%d") for d in status.days], reviewers=status.throughput, names=status.names,
        error=form_error(error, w.lang) if error else None, flash=w.request.query_params.get("shift", ""),
        **await shift_context(w, back="/staff/capacity"),
    )  # fmt: skip


@router.get("/staff/capacity")
async def capacity_page(w: ReaderDep) -> Response:
    return await _capacity_page(w)


def _back(raw: str) -> str:
    return raw if raw in BACK else "/staff/capacity"


@router.post("/staff/shift/start")
async def start(w: WorkerDep) -> Response:
    assert w.session is not None
    f = await form_fields(w.request, "csrf", "back")
    try:
        w.check_csrf(f["csrf"])
        await capacity.start_shift(w.container.db, staff=w.session.user, settings=w.container.settings, ctx=w.ctx)
    except QunzuError as exc:
        if exc.code is ErrorCode.FORBIDDEN:
            return w.forbidden()
        return await _capacity_page(w, error=exc)
    return RedirectResponse(f"{_back(f['back'])}?shift=started", status_code=303)


@router.post("/staff/shift/end")
async def end(w: WorkerDep) -> Response:
    assert w.session is not None
    f = await form_fields(w.request, "csrf", "back")
    try:
        w.check_csrf(f["csrf"])
        await capacity.end_shift(w.container.db, staff=w.session.user, settings=w.container.settings, ctx=w.ctx)
    except QunzuError as exc:
        if exc.code is ErrorCode.FORBIDDEN:
            return w.forbidden()
        return await _capacity_page(w, error=exc)
    return RedirectResponse(f"{_back(f['back'])}?shift=ended", status_code=303)
