"""My pending role offers on the 我的群组 page (R-9.1-1, R-9.1-2): accept with the 群主责任告知书, or decline.

`pending_offers(w)` gives the `_pending_offers.html` partial its data (the groups page passes it in); the two forms
post here, check CSRF and come back to /groups with the outcome in the query (`?offer=accepted|declined`, or
`?offer_error=<error code>`), so a refusal is shown on the page that offered the choice.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.responses import RedirectResponse, Response

from qunzu.domain.roles import GroupRole, role_label
from qunzu.domain.text import parse_int
from qunzu.errors import ErrorCode, QunzuError
from qunzu.i18n import error_text
from qunzu.services import group_offers, group_roles, group_tools
from qunzu.services.documents import current_versions
from qunzu.services.views import GroupView
from qunzu.web.context import Web, WebDep, form_fields

router = APIRouter(include_in_schema=False)
OUTCOMES = ("accepted", "declined")


async def pending_offers(w: Web) -> dict[str, Any]:
    """For /groups (`_pending_offers.html`, as `offers_card`): my offers, the duties-notice version to accept them
    with, and the last outcome."""
    assert w.session is not None
    views = await group_offers.my_offers(w.container.db, actor=w.session.user.id)
    async with w.container.db.uow(write=False) as uow:
        version = (await current_versions(uow.conn)).get("owner_duties")
    raw_error = w.request.query_params.get("offer_error", "")
    error = None
    if raw_error in {c.value for c in ErrorCode}:
        error = error_text(ErrorCode(raw_error), "", w.lang, {})
    done = w.request.query_params.get("offer", "")
    return {
        "offers_card": {
            "offers": [
                {
                    "id": v.id,
                    "group_code": v.group_code,
                    "group_name": v.group_name,
                    "role": v.role.value,
                    "role_label": role_label(v.role, w.lang),
                    "by": v.offered_by_nickname,
                    "at": v.created_at,
                }
                for v in views
            ],
            "duties_version": version,
            "error": error,
            "done": done if done in OUTCOMES else None,
        }
    }


async def managers_banner(w: Web, group: GroupView) -> dict[str, Any]:
    """For chat.html (`_managers_needed.html`): the owner of an L or XL group with too few managers is asked to
    appoint more (R-9.3-2)."""
    if w.session is None or group.my_role is not GroupRole.CREATOR:
        return {"managers_needed": None}
    short = await group_tools.managers_shortfall(
        w.container.db, actor=w.session.user.id, code=group.code, policy=await w.container.policy.policy()
    )
    return {"managers_needed": short}


def _back(**query: str) -> Response:
    return RedirectResponse("/groups?" + "&".join(f"{k}={v}" for k, v in query.items()), status_code=303)


async def _answer(offer: str, w: Web, *, accept: bool) -> Response:
    if w.session is None:
        return w.to_login()
    offer_id = parse_int(offer, lo=1)
    if offer_id is None:
        return w.not_found()
    f = await form_fields(w.request, "csrf", "duties")
    if not w.csrf_valid(f["csrf"]):
        return _back(offer_error=ErrorCode.CSRF_FAILED.value)
    try:
        if accept:
            await group_roles.accept_offer(
                w.container.db,
                actor=w.session.user.id,
                offer_id=offer_id,
                duties_version=parse_int(f["duties"], lo=1),
                ctx=w.ctx,
                policy=await w.container.policy.policy(),
            )
        else:
            await group_roles.decline_offer(w.container.db, actor=w.session.user.id, offer_id=offer_id, ctx=w.ctx)
    except QunzuError as exc:
        return _back(offer_error=exc.code.value)
    return _back(offer="accepted" if accept else "declined")


@router.post("/me/offers/{offer}/accept")
async def accept(offer: str, w: WebDep) -> Response:
    return await _answer(offer, w, accept=True)


@router.post("/me/offers/{offer}/decline")
async def decline(offer: str, w: WebDep) -> Response:
    return await _answer(offer, w, accept=False)
