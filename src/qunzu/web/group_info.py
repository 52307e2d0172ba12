"""The group info page (群信息页面, R-8.2-2, D7) and the closed group's tombstone (D8).

Members always see the whole page; from `info_public_at` members anyone holding the code does, signed in or not;
below that a non-member sees that the group exists, its name and how to ask to join.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.responses import RedirectResponse, Response

from qunzu.domain.groupcode import format_group_code
from qunzu.domain.roles import role_label
from qunzu.errors import ErrorCode, QunzuError
from qunzu.i18n import category_label
from qunzu.services import group_info
from qunzu.web.complaints import category_choices
from qunzu.web.context import Web, WebDep
from qunzu.web.group_directory import star_view
from qunzu.web.render import hue

router = APIRouter(include_in_schema=False)
MISSING_GROUP = (ErrorCode.GROUP_NOT_FOUND, ErrorCode.INVALID_GROUP_CODE, ErrorCode.NOT_FOUND)


def tombstone_page(w: Web, exc: QunzuError) -> Response:
    """该群已关闭: a closed group's code shows this page, with the code and when it closed (410)."""
    code = str(exc.details.get("code") or "")
    return w.page(
        "group_tombstone.html",
        status_code=410,
        code=code,
        code_display=format_group_code(code) if code else "",
        closed_at=exc.details.get("closed_at"),
    )


def _view(v: group_info.GroupInfo, lang: str) -> dict[str, Any]:
    return {
        "code": v.code,
        "code_display": format_group_code(v.code),
        "name": v.name,
        "initial": v.name[:1],
        "hue": hue(v.code),
        "status": v.status,
        "join_mode": v.join_mode,
        "full": v.full,
        "member": v.my_role is not None,
        "category": category_label(v.category, lang) if v.category else None,
        "tier": v.tier.value if v.tier else None,
        "member_cap": v.member_cap,
        "member_count": v.member_count,
        "created_at": v.created_at,
        "staff": [
            {"nickname": s.nickname, "role": s.role.value, "role_label": role_label(s.role, lang)} for s in v.staff
        ],
        "stars": star_view(v.stars) if v.stars is not None else None,  # the full view only
        "listed": v.listed,  # the owner's alone (None for everyone else)
    }


@router.get("/g/{code}/info")
async def info(code: str, w: WebDep) -> Response:
    actor = w.session.user.id if w.session else None
    try:
        view = await group_info.group_info(
            w.container.db, actor=actor, code=code, policy=await w.container.policy.policy()
        )
    except QunzuError as exc:
        if exc.code is ErrorCode.GROUP_CLOSED:
            return tombstone_page(w, exc)
        if exc.code in MISSING_GROUP:
            return w.not_found("notfound.group")
        raise
    if code != view.code:
        return RedirectResponse(f"/g/{view.code}/info", status_code=308)
    return w.page(
        "group_info.html",
        info=_view(view, w.lang),
        signed_in=w.session is not None,
        public_at=(await w.container.policy.policy()).info_public_at,
        report_categories=category_choices(w.lang),  # 举报该群 (web/complaints.py)
    )
