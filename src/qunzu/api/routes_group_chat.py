"""The chat controls of a group's owner and managers (R-9.3-1): mute all, slow mode, pins, the keyword filter."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from qunzu.api.deps import ContainerDep, CtxDep, UserDep
from qunzu.api.responses import AUTHED, errors
from qunzu.api.schemas import MAX_ID, MessagePublic, OneLine
from qunzu.api.schemas_group_chat import (
    ChatControlsOut,
    HeldDecision,
    HeldListOut,
    HeldOut,
    KeywordBody,
    KeywordOut,
    KeywordsOut,
    MuteAllBody,
    PinOut,
    PinsOut,
    SlowModeBody,
)
from qunzu.services import group_chat_controls as svc

router = APIRouter(prefix="/api/v1", tags=["chat controls"])
Code = Annotated[OneLine, Path(min_length=1, max_length=32, description="group code, 10 digits")]
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
TOOL_ERRORS = errors(*AUTHED, 403, 404, 409, 410)


@router.get("/groups/{code}/chat-controls", response_model=ChatControlsOut, responses=errors(*AUTHED, 403, 404))
async def chat_controls(code: Code, user: UserDep, c: ContainerDep) -> ChatControlsOut:
    """Mute-all, slow mode and the number of pins as they stand (any member)."""
    return ChatControlsOut.of(await svc.chat_controls(c.db, actor=user.id, code=code))


@router.put("/groups/{code}/mute-all", response_model=ChatControlsOut, responses=TOOL_ERRORS)
async def mute_all(code: Code, body: MuteAllBody, user: UserDep, c: ContainerDep, ctx: CtxDep) -> ChatControlsOut:
    """全员禁言 on or off (owner and managers): ordinary members are refused with `group_muted` while it is on."""
    return ChatControlsOut.of(await svc.set_mute_all(c.db, actor=user.id, code=code, on=body.on, ctx=ctx))


@router.put("/groups/{code}/slow-mode", response_model=ChatControlsOut, responses=TOOL_ERRORS | errors(422))
async def slow_mode(code: Code, body: SlowModeBody, user: UserDep, c: ContainerDep, ctx: CtxDep) -> ChatControlsOut:
    """Slow mode (owner and managers): an ordinary member posts one message per `seconds` (10–3600; 0: off); the
    next is refused with `slow_mode` and `retry_after_ms`."""
    view = await svc.set_slow_mode(c.db, actor=user.id, code=code, seconds=body.seconds, ctx=ctx)
    return ChatControlsOut.of(view)


@router.get("/groups/{code}/pins", response_model=PinsOut, responses=errors(*AUTHED, 403, 404))
async def pins(code: Code, user: UserDep, c: ContainerDep, ctx: CtxDep) -> PinsOut:
    """The group's pinned messages, newest pin first (any member)."""
    found = await svc.list_pins(c.db, actor=user.id, code=code)
    return PinsOut(pins=[PinOut.of(p, ctx.language) for p in found])


@router.post("/groups/{code}/pins/{message_id}", response_model=PinsOut, responses=TOOL_ERRORS)
async def pin(code: Code, message_id: IdPath, user: UserDep, c: ContainerDep, ctx: CtxDep) -> PinsOut:
    """Pin a published message (owner and managers; at most 10: `pins_limit`)."""
    found = await svc.pin_message(c.db, actor=user.id, code=code, message_id=message_id, ctx=ctx)
    return PinsOut(pins=[PinOut.of(p, ctx.language) for p in found])


@router.delete("/groups/{code}/pins/{message_id}", response_model=PinsOut, responses=TOOL_ERRORS)
async def unpin(code: Code, message_id: IdPath, user: UserDep, c: ContainerDep, ctx: CtxDep) -> PinsOut:
    """Unpin a message (owner and managers)."""
    found = await svc.unpin_message(c.db, actor=user.id, code=code, message_id=message_id, ctx=ctx)
    return PinsOut(pins=[PinOut.of(p, ctx.language) for p in found])


@router.get("/groups/{code}/keywords", response_model=KeywordsOut, responses=errors(*AUTHED, 403, 404))
async def keywords(code: Code, user: UserDep, c: ContainerDep) -> KeywordsOut:
    """The group's keyword list (owner and managers)."""
    found = await svc.list_keywords(c.db, actor=user.id, code=code)
    return KeywordsOut(keywords=[KeywordOut.of(k) for k in found])


@router.post("/groups/{code}/keywords", response_model=KeywordsOut, responses=TOOL_ERRORS | errors(422))
async def add_keyword(code: Code, body: KeywordBody, user: UserDep, c: ContainerDep, ctx: CtxDep) -> KeywordsOut:
    """Add a term (owner and managers; at most 100: `keywords_limit`). A message holding it, after the review
    engine's normalisation (full-width, case, traditional characters), is held for the owner and managers."""
    found = await svc.add_keyword(
        c.db, actor=user.id, code=code, term=body.term, normalize=c.review.engine.normalize, ctx=ctx
    )
    return KeywordsOut(keywords=[KeywordOut.of(k) for k in found])


@router.delete("/groups/{code}/keywords", response_model=KeywordsOut, responses=TOOL_ERRORS)
async def remove_keyword(
    code: Code,
    user: UserDep,
    c: ContainerDep,
    ctx: CtxDep,
    term: Annotated[OneLine, Query(min_length=1, max_length=64)],
) -> KeywordsOut:
    """Remove a term (owner and managers)."""
    found = await svc.remove_keyword(c.db, actor=user.id, code=code, term=term, ctx=ctx)
    return KeywordsOut(keywords=[KeywordOut.of(k) for k in found])


@router.get("/groups/{code}/held", response_model=HeldListOut, responses=errors(*AUTHED, 403, 404))
async def held(code: Code, user: UserDep, c: ContainerDep, ctx: CtxDep) -> HeldListOut:
    """Messages held by the group's keyword list, oldest first (owner and managers)."""
    found = await svc.held_messages(c.db, actor=user.id, code=code)
    return HeldListOut(held=[HeldOut.of(h, ctx.language) for h in found])


@router.post("/groups/{code}/held/{message_id}/decision", response_model=MessagePublic, responses=TOOL_ERRORS)
async def decide_held(
    code: Code, message_id: IdPath, body: HeldDecision, user: UserDep, c: ContainerDep, ctx: CtxDep
) -> MessagePublic:
    """Approve (published now, with the next `seq`) or reject (not published, content kept) a held message."""
    view = await svc.decide_held(
        c.db, actor=user.id, code=code, message_id=message_id, approve=body.approve, reason=body.reason, ctx=ctx
    )
    return MessagePublic.of(view, ctx.language)
