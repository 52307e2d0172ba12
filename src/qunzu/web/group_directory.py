"""搜索群组: the group search page, open to visitors too (group rules Art. 16, 37), and the credit stars as pages
show them (★★★★☆ with a spoken label, and what a level below five turns off).

A plain GET form: the results are links to each group's info page, which a found group always shows in full (search
finds only groups whose info page is public).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.responses import Response

from qunzu.domain.group_stars import STARS_MAX, effects
from qunzu.domain.groupcode import format_group_code
from qunzu.domain.text import parse_int
from qunzu.errors import ErrorCode, QunzuError
from qunzu.i18n import category_label
from qunzu.services import group_directory
from qunzu.web.context import FORM_FIELD_MAX, WebDep
from qunzu.web.i18n import form_error
from qunzu.web.render import hue

router = APIRouter(include_in_schema=False)
PER_PAGE = 20  # within the service's PAGE_MAX
OFFSET_MAX = 10_000  # as the API's: search finds a group, it does not walk the directory


def star_view(stars: int) -> dict[str, Any]:
    """A level of credit stars for a template: the glyphs, the count, and the keys of what it restricts (rules
    Art. 37), most visible first; at three stars and fewer "not shown in search" replaces "ranked lower"."""
    e = effects(stars)
    restricted = []
    if not e.searchable:
        restricted.append("searchable")
    elif e.ranked_lower:
        restricted.append("ranked_lower")
    restricted += [name for name in ("link_joins", "new_members", "message_links") if not getattr(e, name)]
    return {"n": stars, "glyphs": "★" * stars + "☆" * (STARS_MAX - stars), "restricted": restricted}


def _found(g: group_directory.FoundGroup, lang: str) -> dict[str, Any]:
    return {
        "code": g.code,
        "code_display": format_group_code(g.code),
        "name": g.name,
        "initial": g.name[:1],
        "hue": hue(g.code),
        "category": category_label(g.category, lang),
        "member_count": g.member_count,
        "stars": star_view(g.stars),
    }


@router.get("/groups/search")
async def search(w: WebDep) -> Response:
    params = w.request.query_params
    policy = await w.container.policy.policy()
    q = params.get("q", "")[:FORM_FIELD_MAX]
    common: dict[str, Any] = {"q": q, "public_at": policy.info_public_at}
    if not q.strip():  # nothing asked yet: the form, and which groups search can find
        return w.page("group_search.html", page=None, error=None, **common)
    offset = parse_int(params.get("offset") or "0", hi=OFFSET_MAX)
    if offset is None:
        return w.not_found()
    try:
        await w.container.throttle.group_search(ip=w.ctx.ip, now=w.ctx.now)
        page = await group_directory.search_groups(w.container.db, q=q, policy=policy, limit=PER_PAGE, offset=offset)
    except QunzuError as exc:
        if exc.code not in (ErrorCode.VALIDATION_FAILED, ErrorCode.RATE_LIMITED):
            raise
        status = 429 if exc.code is ErrorCode.RATE_LIMITED else 422
        return w.page("group_search.html", status_code=status, page=None, error=form_error(exc, w.lang), **common)
    return w.page(
        "group_search.html",
        page={
            "query": page.query,
            "results": [_found(g, w.lang) for g in page.results],
            "previous": max(0, offset - PER_PAGE) if offset > 0 else None,
            "next": offset + PER_PAGE if page.has_more and offset + PER_PAGE <= OFFSET_MAX else None,
        },
        error=None,
        **common,
    )
