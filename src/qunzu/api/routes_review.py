"""Staff API for content review: the queue, decisions, the test tool, lexicon management."""

from __future__ import annotations

import asyncio
import io
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from qunzu.api.deps import ContainerDep, CtxDep, UserDep
from qunzu.api.responses import AUTHED, errors
from qunzu.api.schemas import (
    MAX_ID,
    LexiconEditIn,
    LexiconInfoOut,
    LexiconReplaceIn,
    ReviewDecisionIn,
    ReviewItemOut,
    TestTextIn,
    TestTextOut,
)
from qunzu.domain.content import REASON_CODES
from qunzu.review import Lexicon, LexiconEntry
from qunzu.review.model import Action, Category
from qunzu.services import review

router = APIRouter(prefix="/api/v1/staff", tags=["review"])


@router.get("/review/queue", response_model=list[ReviewItemOut], responses=errors(*AUTHED, 403))
async def queue(
    user: UserDep,
    c: ContainerDep,
    state: Annotated[str, Query(pattern="^(pending|approved|rejected)$")] = "pending",
) -> list[ReviewItemOut]:
    """Held and flagged items (messages, group names and descriptions, nicknames) with their context."""
    return [ReviewItemOut(**i) for i in await review.review_queue(c.db, staff=user, state=state)]


@router.get("/review/reason-codes", response_model=list[str], responses=errors(*AUTHED))
async def reason_codes(user: UserDep) -> list[str]:
    """The reason codes a rejection names."""
    return list(REASON_CODES)


@router.post("/review/items/{item_id}/decide", status_code=204, responses=errors(*AUTHED, 403, 404, 409))
async def decide(
    item_id: Annotated[int, Path(ge=1, le=MAX_ID)], body: ReviewDecisionIn, user: UserDep, c: ContainerDep, ctx: CtxDep
) -> Response:
    """Approve (a held message is then delivered) or reject with a reason code (removed for members, kept on
    record, a violation recorded against the author). `confirmed_illegal` with a rejection (R-10-3): the text is banned
    everywhere (`content_rejected`) and a content-removal record is written and reported."""
    await review.decide_item(
        c.db,
        staff=user,
        item_id=item_id,
        approve=body.approve,
        reason_code=body.reason_code,
        lexicon_version=c.review.lexicon_version,
        ctx=ctx,
        confirmed_illegal=body.confirmed_illegal,
        ban_digest=c.review.ban_digest,
    )
    if body.confirmed_illegal:  # this process refuses the text at once; the others within a second or two
        await c.review.refresh_bans()
    return Response(status_code=204)


@router.post("/review/test", response_model=TestTextOut, responses=errors(*AUTHED, 403))
async def test_text(body: TestTextIn, user: UserDep, c: ContainerDep) -> TestTextOut:
    """What the engine sees: the normalised text, the hits (mapped back to the original) and the decision."""
    return TestTextOut(**review.test_text(c.review, staff=user, text=body.text))


@router.get("/lexicon", response_model=list[LexiconInfoOut], responses=errors(*AUTHED, 403))
async def history(user: UserDep, c: ContainerDep) -> list[LexiconInfoOut]:
    """Lexicon versions, newest first."""
    return [LexiconInfoOut(**_info(i)) for i in await review.lexicon_history(c.db, staff=user)]


def _info(i: review.LexiconInfo) -> dict[str, object]:
    return {
        "version": i.version,
        "content_hash": i.content_hash,
        "term_count": i.term_count,
        "note": i.note,
        "created_at": i.created_at,
        "created_by": i.created_by,
    }


@router.get(
    "/lexicon/current",
    responses={200: {"content": {"text/plain": {}, "text/csv": {}}}} | errors(*AUTHED, 403),
)
async def current(
    user: UserDep, c: ContainerDep, fmt: Annotated[str, Query(alias="format", pattern="^(text|csv)$")] = "text"
) -> Response:
    """The current lexicon as plain text (term<TAB>category<TAB>action…) or CSV."""
    version, content = await review.current_lexicon(c.db, staff=user)
    if fmt == "csv":
        body = Lexicon.load_text(content.splitlines(), strict=False).dump_csv()
        return Response(
            body,
            media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="lexicon-v{version}.csv"'},
        )
    return Response(content, media_type="text/plain; charset=utf-8")


def _load_lexicon(raw: bytes) -> tuple[LexiconReplaceIn, Lexicon]:
    body = LexiconReplaceIn.model_validate_json(raw)
    lexicon = (
        Lexicon.load_csv(io.StringIO(body.content, newline=""))
        if body.format == "csv"
        else Lexicon.load_text(body.content.splitlines())
    )
    return body, lexicon


@router.put(
    "/lexicon",
    response_model=LexiconInfoOut,
    responses=errors(*AUTHED, 403, 413),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": LexiconReplaceIn.model_json_schema()}},
        }
    },
)
async def replace(request: Request, user: UserDep, c: ContainerDep, ctx: CtxDep) -> LexiconInfoOut:
    """Replace the whole lexicon (a new version; every server process uses it within 5 seconds).

    The body (up to `server.max_lexicon_bytes`) is read only once the caller's role may edit the lexicon, and
    parsed off the event loop, so a large upload neither reaches the parser unauthorised nor stalls other requests.
    """
    review.check_may_edit_lexicon(staff=user)
    raw = await request.body()
    try:
        body, lexicon = await asyncio.to_thread(_load_lexicon, raw)
    except ValidationError as exc:
        raise RequestValidationError(exc.errors(include_url=False, include_input=False)) from None
    info = await review.edit_lexicon(c.db, c.review, staff=user, replace_with=lexicon, note=body.note, ctx=ctx)
    return LexiconInfoOut(**_info(info))


@router.post("/lexicon/entries", response_model=LexiconInfoOut, responses=errors(*AUTHED, 403, 404))
async def edit(body: LexiconEditIn, user: UserDep, c: ContainerDep, ctx: CtxDep) -> LexiconInfoOut:
    """Add and remove entries (a new version)."""
    entries = [
        LexiconEntry(
            e.term,
            Category(e.category),
            Action(e.action),
            exceptions=tuple(e.exceptions),
            pinyin_initials=e.pinyin_initials,
        )
        for e in body.add
    ]
    info = await review.edit_lexicon(
        c.db, c.review, staff=user, add=entries, remove=list(body.remove), note=body.note, ctx=ctx
    )
    return LexiconInfoOut(**_info(info))
