"""Messages: post, list with cursors, delete."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from qunzu.api.deps import AuthedDep, ContainerDep, CtxDep, UserDep
from qunzu.api.responses import AUTHED, errors
from qunzu.api.routes_groups import Code
from qunzu.api.schemas import MAX_ID, MessageCreate, MessagePage, MessagePublic
from qunzu.errors import ValidationFailed
from qunzu.services import messages as svc
from qunzu.services.review import screen

router = APIRouter(prefix="/api/v1", tags=["messages"])
SEQ_MAX = 2**31 - 1


@router.post(
    "/groups/{code}/messages",
    status_code=201,
    response_model=MessagePublic,
    responses={200: {"model": MessagePublic, "description": "a retry: the message first posted"}}
    | errors(*AUTHED, 403, 404, 409, 410, 429),
)
async def post_message(code: Code, body: MessageCreate, a: AuthedDep) -> Response:
    """Post text. Reviewed before it is stored: refused (`content_rejected`), held for review (`status`
    `under_review`, seen by the author only) or published. Acknowledged only after it is committed; a retry with the
    same client_msg_id returns it again. Refused while the sender is muted (`member_muted`, until when) or everyone is
    (`group_muted`), within the group's slow mode (`slow_mode`) or above the policy's send rate (`rate_limited`), both
    429 with `retry_after_ms`."""
    c, ctx = a.c, a.ctx
    view, created = await svc.post_message(
        c.writer,
        lambda text: screen(c.review, text),
        actor=a.user.id,
        code=code,
        text=body.text,
        client_msg_id=body.client_msg_id,
        ctx=ctx,
        max_length=c.settings.messages.max_length,
    )
    # The hot path: serialise once with pydantic-core and skip FastAPI's second validation of the response model.
    return Response(
        MessagePublic.of(view, ctx.language).model_dump_json(),
        status_code=201 if created else 200,
        media_type="application/json",
    )


@router.get("/groups/{code}/messages", response_model=MessagePage, responses=errors(*AUTHED, 403, 404))
async def list_messages(
    code: Code,
    user: UserDep,
    c: ContainerDep,
    ctx: CtxDep,
    before: Annotated[int | None, Query(ge=0, le=SEQ_MAX, description="messages with seq below this")] = None,
    after: Annotated[int | None, Query(ge=0, le=SEQ_MAX, description="messages with seq above this")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> MessagePage:
    """A page of messages in sequence order: the newest page, older ones with `before`, newer with `after`."""
    cap = c.settings.messages.page_limit_max
    if limit > cap:
        raise ValidationFailed(f"limit is at most {cap}", details={"field": "limit", "max": cap})
    views = await svc.list_messages(c.db, actor=user.id, code=code, before=before, after=after, limit=limit + 1)
    has_more = len(views) > limit
    if has_more:
        views = views[:limit] if after is not None else views[1:]
    pending = [] if (before or after) else await svc.my_pending_messages(c.db, actor=user.id, code=code)
    return MessagePage(
        messages=[MessagePublic.of(v, ctx.language) for v in views],
        has_more=has_more,
        pending=[MessagePublic.of(v, ctx.language) for v in pending],
    )


@router.delete(
    "/groups/{code}/messages/{message_id}", response_model=MessagePublic, responses=errors(*AUTHED, 403, 404)
)
async def delete_message(
    code: Code,
    message_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    user: UserDep,
    c: ContainerDep,
    ctx: CtxDep,
) -> MessagePublic:
    """Authors delete their own messages; the owner and managers any. The record is kept."""
    view = await svc.delete_message(c.db, actor=user.id, code=code, message_id=message_id, ctx=ctx)
    return MessagePublic.of(view, ctx.language)
