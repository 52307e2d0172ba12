"""The joiner's side of joining (R-8.3-3, R-9.2-1): an invite link's landing page, asking to join with the answer to
the group's question, withdrawing a request, answering an invitation, and the rules card's "我已阅读".

Also what other pages show about joining: the non-member page's join form or pending request, the pending
invitations and requests on /groups, and on the chat page the rules card and the managers' count of waiting requests.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter
from starlette.responses import RedirectResponse, Response

from qunzu.domain.groupcode import format_group_code
from qunzu.domain.roles import GroupAction, may
from qunzu.domain.text import clean_text, parse_int
from qunzu.errors import ErrorCode, QunzuError
from qunzu.i18n import category_label
from qunzu.services import invites, join_decisions, join_settings, joining
from qunzu.services.csrf import csrf_failed
from qunzu.services.views import GroupView
from qunzu.web.context import Web, WebDep, form_fields
from qunzu.web.i18n import error_action, form_error
from qunzu.web.render import hue
from qunzu.web.session import safe_next

router = APIRouter(include_in_schema=False)
LINK_GONE = (ErrorCode.INVITE_NOT_FOUND, ErrorCode.INVITE_EXPIRED, ErrorCode.INVITE_REVOKED, ErrorCode.GROUP_CLOSED)


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


# --- what other pages show ----------------------------------------------------------------------------------------


async def non_member_context(w: Web, group: GroupView) -> dict[str, Any]:
    """For not_member.html: the join mode, the question to answer, and my open request or invitation."""
    assert w.session is not None
    pending = await joining.my_pending_for(w.container.db, actor=w.session.user.id, code=group.code)
    question = await joining.join_question(w.container.db, group_id=group.id)
    return {"join_mode": group.join_mode, "join_question": question, "pending": pending}


async def chat_context(w: Web, group: GroupView) -> dict[str, Any]:
    """For chat.html (`_rules_card.html`): the rules card on a member's first view after joining (R-9.2-1), and
    for the owner and managers the number of join requests waiting."""
    assert w.session is not None
    db = w.container.db
    unseen = await join_settings.rules_unseen(db, actor=w.session.user.id, group_id=group.id)
    waiting = (
        await join_decisions.pending_count(db, group_id=group.id)
        if may(group.my_role, GroupAction.DECIDE_JOIN_REQUESTS)
        else 0
    )
    return {"rules_card": unseen, "join_pending": waiting}


async def pending_joins(w: Web) -> dict[str, Any]:
    """For /groups (`_pending_joins.html`): invitations waiting for my answer and my requests waiting for a manager."""
    assert w.session is not None
    db, me = w.container.db, w.session.user.id
    return {
        "my_invitations": await invites.my_invitations(db, actor=me),
        "my_requests": await joining.my_requests(db, actor=me),
    }


# --- an invite link's landing page --------------------------------------------------------------------------------


async def _landing(w: Web, token: str, *, error: QunzuError | None = None) -> Response:
    try:
        preview = await invites.preview_link(w.container.db, token=token, now=w.ctx.now)
    except QunzuError as exc:
        if exc.code not in LINK_GONE:
            raise
        return w.page("join_link.html", status_code=404 if exc.code is ErrorCode.INVITE_NOT_FOUND else 410,
                      gone=form_error(exc, w.lang), preview=None, token=token)  # fmt: skip
    return w.page(
        "join_link.html",
        status_code=(403 if error.code in (ErrorCode.FORBIDDEN, ErrorCode.VERIFICATION_LEVEL_REQUIRED) else 409)
        if error
        else 200,
        gone=None,
        token=token,
        preview={
            "code": preview.group_code,
            "code_display": format_group_code(preview.group_code),
            "name": preview.group_name,
            "initial": preview.group_name[:1],
            "hue": hue(preview.group_code),
            "category": category_label(preview.category, w.lang),
            "description": preview.description,
            "member_count": preview.member_count,
            "expires_at": preview.expires_at,
        },
        login_url="/login?next=" + quote(f"/join/{token}", safe="/"),
        error=form_error(error, w.lang) if error else None,
        error_action=error_action(error),
    )


@router.get("/join/{token}")
async def landing(token: str, w: WebDep) -> Response:
    """The page an invite link or QR code opens: the group's preview and a join button (sign in first)."""
    return await _landing(w, token[:64])


@router.post("/join/{token}")
async def join_by_link(token: str, w: WebDep) -> Response:
    if w.session is None:
        return w.to_login()
    f = await form_fields(w.request, "csrf")
    try:
        w.check_csrf(f["csrf"])
        outcome = await invites.join_by_link(
            w.container.db,
            actor=w.session.user.id,
            token=token[:64],
            ctx=w.ctx,
            policy=await w.container.policy.policy(),
            throttle=w.container.throttle,
        )
    except QunzuError as exc:
        if exc.code is ErrorCode.ALREADY_MEMBER:
            preview = await invites.preview_link(w.container.db, token=token[:64], now=w.ctx.now)
            return _see_other(f"/g/{preview.group_code}")
        if exc.code in LINK_GONE:
            return await _landing(w, token[:64])
        return await _landing(w, token[:64], error=exc)
    return _see_other(f"/g/{outcome.code}")


# --- asking to join by code, with the answer ----------------------------------------------------------------------


@router.post("/g/{code}/join")
async def ask_to_join(code: str, w: WebDep) -> Response:
    """The non-member page's join button (with the answer to the question when the group asks one)."""
    from qunzu.web.pages import group_card, group_for_page

    group = await group_for_page(w, code)
    if not isinstance(group, GroupView):
        return group
    assert w.session is not None
    f = await form_fields(w.request, "answer", "csrf")
    try:
        w.check_csrf(f["csrf"])
        await joining.join_by_code(
            w.container.db,
            actor=w.session.user.id,
            code=group.code,
            ctx=w.ctx,
            policy=await w.container.policy.policy(),
            answer=clean_text(f["answer"], field="answer"),
            throttle=w.container.throttle,
        )
    except QunzuError as exc:
        if exc.code is ErrorCode.ALREADY_MEMBER:
            return _see_other(f"/g/{group.code}")
        extra = await non_member_context(w, group)
        return w.page(
            "not_member.html",
            status_code=422 if exc.code in (ErrorCode.ANSWER_REQUIRED, ErrorCode.VALIDATION_FAILED) else 409,
            group=group_card(group, w.lang),
            error=form_error(exc, w.lang),
            error_action=error_action(exc),
            answer=f["answer"],
            **extra,
        )
    return _see_other(f"/g/{group.code}")


# --- my requests and invitations ----------------------------------------------------------------------------------


def _back(w: Web, raw: str) -> str:
    return safe_next(raw, default="/groups")


@router.post("/join-requests/{request_id}/withdraw")
async def withdraw(request_id: str, w: WebDep) -> Response:
    if w.session is None:
        return w.to_login()
    f = await form_fields(w.request, "csrf", "next")
    rid = parse_int(request_id, lo=1)
    if not w.csrf_valid(f["csrf"]):
        return w.page("error.html", status_code=403, message=form_error(csrf_failed(), w.lang))
    try:
        if rid is None:
            raise joining.not_found()
        await joining.withdraw_request(w.container.db, actor=w.session.user.id, request_id=rid, ctx=w.ctx)
    except QunzuError as exc:
        if exc.code not in (ErrorCode.JOIN_REQUEST_NOT_FOUND, ErrorCode.ALREADY_DECIDED):
            raise
    return _see_other(_back(w, f["next"]))


@router.post("/invitations/{invitation_id}/{answer}")
async def answer_invitation(invitation_id: str, answer: str, w: WebDep) -> Response:
    if w.session is None:
        return w.to_login()
    f = await form_fields(w.request, "csrf")
    iid = parse_int(invitation_id, lo=1)
    if answer not in ("accept", "decline") or iid is None:
        return w.not_found()
    if not w.csrf_valid(f["csrf"]):
        return w.page("error.html", status_code=403, message=form_error(csrf_failed(), w.lang))
    try:
        outcome = await invites.answer_invitation(
            w.container.db,
            actor=w.session.user.id,
            invitation_id=iid,
            accept=answer == "accept",
            ctx=w.ctx,
            policy=await w.container.policy.policy(),
            throttle=w.container.throttle,
        )
    except QunzuError as exc:
        if exc.code in (ErrorCode.JOIN_REQUEST_NOT_FOUND, ErrorCode.ALREADY_DECIDED):
            return _see_other("/groups")
        return w.page("error.html", status_code=409, message=form_error(exc, w.lang))
    return _see_other(f"/g/{outcome.code}" if outcome is not None else "/groups")


# --- the rules card (R-9.2-1) -------------------------------------------------------------------------------------


@router.post("/g/{code}/rules-seen")
async def rules_seen(code: str, w: WebDep) -> Response:
    """我已阅读: the member has read the announcement, the group rules and the platform convention."""
    if w.session is None:
        return w.to_login()
    f = await form_fields(w.request, "csrf")
    if not w.csrf_valid(f["csrf"]):
        return w.page("error.html", status_code=403, message=form_error(csrf_failed(), w.lang))
    try:
        await join_settings.acknowledge_rules(w.container.db, actor=w.session.user.id, code=code, ctx=w.ctx)
    except QunzuError as exc:
        if exc.code in (ErrorCode.GROUP_NOT_FOUND, ErrorCode.INVALID_GROUP_CODE, ErrorCode.NOT_MEMBER):
            return w.not_found("notfound.group")
        raise
    digits = "".join(ch for ch in code if ch.isdigit())
    return _see_other(f"/g/{digits}")
