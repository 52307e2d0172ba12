"""The staff console's group creation-review queue (R-8.3-1): XL and sensitive-category groups wait here until a
reviewer approves or refuses them with a reason. Compliance officers read the queue; reviewers and admins decide."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from starlette.responses import RedirectResponse, Response

from qunzu.domain.groupcode import format_group_code
from qunzu.domain.staff import CONTENT_READERS, CONTENT_REVIEWERS
from qunzu.errors import ErrorCode, QunzuError
from qunzu.i18n import category_label
from qunzu.services import creation_review
from qunzu.web.context import Web, form_fields, staff_page
from qunzu.web.i18n import form_error
from qunzu.web.staff import _page, _refused

router = APIRouter(include_in_schema=False)
GroupReviewDep = Annotated[Web, Depends(staff_page(CONTENT_READERS))]


async def _queue_page(w: Web, *, error: QunzuError | None = None) -> Response:
    assert w.session is not None
    try:
        pending = await creation_review.pending_groups(w.container.db, staff=w.session.user, now=w.ctx.now)
    except QunzuError as exc:
        return _refused(w, exc)
    items = [
        {
            "code": p.code,
            "code_display": format_group_code(p.code),
            "name": p.name,
            "category": category_label(p.category, w.lang),
            "tier": p.tier,
            "member_cap": p.member_cap,
            "purpose": p.purpose,
            "description": p.description,
            "created_at": p.created_at,
            "creator_id": p.creator_id,
            "creator_nickname": p.creator_nickname,
            "creator_level": p.creator_verification_level,
            "creator_score": p.creator_credit_score,
            "creator_credit_level": int(p.creator_credit_level),
        }
        for p in pending
    ]
    decided = w.request.query_params.get("decided", "")
    return _page(
        w,
        "staff_groups.html",
        "groups",
        status_code=422 if error else 200,
        items=items,
        can_decide=w.session.user.staff_role in CONTENT_REVIEWERS,
        decided=format_group_code(decided) if decided.isdigit() and len(decided) == 10 else None,
        error=form_error(error, w.lang) if error else None,
    )


@router.get("/staff/groups")
async def queue(w: GroupReviewDep) -> Response:
    return await _queue_page(w)


@router.post("/staff/groups/{code}/decision")
async def decide(code: str, w: GroupReviewDep) -> Response:
    """Approve, or refuse with a reason; then back to the queue."""
    assert w.session is not None
    f = await form_fields(w.request, "decision", "reason", "csrf")
    try:
        w.check_csrf(f["csrf"])
        await creation_review.decide_group(
            w.container.db,
            staff=w.session.user,
            code=code,
            approve=f["decision"] == "approve",
            reason=f["reason"],
            ctx=w.ctx,
        )
    except QunzuError as exc:
        if exc.code in (ErrorCode.FORBIDDEN, ErrorCode.NOT_FOUND, ErrorCode.GROUP_NOT_FOUND):
            return w.forbidden() if exc.code is ErrorCode.FORBIDDEN else w.not_found()
        return await _queue_page(w, error=exc)
    return RedirectResponse(f"/staff/groups?decided={code}", status_code=303)
