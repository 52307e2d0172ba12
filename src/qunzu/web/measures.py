"""A user's platform measures (Art. 11, R-11-x): /me/measures lists the measures on me, my messages and the groups I
own or manage, each with the reason, the rule, the period and the appeal link (/me/measures/{id}/appeal, the appeals
pages); the chat's warning banner for a group's owner and managers with the deadline and a form to answer (D12);
and why the composer is off when the group is suspended or my account muted."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.responses import RedirectResponse, Response

from qunzu.domain.enforcement import clause_text, legal_basis_text
from qunzu.domain.restrictions import active
from qunzu.domain.text import clean_text, parse_int
from qunzu.errors import ErrorCode, QunzuError
from qunzu.services import measures, restrictions
from qunzu.services.measures import RecordView
from qunzu.services.views import GroupView
from qunzu.web.chat_state import until_text
from qunzu.web.context import Web, WebDep, form_fields
from qunzu.web.i18n import form_error

router = APIRouter(include_in_schema=False)


def _item(r: RecordView, w: Web) -> dict[str, Any]:
    return {
        "r": r,
        "clause": clause_text(r.clause, w.lang),
        "legal_basis": legal_basis_text(r.legal_basis, w.lang),
    }


@router.get("/me/measures")
async def my_measures(w: WebDep) -> Response:
    if w.session is None:
        return w.to_login()
    views = await measures.my_measures(w.container.db, actor=w.session.user.id)
    return w.page("me_measures.html", tab="measures", items=[_item(v, w) for v in views], one=None)


@router.get("/me/measures/{record_id}")
async def my_measure(record_id: str, w: WebDep) -> Response:
    if w.session is None:
        return w.to_login()
    rid = parse_int(record_id, lo=1)
    if rid is None:
        return w.not_found()
    try:
        view = await measures.my_measure(w.container.db, actor=w.session.user.id, record_id=rid)
    except QunzuError as exc:
        if exc.code is ErrorCode.MEASURE_NOT_FOUND:
            return w.not_found()
        raise
    return w.page("me_measures.html", tab="measures", items=[_item(view, w)], one=view.id)


# --- the chat page: the warning banner and the composer's platform restrictions ---------------------------------


async def chat_context(w: Web, group: GroupView, composer: dict[str, Any]) -> dict[str, Any]:
    """For chat.html: the composer's state (web/chat_state.py) with a platform measure's suspension or mute on top,
    and the warnings in force on the group (owner and managers only)."""
    assert w.session is not None
    warnings = await measures.group_warnings(w.container.db, actor=w.session.user.id, group_id=group.id)
    async with w.container.db.uow(write=False) as uow:
        group_until, muted_until = await restrictions.posting_state(uow, actor=w.session.user.id, group_id=group.id)
    out = dict(composer)
    for key, until in (("group_suspended", group_until), ("account_muted", muted_until)):
        if until is not None and active(until, now=w.ctx.now):
            note = w.t(f"chat.composer.{key}", until=until_text(until, w.lang))
            out["composer"] = {"disabled": True, "note": note}
            out["composer_data"] = {
                **composer["composer_data"],
                "platform_key": key,
                "platform_until": until.isoformat(),
            }
            break
    return out | {
        "warnings": [
            {"r": r, "deadline": until_text(r.ends_at, w.lang) if r.ends_at else "", "sent": False} for r in warnings
        ],
        "warning_sent": w.request.query_params.get("warning") == "sent",
    }


@router.post("/g/{code}/warnings/{record_id}/response")
async def respond(code: str, record_id: str, w: WebDep) -> Response:
    """The owner or a manager answers a warning from the chat's banner; back to the chat."""
    if w.session is None:
        return w.to_login()
    rid = parse_int(record_id, lo=1)
    if rid is None:
        return w.not_found()
    f = await form_fields(w.request, "text", "csrf")
    try:
        w.check_csrf(f["csrf"])
        await measures.respond_to_warning(
            w.container.db, actor=w.session.user.id, code=code, record_id=rid,
            text=clean_text(f["text"], field="text"), ctx=w.ctx,
        )  # fmt: skip
    except QunzuError as exc:
        if exc.code in (ErrorCode.MEASURE_NOT_FOUND, ErrorCode.INVALID_GROUP_CODE):
            return w.not_found()
        return w.page("error.html", status_code=422, message=form_error(exc, w.lang))
    return RedirectResponse(f"/g/{code}?warning=sent", status_code=303)
