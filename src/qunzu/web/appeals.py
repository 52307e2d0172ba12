"""The appellant's pages (R-11-x; 用户服务协议 §8): the appeal form for a measure (/me/measures/{id}/appeal, linked from
the measure notice and /me/measures), a credit deduction (/me/credit/{id}/appeal, linked from the credit table on
/me) or a blacklist entry (/me/blacklist/{id}/appeal, linked from the blacklist notice on /me), and /me/appeals
with each appeal's status and outcome."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.responses import RedirectResponse, Response

from qunzu.domain.appeals import APPEAL_WINDOW, STATEMENT_MAX, STATEMENT_MIN
from qunzu.domain.enforcement import clause_text, legal_basis_text
from qunzu.domain.groupcode import format_group_code
from qunzu.domain.text import parse_int
from qunzu.errors import ErrorCode, QunzuError
from qunzu.i18n.blacklist_texts import effect_label, level_label
from qunzu.services import appeals
from qunzu.web.context import Web, WebDep, form_fields
from qunzu.web.i18n import error_field, form_error

router = APIRouter(include_in_schema=False)


def subject_rows(w: Web, summary: dict[str, Any]) -> dict[str, Any]:
    """What was decided, as the appellant and the decider read it (clause and law in the reader's language)."""
    rec, event, entry = summary.get("record"), summary.get("event"), summary.get("entry")
    out: dict[str, Any] = {"kind": "credit_deduction", "group": None, "record": rec, "event": event, "entry": entry}
    if summary.get("group_code"):
        out["group"] = format_group_code(summary["group_code"])
    if entry is not None:
        separator = "、" if w.lang == "zh-CN" else ", "
        out |= {
            "kind": "blacklist",
            "level": level_label(entry["severity"], w.lang),
            "effects": separator.join(effect_label(e, w.lang) for e in entry["effects"]),
        }
    if rec is not None:
        out |= {
            "kind": rec["measure"],
            "clause": clause_text(rec["clause"], w.lang),
            "legal_basis": legal_basis_text(rec["legal_basis"], w.lang),
        }
    return out


KINDS = {"measure": ("record_id", "measures"), "credit": ("credit_event_id", "credit"),
         "blacklist": ("blacklist_entry_id", "blacklist")}  # fmt: skip
NOT_FOUND = (ErrorCode.NOT_FOUND, ErrorCode.MEASURE_NOT_FOUND, ErrorCode.BLACKLIST_ENTRY_NOT_FOUND)


def _ids(kind: str, raw: str) -> dict[str, int] | None:
    value = parse_int(raw, lo=1)
    if value is None:
        return None
    return {KINDS[kind][0]: value}


async def _form(w: Web, kind: str, raw: str, *, statement: str = "", error: QunzuError | None = None) -> Response:
    if w.session is None:
        return w.to_login()
    ids = _ids(kind, raw)
    if ids is None:
        return w.not_found()
    try:
        summary, existing = await appeals.appeal_subject(w.container.db, actor=w.session.user.id, **ids)
    except QunzuError as exc:
        if exc.code in NOT_FOUND:
            return w.not_found()
        raise
    return w.page(
        "appeal_form.html",
        status_code=422 if error else 200,
        tab="appeals",
        action=f"/me/{KINDS[kind][1]}/{raw}/appeal",
        subject=subject_rows(w, summary),
        may_appeal=summary["may_appeal"],
        closed=summary["closed"],
        existing=existing,
        statement=statement,
        statement_min=STATEMENT_MIN,
        statement_max=STATEMENT_MAX,
        window_days=APPEAL_WINDOW.days,
        error=form_error(error, w.lang) if error else None,
        error_field=error_field(error) if error else None,
    )


async def _file(w: Web, kind: str, raw: str) -> Response:
    if w.session is None:
        return w.to_login()
    ids = _ids(kind, raw)
    if ids is None:
        return w.not_found()
    f = await form_fields(w.request, "statement", "csrf")
    try:
        w.check_csrf(f["csrf"])
        cal = w.container.settings.complaints
        appeal_id = await appeals.file_appeal(
            w.container.db, actor=w.session.user, statement=f["statement"], ctx=w.ctx, holidays=cal.holidays,
            workdays=cal.workdays, **ids,
        )  # fmt: skip
    except QunzuError as exc:
        if exc.code in NOT_FOUND:
            return w.not_found()
        return await _form(w, kind, raw, statement=f["statement"], error=exc)
    return RedirectResponse(f"/me/appeals?filed={appeal_id}", status_code=303)


@router.get("/me/measures/{raw_id}/appeal")
async def measure_form(raw_id: str, w: WebDep) -> Response:
    return await _form(w, "measure", raw_id)


@router.post("/me/measures/{raw_id}/appeal")
async def measure_appeal(raw_id: str, w: WebDep) -> Response:
    """File the appeal, then to /me/appeals."""
    return await _file(w, "measure", raw_id)


@router.get("/me/credit/{raw_id}/appeal")
async def credit_form(raw_id: str, w: WebDep) -> Response:
    return await _form(w, "credit", raw_id)


@router.post("/me/credit/{raw_id}/appeal")
async def credit_appeal(raw_id: str, w: WebDep) -> Response:
    return await _file(w, "credit", raw_id)


@router.get("/me/blacklist/{raw_id}/appeal")
async def blacklist_form(raw_id: str, w: WebDep) -> Response:
    return await _form(w, "blacklist", raw_id)


@router.post("/me/blacklist/{raw_id}/appeal")
async def blacklist_appeal(raw_id: str, w: WebDep) -> Response:
    return await _file(w, "blacklist", raw_id)


@router.get("/me/appeals")
async def my_appeals(w: WebDep) -> Response:
    if w.session is None:
        return w.to_login()
    mine = await appeals.my_appeals(w.container.db, actor=w.session.user.id, now=w.ctx.now)
    rows = [
        {
            "a": a,
            "subject": subject_rows(
                w, {"record": a.record, "event": a.event, "entry": a.entry, "group_code": a.group_code}
            ),
        }
        for a in mine
    ]
    filed = parse_int(w.request.query_params.get("filed", ""), lo=1)
    return w.page("me_appeals.html", tab="appeals", rows=rows, filed=filed)
