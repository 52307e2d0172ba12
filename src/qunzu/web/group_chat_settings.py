"""发言管理: the owner's and managers' chat controls page (R-9.3-1): mute all, slow mode, pinned messages, the group's
keyword list and the messages it holds (approve or reject).

Server-rendered forms (work without JavaScript): each posts to its own URL, checks CSRF, calls one service and
redirects back with a flash; a refusal re-renders the page with the error.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.responses import RedirectResponse, Response

from qunzu.domain.chat_controls import KEYWORD_MAX_LENGTH, KEYWORDS_MAX, PINS_MAX, SLOW_MODE_MAX
from qunzu.domain.roles import GroupAction, may
from qunzu.errors import ErrorCode, QunzuError, ValidationFailed
from qunzu.services import group_chat_controls as svc
from qunzu.services.csrf import csrf_failed
from qunzu.services.views import GroupView
from qunzu.web.context import Web, WebDep, form_fields
from qunzu.web.i18n import form_error
from qunzu.web.pages import group_card, group_for_page

router = APIRouter(include_in_schema=False)
REFUSED_ROLE = (ErrorCode.FORBIDDEN_ROLE, ErrorCode.NOT_MEMBER)


async def _page(w: Web, group: GroupView, error: QunzuError | None = None, **values: Any) -> Response:
    assert w.session is not None
    actor, db = w.session.user.id, w.container.db
    controls = await svc.chat_controls(db, actor=actor, code=group.code)
    return w.page(
        "group_chat_settings.html",
        status_code=422 if error else 200,
        group=group_card(group, w.lang),
        controls=controls,
        pins=await svc.list_pins(db, actor=actor, code=group.code),
        keywords=await svc.list_keywords(db, actor=actor, code=group.code),
        held=await svc.held_messages(db, actor=actor, code=group.code),
        pins_max=PINS_MAX,
        keywords_max=KEYWORDS_MAX,
        keyword_max_length=KEYWORD_MAX_LENGTH,
        slow_max=SLOW_MODE_MAX,
        values=values,
        error=form_error(error, w.lang) if error else None,
        saved=w.request.query_params.get("saved") == "1",
    )


async def _group(w: Web, code: str) -> GroupView | Response:
    """The group, if the viewer may use its chat controls; else the page that says why."""
    group = await group_for_page(w, code)
    if not isinstance(group, GroupView):
        return group
    if group.my_role is None:
        return w.page("not_member.html", status_code=403, group=group_card(group, w.lang))
    if not may(group.my_role, GroupAction.MUTE_ALL):
        return w.forbidden("chat_controls.forbidden", back=(f"/g/{group.code}", "chat_controls.back"))
    return group


@router.get("/g/{code}/settings/chat")
async def chat_settings(code: str, w: WebDep) -> Response:
    group = await _group(w, code)
    if not isinstance(group, GroupView):
        return group
    if code != group.code:
        return RedirectResponse(f"/g/{group.code}/settings/chat", status_code=308)
    return await _page(w, group)


def _int(raw: str, field: str) -> int:
    try:
        return int(raw.strip())
    except ValueError:
        raise ValidationFailed("Give a whole number", details={"field": field}) from None


@router.post("/g/{code}/settings/chat/{action}")
async def chat_settings_action(code: str, action: str, w: WebDep) -> Response:
    group = await _group(w, code)
    if not isinstance(group, GroupView):
        return group
    assert w.session is not None
    f = await form_fields(w.request, "csrf", "on", "seconds", "message_id", "term", "decision", "reason")
    if not w.csrf_valid(f["csrf"]):
        return await _page(w, group, csrf_failed())
    actor, db, ctx, c = w.session.user.id, w.container.db, w.ctx, group.code
    try:
        if action == "mute-all":
            await svc.set_mute_all(db, actor=actor, code=c, on=f["on"] == "1", ctx=ctx)
        elif action == "slow-mode":
            await svc.set_slow_mode(db, actor=actor, code=c, seconds=_int(f["seconds"], "seconds"), ctx=ctx)
        elif action == "unpin":
            await svc.unpin_message(db, actor=actor, code=c, message_id=_int(f["message_id"], "message_id"), ctx=ctx)
        elif action == "keyword-add":
            normalize = w.container.review.engine.normalize
            await svc.add_keyword(db, actor=actor, code=c, term=f["term"], normalize=normalize, ctx=ctx)
        elif action == "keyword-remove":
            await svc.remove_keyword(db, actor=actor, code=c, term=f["term"], ctx=ctx)
        elif action == "held":
            await svc.decide_held(
                db, actor=actor, code=c, message_id=_int(f["message_id"], "message_id"),
                approve=f["decision"] == "approve", reason=f["reason"], ctx=ctx,
            )  # fmt: skip
        else:
            return w.not_found()
    except QunzuError as exc:
        if exc.code in REFUSED_ROLE:  # the role changed since the page was loaded
            return w.forbidden("chat_controls.forbidden", back=(f"/g/{c}", "chat_controls.back"))
        return await _page(w, group, exc, term=f["term"], seconds=f["seconds"])
    return RedirectResponse(f"/g/{c}/settings/chat?saved=1", status_code=303)
