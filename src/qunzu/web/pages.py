"""Pages: the welcome page, my groups, a group's chat and its member list (the live parts are ES modules)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.responses import RedirectResponse, Response

from qunzu.domain.groupcode import format_group_code
from qunzu.domain.roles import may_edit_profile, role_label
from qunzu.domain.text import parse_int
from qunzu.errors import ErrorCode, QunzuError
from qunzu.i18n import category_label
from qunzu.services import documents
from qunzu.services import groups as group_service
from qunzu.services.views import GroupView
from qunzu.web import chat_state, invite_pages, measures, offers, staff_emergency
from qunzu.web.context import Web, WebDep
from qunzu.web.group_info import tombstone_page
from qunzu.web.markup import blocks
from qunzu.web.render import hue

router = APIRouter(include_in_schema=False)
MISSING_GROUP = (ErrorCode.GROUP_NOT_FOUND, ErrorCode.INVALID_GROUP_CODE, ErrorCode.NOT_FOUND)
MISSING_DOCUMENT = (ErrorCode.DOCUMENT_NOT_FOUND, ErrorCode.NOT_FOUND)


@router.get("/")
async def landing(w: WebDep) -> Response:
    if w.session:
        return RedirectResponse("/groups", status_code=303)
    return w.page("welcome.html")


async def groups_page(
    w: Web,
    *,
    join_code: str = "",
    join_error: str | None = None,
    join_action: tuple[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    """My groups, with the join-by-code form (also re-rendered when a join is refused)."""
    assert w.session is not None
    views = await group_service.list_my_groups(w.container.db, actor=w.session.user.id)
    return w.page(
        "groups.html",
        status_code=status_code,
        groups=[group_card(v, w.lang) for v in views],
        join_code=join_code,
        join_error=join_error,
        join_action=join_action,
        **await invite_pages.pending_joins(w),
        **await offers.pending_offers(w),
    )


@router.get("/groups")
async def my_groups(w: WebDep) -> Response:
    if w.session is None:
        return w.to_login()
    return await groups_page(w)


def group_card(v: GroupView, lang: str) -> dict[str, Any]:
    return {
        "code": v.code,
        "code_display": format_group_code(v.code),
        "name": v.name,
        "initial": v.name[:1],
        "hue": hue(v.code),
        "category": category_label(v.category, lang),
        "description": v.description,
        "member_count": v.member_count,
        "role": v.my_role.value if v.my_role else None,
        "role_label": role_label(v.my_role, lang) if v.my_role else None,
    }


async def group_for_page(w: Web, code: str) -> GroupView | Response:
    """The group for a /g/{code} page, or the response to send instead (sign in, or not found)."""
    if w.session is None:
        return w.to_login()
    try:
        return await group_service.get_group(w.container.db, actor=w.session.user.id, code=code)
    except QunzuError as exc:
        if exc.code in MISSING_GROUP:
            return w.not_found("notfound.group")
        if exc.code is ErrorCode.GROUP_CLOSED:
            return tombstone_page(w, exc)  # 该群已关闭 (D8)
        raise


def _page_data(w: Web, group: GroupView) -> dict[str, Any]:
    assert w.session is not None
    return {
        "code": group.code,
        "me": {"id": w.session.user.id, "nickname": w.session.user.nickname},
        "my_role": group.my_role.value if group.my_role else None,
        "member_count": group.member_count,
        "last_seq": group.last_seq,
        "lang": w.lang,
        "max_length": w.container.settings.messages.max_length,
        "server_now_ms": int(w.ctx.now.timestamp() * 1000),  # deletions after this are replayed on reconnect
    }


@router.get("/g/{code}")
async def chat(code: str, w: WebDep) -> Response:
    group = await group_for_page(w, code)
    if not isinstance(group, GroupView):
        return group
    if code != group.code:
        return RedirectResponse(f"/g/{group.code}", status_code=308)
    card = group_card(group, w.lang)
    if group.status == "pending_review":  # its creator's alone until a reviewer decides (R-8.3-1)
        return w.page("group_pending.html", group=card, purpose=group.purpose, max_tier=group.max_tier)
    if group.my_role is None:
        return w.page("not_member.html", group=card, **await invite_pages.non_member_context(w, group))
    return w.page(
        "chat.html",
        **await invite_pages.chat_context(w, group),
        **await offers.managers_banner(w, group),
        **await staff_emergency.chat_context(  # an emergency switch on the group closes the composer (R-5.1-4)
            w, group, await measures.chat_context(w, group, await chat_state.composer_context(w, group))
        ),  # muted, mute-all, slow mode (R-9.3-1); a platform measure's suspension or mute and the warnings in force
        # (Art. 11)
        group=card,
        page_data=_page_data(w, group),
        announcement=group.announcement,
        announcement_at=group.announcement_at,
        can_edit=can_edit_profile(group),
        saved=w.request.query_params.get("saved") == "1",
    )


def can_edit_profile(group: GroupView) -> bool:
    """Whether the page offers 群设置 (the domain's rule: the creator and managers)."""
    return may_edit_profile(group.my_role)


@router.get("/g/{code}/members")
async def members(code: str, w: WebDep) -> Response:
    group = await group_for_page(w, code)
    if not isinstance(group, GroupView):
        return group
    card = group_card(group, w.lang)
    if group.my_role is None:
        return w.page("not_member.html", group=card)
    return w.page("members.html", group=card, page_data=_page_data(w, group))


@router.get("/documents")
async def document_index(w: WebDep) -> Response:
    """The platform's published rules and agreements, readable without signing in."""
    current = await documents.list_current(w.container.db)
    return w.page(
        "documents.html",
        docs=[
            {
                "kind": d.kind,
                "title": d.title(w.lang),
                "version": d.version,
                "effective": d.effective_at,
                "summary": d.summary(w.lang),
            }
            for d in current
        ],
    )


@router.get("/documents/{kind}")
async def document(kind: str, w: WebDep) -> Response:
    """A published document with its change log; `?version=N` shows an earlier version."""
    raw = w.request.query_params.get("version", "")
    wanted = parse_int(raw, lo=1, hi=9_999_999)
    if raw and wanted is None:
        return w.not_found()
    try:
        versions = await documents.list_versions(w.container.db, kind=kind)
    except QunzuError as exc:
        if exc.code in MISSING_DOCUMENT:
            return w.not_found()
        raise
    doc = next((v for v in versions if wanted is None or v.version == wanted), None)
    if doc is None:
        return w.not_found()
    return w.page(
        "document.html",
        doc_kind=doc.kind,
        doc_title=doc.title(w.lang),
        doc_version=doc.version,
        doc_effective=doc.effective_at.date().isoformat(),
        doc_blocks=blocks(doc.body(w.lang)),
        is_current=doc.version == versions[0].version,
        current_version=versions[0].version,
        history=[{"version": v.version, "effective": v.effective_at, "summary": v.summary(w.lang)} for v in versions],
        can_accept=w.pending.get(doc.kind) == doc.version,
    )
