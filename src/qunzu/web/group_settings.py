"""群设置: the creator and managers edit the group's name, description and announcement (群公告).

A server-rendered form (works without JavaScript): parse, check CSRF, call `update_profile`, redirect to the chat
with a flash; a refusal re-renders the form with the person's input and the error on its field.
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import RedirectResponse, Response

from qunzu.domain.text import clean_line, clean_text
from qunzu.errors import ErrorCode, QunzuError
from qunzu.services import groups as group_service
from qunzu.services.csrf import csrf_failed
from qunzu.services.review import profile_screen
from qunzu.services.views import GroupView
from qunzu.web.context import Web, WebDep, form_fields
from qunzu.web.i18n import error_action, error_field, form_error
from qunzu.web.pages import can_edit_profile, group_card, group_for_page

router = APIRouter(include_in_schema=False)
FIELDS = ("name", "description", "announcement")
REFUSED_ROLE = (ErrorCode.FORBIDDEN_ROLE, ErrorCode.NOT_MEMBER)


def _settings_page(w: Web, group: GroupView, values: dict[str, str], error: QunzuError | None = None) -> Response:
    g = w.container.settings.groups
    return w.page(
        "group_settings.html",
        status_code=422 if error else 200,
        group=group_card(group, w.lang),
        values=values,
        announcement_at=group.announcement_at,
        name_max=g.name_max_length,
        description_max=g.description_max_length,
        announcement_max=g.announcement_max_length,
        error=form_error(error, w.lang) if error else None,
        error_field=error_field(error) if error else None,
        error_action=error_action(error),
    )


def _refused(w: Web, group: GroupView, code: ErrorCode | None = None) -> Response | None:
    """The page for someone who may not edit: not a member, or a member without the creator's or a manager's role."""
    if group.my_role is None or code is ErrorCode.NOT_MEMBER:
        return w.page("not_member.html", status_code=403, group=group_card(group, w.lang))
    if not can_edit_profile(group) or code is ErrorCode.FORBIDDEN_ROLE:
        return w.forbidden("group_settings.forbidden", back=(f"/g/{group.code}", "group_settings.back"))
    return None


@router.get("/g/{code}/settings")
async def settings_form(code: str, w: WebDep) -> Response:
    group = await group_for_page(w, code)
    if not isinstance(group, GroupView):
        return group
    if code != group.code:
        return RedirectResponse(f"/g/{group.code}/settings", status_code=308)
    refused = _refused(w, group)
    if refused is not None:
        return refused
    values = {"name": group.name, "description": group.description, "announcement": group.announcement}
    return _settings_page(w, group, values)


@router.post("/g/{code}/settings")
async def save_settings(code: str, w: WebDep) -> Response:
    group = await group_for_page(w, code)
    if not isinstance(group, GroupView):
        return group
    refused = _refused(w, group)
    if refused is not None:
        return refused
    assert w.session is not None
    f = await form_fields(w.request, *FIELDS, "csrf")
    kept = {k: f[k] for k in FIELDS}
    if not w.csrf_valid(f["csrf"]):
        return _settings_page(w, group, kept, csrf_failed())
    try:
        await group_service.update_profile(
            w.container.db,
            actor=w.session.user.id,
            code=group.code,
            name=clean_line(f["name"], field="name", required=False),
            description=clean_text(f["description"], field="description"),
            announcement=clean_text(f["announcement"], field="announcement"),
            ctx=w.ctx,
            limits=w.container.settings.groups,
            screen=profile_screen(w.container.review),
        )
    except QunzuError as exc:
        if exc.code in REFUSED_ROLE:  # the role changed since the page was loaded
            return _refused(w, group, exc.code) or w.forbidden()
        return _settings_page(w, group, kept, exc)
    return RedirectResponse(f"/g/{group.code}?saved=1", status_code=303)
