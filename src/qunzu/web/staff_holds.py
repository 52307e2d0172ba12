"""The staff console's legal holds (R-13.1-3): the holds in force and released, the form to place one, and the
release of each. Administrators and compliance officers place and release; the regulator role reads. Windows are
typed as Beijing calendar days: a window from a day covers it from 00:00, to a day covers it through 24:00."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends
from starlette.responses import RedirectResponse, Response

from qunzu.domain.legal_holds import HoldSpec
from qunzu.domain.staff import HOLD_KEEPERS, HOLD_READERS
from qunzu.domain.text import clean_line, clean_text, parse_int
from qunzu.errors import ErrorCode, QunzuError, ValidationFailed
from qunzu.services import legal_holds
from qunzu.web.context import Web, form_fields, staff_page
from qunzu.web.i18n import error_field, form_error
from qunzu.web.staff import _page, _refused

router = APIRouter(include_in_schema=False)
ReaderDep = Annotated[Web, Depends(staff_page(HOLD_READERS))]
KeeperDep = Annotated[Web, Depends(staff_page(HOLD_KEEPERS))]
CHINA = ZoneInfo("Asia/Shanghai")
FIELDS = ("subject_type", "subject", "from_day", "to_day", "authority", "document_number", "reason", "csrf")


def _day(raw: str, field: str, *, end: bool) -> datetime | None:
    raw = raw.strip()
    if not raw:
        return None
    try:
        d = date.fromisoformat(raw)
    except ValueError:
        raise ValidationFailed("A day is written YYYY-MM-DD", details={"field": field, "reason": "invalid"}) from None
    return datetime.combine(d + timedelta(days=1) if end else d, time(), CHINA).astimezone(ZoneInfo("UTC"))


async def _list(w: Web, *, form: dict[str, str] | None = None, error: QunzuError | None = None) -> Response:
    assert w.session is not None
    try:
        holds = await legal_holds.list_holds(w.container.db, staff=w.session.user)
    except QunzuError as exc:
        return _refused(w, exc)
    flash = w.request.query_params.get("done", "")
    return _page(
        w, "staff_holds.html", "holds", status_code=(422 if error.code is ErrorCode.VALIDATION_FAILED else 404)
        if error else 200, holds=holds, can_keep=w.session.user.staff_role in HOLD_KEEPERS,
        form=dict.fromkeys(FIELDS, "") | {"subject_type": "user"} | (form or {}),
        error=form_error(error, w.lang) if error else None, error_field=error_field(error) if error else None,
        flash=flash if flash in ("placed", "released") else None,
    )  # fmt: skip


@router.get("/staff/holds")
async def holds(w: ReaderDep) -> Response:
    return await _list(w)


@router.post("/staff/holds")
async def place(w: KeeperDep) -> Response:
    assert w.session is not None
    f = await form_fields(w.request, *FIELDS)
    try:
        w.check_csrf(f["csrf"])
        kind = f["subject_type"] if f["subject_type"] in ("user", "group", "period") else "user"
        subject_id, label = None, None
        if kind != "period":
            subject_id, label = await legal_holds.resolve_subject(
                w.container.db,
                staff=w.session.user,
                subject_type=kind,
                subject=clean_line(f["subject"], field="subject"),
            )
        spec = HoldSpec(
            subject_type=kind, subject_id=subject_id, authority=clean_line(f["authority"], field="authority"),
            reason=clean_text(f["reason"], field="reason", required=True),
            document_number=clean_line(f["document_number"], field="document_number", required=False) or None,
            starts_at=_day(f["from_day"], "starts_at", end=False), ends_at=_day(f["to_day"], "ends_at", end=True),
        )  # fmt: skip
        await legal_holds.place_hold(w.container.db, staff=w.session.user, spec=spec, label=label, ctx=w.ctx)
    except QunzuError as exc:
        if exc.code is ErrorCode.FORBIDDEN:
            return w.forbidden()
        return await _list(w, form=f, error=exc)
    return RedirectResponse("/staff/holds?done=placed", status_code=303)


@router.post("/staff/holds/{hold_id}/release")
async def release(hold_id: str, w: KeeperDep) -> Response:
    assert w.session is not None
    hid = parse_int(hold_id, lo=1, hi=2**63 - 1)
    if hid is None:
        return w.not_found()
    f = await form_fields(w.request, "reason", "csrf")
    try:
        w.check_csrf(f["csrf"])
        reason = clean_text(f["reason"], field="reason", required=True)
        await legal_holds.release_hold(w.container.db, staff=w.session.user, hold_id=hid, reason=reason, ctx=w.ctx)
    except QunzuError as exc:
        if exc.code is ErrorCode.FORBIDDEN:
            return w.forbidden()
        if exc.code is ErrorCode.NOT_FOUND:
            return w.not_found()
        return await _list(w, error=exc)
    return RedirectResponse("/staff/holds?done=released", status_code=303)
