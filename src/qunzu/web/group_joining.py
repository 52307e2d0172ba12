"""群设置 · 入群方式: the owner's and managers' joining page (R-8.3-3, R-9.3-1).

The join mode (only those the group's tier allows, each explained), the join question and who may invite; the pending
join requests with their answers, to approve or refuse with a reason; invite by username; invite links with their
QR codes, uses and expiry, to copy or revoke. Every form works without JavaScript: parse, check CSRF, call one
service, redirect with a flash; a refusal re-renders the page with the error.
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import RedirectResponse, Response

from qunzu.domain.roles import GroupAction, may
from qunzu.domain.text import clean_line, parse_int
from qunzu.errors import ErrorCode, QunzuError
from qunzu.services import invites, join_decisions, join_settings, joining
from qunzu.services.csrf import csrf_failed
from qunzu.services.review import profile_screen
from qunzu.services.views import GroupView
from qunzu.web.context import Web, WebDep, form_fields
from qunzu.web.i18n import error_action, error_field, form_error
from qunzu.web.pages import group_card, group_for_page

router = APIRouter(include_in_schema=False)
FLASHES = ("saved", "approved", "refused", "invited", "added", "requested", "link_made", "link_revoked")
MODES = ("open", "approval", "invitation")


def link_url(w: Web, token: str) -> str:
    """The full address of an invite link, from the request's base URL."""
    return str(w.request.base_url).rstrip("/") + f"/join/{token}"


def _refused(w: Web, group: GroupView) -> Response | None:
    """Non-members get the group's join page; members without the owner's or a manager's role a 403."""
    if group.my_role is None:
        return w.page("not_member.html", status_code=403, group=group_card(group, w.lang))
    if not may(group.my_role, GroupAction.SET_JOIN_MODE):
        return w.forbidden("joining.forbidden", back=(f"/g/{group.code}", "joining.back"))
    return None


async def _page(
    w: Web,
    group: GroupView,
    *,
    error: QunzuError | None = None,
    values: dict[str, str] | None = None,
    username: str = "",
) -> Response:
    assert w.session is not None
    db, me = w.container.db, w.session.user.id
    policy = await w.container.policy.policy()
    settings = await join_settings.join_settings(db, actor=me, code=group.code, policy=policy)
    requests = await join_decisions.pending_requests(db, actor=me, code=group.code)
    links = await invites.list_links(db, actor=me, code=group.code, now=w.ctx.now)
    flash = w.request.query_params.get("done", "")
    return w.page(
        "group_joining.html",
        status_code=(422 if error.code in (ErrorCode.VALIDATION_FAILED, ErrorCode.CONTENT_REJECTED) else 409)
        if error
        else 200,
        group=group_card(group, w.lang),
        settings=settings,
        modes=[(m, m in settings.allowed_modes) for m in MODES],
        values=values
        or {
            "join_mode": settings.join_mode,
            "join_question": settings.join_question,
            "invite_rights": settings.invite_rights,
        },
        username=username,
        question_max=join_settings.QUESTION_MAX,
        reason_max=joining.REASON_MAX,
        requests=requests,
        links=[
            {
                "view": v,
                "url": link_url(w, v.token),
                "qr": invites.qr_svg(link_url(w, v.token)) if v.state == "active" else None,
            }
            for v in links
        ],
        link_ttl_days=policy.link_ttl_days,
        consent_above=policy.invite_consent_above,
        flash=f"joining.done.{flash}" if flash in FLASHES else None,
        error=_error_text(w, error) if error else None,
        error_field=error_field(error) if error else None,
        error_action=error_action(error),
    )


def _error_text(w: Web, exc: QunzuError) -> str:
    if exc.code is ErrorCode.NOT_FOUND and exc.details.get("field") == "username":
        return w.t("joining.no_such_user")
    return form_error(exc, w.lang)


async def _staff_group(w: Web, code: str) -> GroupView | Response:
    group = await group_for_page(w, code)
    if not isinstance(group, GroupView):
        return group
    refused = _refused(w, group)
    return refused if refused is not None else group


def _done(group: GroupView, what: str, anchor: str = "") -> RedirectResponse:
    return RedirectResponse(f"/g/{group.code}/settings/joining?done={what}{anchor}", status_code=303)


@router.get("/g/{code}/settings/joining")
async def joining_page(code: str, w: WebDep) -> Response:
    group = await _staff_group(w, code)
    if not isinstance(group, GroupView):
        return group
    if code != group.code:
        return RedirectResponse(f"/g/{group.code}/settings/joining", status_code=308)
    return await _page(w, group)


@router.post("/g/{code}/settings/joining")
async def save_joining(code: str, w: WebDep) -> Response:
    group = await _staff_group(w, code)
    if not isinstance(group, GroupView):
        return group
    assert w.session is not None
    f = await form_fields(w.request, "join_mode", "join_question", "invite_rights", "csrf")
    kept = {k: f[k] for k in ("join_mode", "join_question", "invite_rights")}
    if not w.csrf_valid(f["csrf"]):
        return await _page(w, group, error=csrf_failed(), values=kept)
    try:
        await join_settings.set_join_settings(
            w.container.db,
            actor=w.session.user.id,
            code=group.code,
            ctx=w.ctx,
            policy=await w.container.policy.policy(),
            join_mode=f["join_mode"] or None,
            join_question=clean_line(f["join_question"], field="join_question", required=False),
            invite_rights=f["invite_rights"] or None,
            screen=profile_screen(w.container.review),
        )
    except QunzuError as exc:
        return await _page(w, group, error=exc, values=kept)
    return _done(group, "saved")


@router.post("/g/{code}/settings/joining/requests/{request_id}")
async def decide(code: str, request_id: str, w: WebDep) -> Response:
    group = await _staff_group(w, code)
    if not isinstance(group, GroupView):
        return group
    assert w.session is not None
    f = await form_fields(w.request, "decision", "reason", "csrf")
    rid = parse_int(request_id, lo=1)
    try:
        w.check_csrf(f["csrf"])
        if rid is None or f["decision"] not in ("approve", "refuse"):
            raise joining.not_found()
        await join_decisions.decide_request(
            w.container.db,
            actor=w.session.user.id,
            code=group.code,
            request_id=rid,
            approve=f["decision"] == "approve",
            reason=clean_line(f["reason"], field="reason", required=False),
            ctx=w.ctx,
            policy=await w.container.policy.policy(),
        )
    except QunzuError as exc:
        return await _page(w, group, error=exc)
    return _done(group, "approved" if f["decision"] == "approve" else "refused", "#requests")


@router.post("/g/{code}/settings/joining/invite")
async def invite(code: str, w: WebDep) -> Response:
    group = await _staff_group(w, code)
    if not isinstance(group, GroupView):
        return group
    assert w.session is not None
    f = await form_fields(w.request, "username", "csrf")
    try:
        w.check_csrf(f["csrf"])
        outcome = await invites.invite_user(
            w.container.db,
            actor=w.session.user.id,
            code=group.code,
            ctx=w.ctx,
            policy=await w.container.policy.policy(),
            username=clean_line(f["username"], field="username", required=False),
        )
    except QunzuError as exc:
        return await _page(w, group, error=exc, username=f["username"])
    return _done(group, outcome.status, "#invite")


@router.post("/g/{code}/settings/joining/links")
async def make_link(code: str, w: WebDep) -> Response:
    group = await _staff_group(w, code)
    if not isinstance(group, GroupView):
        return group
    assert w.session is not None
    f = await form_fields(w.request, "csrf")
    try:
        w.check_csrf(f["csrf"])
        await invites.create_link(
            w.container.db,
            actor=w.session.user.id,
            code=group.code,
            ctx=w.ctx,
            policy=await w.container.policy.policy(),
        )
    except QunzuError as exc:
        return await _page(w, group, error=exc)
    return _done(group, "link_made", "#links")


@router.post("/g/{code}/settings/joining/links/{link_id}/revoke")
async def revoke_link(code: str, link_id: str, w: WebDep) -> Response:
    group = await _staff_group(w, code)
    if not isinstance(group, GroupView):
        return group
    assert w.session is not None
    f = await form_fields(w.request, "csrf")
    lid = parse_int(link_id, lo=1)
    try:
        w.check_csrf(f["csrf"])
        if lid is None:
            raise QunzuError("No such invite link", code=ErrorCode.INVITE_NOT_FOUND)
        await invites.revoke_link(w.container.db, actor=w.session.user.id, code=group.code, link_id=lid, ctx=w.ctx)
    except QunzuError as exc:
        return await _page(w, group, error=exc)
    return _done(group, "link_revoked", "#links")
