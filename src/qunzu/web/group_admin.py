"""群设置 › 成员 / 操作记录 / 群主: the member tools, the group's operation log, the search listing, transfer and
dissolution (Art. 9; group rules Art. 16).

Server-rendered forms that work without JavaScript: each posts with its CSRF token, calls one service and comes
back to its page with the outcome (`?done=...`); a refusal re-renders the page with the error. What each person is
offered follows the permission matrix (domain/roles.py); the services enforce it again.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.responses import RedirectResponse, Response

from qunzu.domain.roles import GroupAction, GroupRole, may, role_label
from qunzu.domain.text import parse_int
from qunzu.errors import ErrorCode, QunzuError, ValidationFailed
from qunzu.i18n import catalogue
from qunzu.services import group_directory, group_log, group_offers, group_roles, group_tools
from qunzu.services.csrf import csrf_failed
from qunzu.services.views import GroupView
from qunzu.web.context import Web, WebDep, form_fields
from qunzu.web.i18n import error_action, form_error
from qunzu.web.pages import group_card, group_for_page

router = APIRouter(include_in_schema=False)
MUTE_PERIODS = (600, 3600, 12 * 3600, 86400, 7 * 86400, 30 * 86400)  # 10 minutes … 30 days
MEMBER_ACTIONS = ("remove", "mute", "unmute", "offer", "demote")
DONE = (*MEMBER_ACTIONS, "cancelled", "transfer", "listed", "unlisted")
QUIET_DETAILS = frozenset({"seconds", "until", "previous_owner", "offered_by", "request", "duties_version", "path"})


def action_label(action: str, language: str) -> str:
    """An operation record's action in people's words ([group_actions]); else its code."""
    return str(catalogue(language).get("group_actions", {}).get(action.replace(".", "_"), action))


async def _group(w: Web, code: str, action: GroupAction) -> GroupView | Response:
    """The group for a tools page, or the page to send instead: sign in, not found, not a member, 403."""
    group = await group_for_page(w, code)
    if not isinstance(group, GroupView):
        return group
    if group.my_role is None:
        return w.page("not_member.html", status_code=403, group=group_card(group, w.lang))
    if not may(group.my_role, action):
        return w.forbidden("admin.forbidden", back=(f"/g/{group.code}", "admin.back"))
    return group


async def _common(w: Web, group: GroupView) -> dict[str, Any]:
    """What every tools page shows: the group card and, for the owner and managers, the managers banner."""
    assert w.session is not None
    short = await group_tools.managers_shortfall(
        w.container.db, actor=w.session.user.id, code=group.code, policy=await w.container.policy.policy()
    )
    return {
        "group": group_card(group, w.lang),
        "managers_needed": short,
        "done": w.request.query_params.get("done") if w.request.query_params.get("done") in DONE else None,
    }


def _refusal(exc: QunzuError | None, w: Web) -> dict[str, Any]:
    return {"error": form_error(exc, w.lang) if exc else None, "error_action": error_action(exc)}


# --- members --------------------------------------------------------------------------------------------------


async def _members_page(w: Web, group: GroupView, exc: QunzuError | None = None) -> Response:
    assert w.session is not None
    roster = await group_tools.member_roster(w.container.db, actor=w.session.user.id, code=group.code, now=w.ctx.now)
    return w.page(
        "group_members_admin.html",
        status_code=_status(exc),
        roster=roster,
        me_id=w.session.user.id,
        periods=MUTE_PERIODS,
        **await _common(w, group),
        **_refusal(exc, w),
    )


def _status(exc: QunzuError | None) -> int:
    if exc is None:
        return 200
    return {ErrorCode.VALIDATION_FAILED: 422, ErrorCode.CSRF_FAILED: 403}.get(exc.code, 409)


@router.get("/g/{code}/settings/members")
async def members_page(code: str, w: WebDep) -> Response:
    group = await _group(w, code, GroupAction.REMOVE_MEMBER)
    if not isinstance(group, GroupView):
        return group
    if code != group.code:
        return RedirectResponse(f"/g/{group.code}/settings/members", status_code=308)
    return await _members_page(w, group)


@router.post("/g/{code}/settings/members/{user}/{action}")
async def member_action(code: str, user: str, action: str, w: WebDep) -> Response:
    group = await _group(w, code, GroupAction.REMOVE_MEMBER)
    if not isinstance(group, GroupView):
        return group
    assert w.session is not None
    target = parse_int(user, lo=1)
    if target is None or action not in MEMBER_ACTIONS:
        return w.not_found()
    f = await form_fields(w.request, "csrf", "seconds")
    if not w.csrf_valid(f["csrf"]):
        return await _members_page(w, group, csrf_failed())
    db, me, ctx = w.container.db, w.session.user.id, w.ctx
    try:
        if action == "remove":
            await group_tools.remove_member(db, actor=me, code=group.code, user_id=target, ctx=ctx)
        elif action == "mute":
            seconds = parse_int(f["seconds"], lo=0, hi=10**9)
            await group_tools.mute_member(db, actor=me, code=group.code, user_id=target, seconds=seconds or 0, ctx=ctx)
        elif action == "unmute":
            await group_tools.unmute_member(db, actor=me, code=group.code, user_id=target, ctx=ctx)
        elif action == "offer":
            policy = await w.container.policy.policy()
            await group_roles.offer_manager(db, actor=me, code=group.code, user_id=target, ctx=ctx, policy=policy)
        else:
            await group_roles.remove_manager(db, actor=me, code=group.code, user_id=target, ctx=ctx)
    except QunzuError as exc:
        return await _members_page(w, group, exc)
    return RedirectResponse(f"/g/{group.code}/settings/members?done={action}", status_code=303)


# --- the operation log ---------------------------------------------------------------------------------------------


def _period(seconds: int, t: Any) -> str:
    if seconds % 86400 == 0:
        return str(t("admin.period.days", n=seconds // 86400))
    if seconds % 3600 == 0:
        return str(t("admin.period.hours", n=seconds // 3600))
    return str(t("admin.period.minutes", n=max(1, seconds // 60)))


def _detail_lines(entry: group_log.LogEntry, t: Any) -> list[str]:
    lines = []
    seconds = entry.details.get("seconds")
    if isinstance(seconds, int):
        lines.append(t("admin.log.period", period=_period(seconds, t)))
    for change in entry.changes:
        lines.append(t("admin.log.change", field=change["field"], old=change["old"] or "—", new=change["new"] or "—"))
    for key, value in entry.details.items():
        if key in QUIET_DETAILS or value in (None, "", [], {}):
            continue
        label = t(f"admin.detail.{key}")
        if isinstance(value, bool):  # a switch (`listed`): yes or no, not Python's True
            value = t(f"admin.value.{str(value).lower()}")
        lines.append(f"{key if label == f'admin.detail.{key}' else label}: {value}")
    return lines


def _log_row(entry: group_log.LogEntry, w: Web) -> dict[str, Any]:
    raw = entry.actor.get("role") if entry.actor else None
    role = GroupRole(raw) if raw in {r.value for r in GroupRole} else None
    return {
        "at": entry.at,
        "actor": entry.actor["nickname"] if entry.actor else None,
        "actor_role": role.value if role else None,
        "actor_role_label": role_label(role, w.lang) if role else None,
        "label": action_label(entry.action, w.lang),
        "action": entry.action,
        "target": (entry.target or {}).get("nickname") or (entry.target or {}).get("id"),
        "details": _detail_lines(entry, w.t),
        "result": entry.result,
    }


@router.get("/g/{code}/settings/log")
async def log_page(code: str, w: WebDep) -> Response:
    group = await _group(w, code, GroupAction.VIEW_LOG)
    if not isinstance(group, GroupView):
        return group
    assert w.session is not None
    raw = w.request.query_params.get("before", "")
    before = parse_int(raw, lo=1)
    if raw and before is None:
        return w.not_found()
    page = await group_log.group_log(w.container.db, actor=w.session.user.id, code=group.code, before=before)
    return w.page(
        "group_log.html",
        rows=[_log_row(e, w) for e in page.entries],
        next_before=page.next_before,
        first_page=before is None,
        **await _common(w, group),
    )


# --- the owner: search listing, transfer, pending offers, dissolution ----------------------------------------------


async def _owner_page(w: Web, group: GroupView, exc: QunzuError | None = None, typed: str = "") -> Response:
    assert w.session is not None
    me = w.session.user.id
    members = await group_tools.member_roster(w.container.db, actor=me, code=group.code, now=w.ctx.now)
    offers = await group_offers.group_offers(w.container.db, actor=me, code=group.code)
    listing = await group_directory.listing_state(
        w.container.db, actor=me, code=group.code, policy=await w.container.policy.policy()
    )
    return w.page(
        "group_owner.html",
        status_code=_status(exc),
        candidates=[m for m in members if m.user_id != me],
        offers=[_offer_row(o, w) for o in offers],
        listing=listing,
        typed=typed,
        **await _common(w, group),
        **_refusal(exc, w),
    )


def _offer_row(o: group_offers.OfferView, w: Web) -> dict[str, Any]:
    return {"id": o.id, "nickname": o.user_nickname, "role_label": role_label(o.role, w.lang), "at": o.created_at}


@router.get("/g/{code}/settings/owner")
async def owner_page(code: str, w: WebDep) -> Response:
    group = await _group(w, code, GroupAction.TRANSFER)
    if not isinstance(group, GroupView):
        return group
    if code != group.code:
        return RedirectResponse(f"/g/{group.code}/settings/owner", status_code=308)
    return await _owner_page(w, group)


@router.post("/g/{code}/settings/owner/listing")
async def set_listing(code: str, w: WebDep) -> Response:
    """在群组搜索中展示: the owner's switch (rules Art. 16); the form sends `listed` 1 or 0."""
    group = await _group(w, code, GroupAction.SET_LISTING)
    if not isinstance(group, GroupView):
        return group
    assert w.session is not None
    f = await form_fields(w.request, "csrf", "listed")
    if not w.csrf_valid(f["csrf"]):
        return await _owner_page(w, group, csrf_failed())
    if f["listed"] not in ("0", "1"):
        refused = ValidationFailed("Choose whether to list the group", details={"field": "listed"})
        return await _owner_page(w, group, refused)
    try:
        await group_directory.set_listed(
            w.container.db, actor=w.session.user.id, code=group.code, listed=f["listed"] == "1", ctx=w.ctx,
            policy=await w.container.policy.policy(),
        )  # fmt: skip
    except QunzuError as exc:
        return await _owner_page(w, group, exc)
    done = "listed" if f["listed"] == "1" else "unlisted"
    return RedirectResponse(f"/g/{group.code}/settings/owner?done={done}", status_code=303)


@router.post("/g/{code}/settings/owner/transfer")
async def transfer(code: str, w: WebDep) -> Response:
    group = await _group(w, code, GroupAction.TRANSFER)
    if not isinstance(group, GroupView):
        return group
    assert w.session is not None
    f = await form_fields(w.request, "csrf", "user_id", "confirm")
    if not w.csrf_valid(f["csrf"]):
        return await _owner_page(w, group, csrf_failed())
    target = parse_int(f["user_id"], lo=1)
    try:
        if target is None or f["confirm"] != "1":
            raise QunzuError("Choose a member and confirm", code=ErrorCode.VALIDATION_FAILED,
                             details={"field": "confirm" if target else "user_id"})  # fmt: skip
        await group_roles.offer_ownership(
            w.container.db, actor=w.session.user.id, code=group.code, to_user=target, ctx=w.ctx
        )
    except QunzuError as exc:
        return await _owner_page(w, group, exc)
    return RedirectResponse(f"/g/{group.code}/settings/owner?done=transfer", status_code=303)


@router.post("/g/{code}/settings/owner/offers/{offer}/cancel")
async def cancel_offer(code: str, offer: str, w: WebDep) -> Response:
    group = await _group(w, code, GroupAction.SET_MANAGERS)
    if not isinstance(group, GroupView):
        return group
    assert w.session is not None
    offer_id = parse_int(offer, lo=1)
    if offer_id is None:
        return w.not_found()
    f = await form_fields(w.request, "csrf", "back")
    back = "members" if f["back"] == "members" else "owner"
    if not w.csrf_valid(f["csrf"]):
        return await _owner_page(w, group, csrf_failed())
    try:
        await group_roles.cancel_offer(
            w.container.db, actor=w.session.user.id, code=group.code, offer_id=offer_id, ctx=w.ctx
        )
    except QunzuError as exc:
        return await _owner_page(w, group, exc)
    return RedirectResponse(f"/g/{group.code}/settings/{back}?done=cancelled", status_code=303)


@router.post("/g/{code}/settings/owner/dissolve")
async def dissolve(code: str, w: WebDep) -> Response:
    group = await _group(w, code, GroupAction.DISSOLVE)
    if not isinstance(group, GroupView):
        return group
    assert w.session is not None
    f = await form_fields(w.request, "csrf", "confirm_name")
    if not w.csrf_valid(f["csrf"]):
        return await _owner_page(w, group, csrf_failed(), typed=f["confirm_name"])
    try:
        await group_tools.dissolve_group(
            w.container.db, actor=w.session.user.id, code=group.code, confirm_name=f["confirm_name"], ctx=w.ctx
        )
    except QunzuError as exc:
        return await _owner_page(w, group, exc, typed=f["confirm_name"][:200])
    return RedirectResponse(f"/g/{group.code}", status_code=303)
