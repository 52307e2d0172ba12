"""The group tools (Art. 9): managers and owners by consent, member tools, dissolution, the group's operation log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from qunzu.api.deps import ContainerDep, CtxDep, UserDep
from qunzu.api.responses import AUTHED, errors
from qunzu.api.schemas import MAX_ID, MemberPublic, OneLine, UserRef
from qunzu.api.schemas_group_admin import (
    DissolveBody,
    LogOut,
    MuteBody,
    MuteOut,
    OfferAnswer,
    OfferPublic,
    OffersOut,
)
from qunzu.services import group_log, group_roles, group_tools
from qunzu.services import group_offers as offers_svc
from qunzu.services.documents import current_versions

router = APIRouter(prefix="/api/v1", tags=["group tools"])
Code = Annotated[OneLine, Path(min_length=1, max_length=32, description="group code, 10 digits")]
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
TOOL_ERRORS = errors(*AUTHED, 403, 404, 409, 410)


async def _duties_version(c: ContainerDep) -> int | None:
    async with c.db.uow(write=False) as uow:
        return (await current_versions(uow.conn)).get("owner_duties")


# --- managers and ownership, by consent ------------------------------------------------------------------------


@router.post("/groups/{code}/managers", status_code=202, response_model=OfferPublic, responses=TOOL_ERRORS)
async def offer_manager(code: Code, body: UserRef, user: UserDep, c: ContainerDep, ctx: CtxDep) -> OfferPublic:
    """The owner offers a member the manager role (管理员). They get no powers until they accept it with the
    群主责任告知书 (`POST /me/offers/{id}/accept`); refused with `managers_limit` at the group's maximum (pending
    offers counted), or when they are not eligible (verification level, credit)."""
    view = await group_roles.offer_manager(
        c.db, actor=user.id, code=code, user_id=body.user_id, ctx=ctx, policy=await c.policy.policy()
    )
    return OfferPublic.of(view, ctx.language)


@router.delete("/groups/{code}/managers/{user_id}", response_model=MemberPublic, responses=TOOL_ERRORS)
async def remove_manager(code: Code, user_id: IdPath, user: UserDep, c: ContainerDep, ctx: CtxDep) -> MemberPublic:
    """The owner returns a manager to ordinary member, at once."""
    view = await group_roles.remove_manager(c.db, actor=user.id, code=code, user_id=user_id, ctx=ctx)
    return MemberPublic.of(view, ctx.language)


@router.post("/groups/{code}/managers/me/resign", response_model=MemberPublic, responses=TOOL_ERRORS)
async def resign(code: Code, user: UserDep, c: ContainerDep, ctx: CtxDep) -> MemberPublic:
    """A manager steps down to ordinary member (the owner transfers the group instead: `owner_must_transfer`)."""
    view = await group_roles.resign_manager(c.db, actor=user.id, code=code, ctx=ctx)
    return MemberPublic.of(view, ctx.language)


@router.post("/groups/{code}/transfer", status_code=202, response_model=OfferPublic, responses=TOOL_ERRORS)
async def transfer(code: Code, body: UserRef, user: UserDep, c: ContainerDep, ctx: CtxDep) -> OfferPublic:
    """The owner offers the group to a member. Nothing changes until they accept (with the duties notice, meeting
    the creation requirements of the group's tier and category, within their owned-groups cap); a decline leaves
    the owner unchanged. One transfer offer stands at a time."""
    view = await group_roles.offer_ownership(c.db, actor=user.id, code=code, to_user=body.user_id, ctx=ctx)
    return OfferPublic.of(view, ctx.language)


@router.get("/groups/{code}/offers", response_model=OffersOut, responses=errors(*AUTHED, 403, 404))
async def group_offers(code: Code, user: UserDep, c: ContainerDep, ctx: CtxDep) -> OffersOut:
    """The group's pending offers (owner and managers)."""
    views = await offers_svc.group_offers(c.db, actor=user.id, code=code)
    return OffersOut(offers=[OfferPublic.of(v, ctx.language) for v in views], duties_version=await _duties_version(c))


@router.delete("/groups/{code}/offers/{offer_id}", response_model=OfferPublic, responses=TOOL_ERRORS)
async def cancel_offer(code: Code, offer_id: IdPath, user: UserDep, c: ContainerDep, ctx: CtxDep) -> OfferPublic:
    """The owner withdraws a pending offer."""
    view = await group_roles.cancel_offer(c.db, actor=user.id, code=code, offer_id=offer_id, ctx=ctx)
    return OfferPublic.of(view, ctx.language)


@router.get("/me/offers", response_model=OffersOut, responses=errors(*AUTHED))
async def my_offers(user: UserDep, c: ContainerDep, ctx: CtxDep) -> OffersOut:
    """Offers waiting for my answer, with the current duties-notice version to accept them with."""
    views = await offers_svc.my_offers(c.db, actor=user.id)
    return OffersOut(offers=[OfferPublic.of(v, ctx.language) for v in views], duties_version=await _duties_version(c))


@router.post("/me/offers/{offer_id}/accept", response_model=OfferPublic, responses=TOOL_ERRORS)
async def accept_offer(offer_id: IdPath, body: OfferAnswer, user: UserDep, c: ContainerDep, ctx: CtxDep) -> OfferPublic:
    """Accept an offer with the current 群主责任告知书 (`duties_version`; stale or missing: `duties_not_accepted`)."""
    view = await group_roles.accept_offer(
        c.db,
        actor=user.id,
        offer_id=offer_id,
        duties_version=body.duties_version,
        ctx=ctx,
        policy=await c.policy.policy(),
    )
    return OfferPublic.of(view, ctx.language)


@router.post("/me/offers/{offer_id}/decline", response_model=OfferPublic, responses=errors(*AUTHED, 404))
async def decline_offer(offer_id: IdPath, user: UserDep, c: ContainerDep, ctx: CtxDep) -> OfferPublic:
    """Decline an offer: nothing else changes."""
    view = await group_roles.decline_offer(c.db, actor=user.id, offer_id=offer_id, ctx=ctx)
    return OfferPublic.of(view, ctx.language)


# --- member tools and dissolution --------------------------------------------------------------------------------


@router.delete("/groups/{code}/members/{user_id}", status_code=204, responses=TOOL_ERRORS)
async def remove_member(code: Code, user_id: IdPath, user: UserDep, c: ContainerDep, ctx: CtxDep) -> Response:
    """Remove a member (移出群聊): the owner anyone but themself, a manager ordinary members only."""
    await group_tools.remove_member(c.db, actor=user.id, code=code, user_id=user_id, ctx=ctx)
    return Response(status_code=204)


@router.post("/groups/{code}/members/{user_id}/mute", response_model=MuteOut, responses=TOOL_ERRORS)
async def mute(code: Code, user_id: IdPath, body: MuteBody, user: UserDep, c: ContainerDep, ctx: CtxDep) -> MuteOut:
    """Mute a member (禁言) for 10 minutes to 30 days (`seconds`); a new mute replaces the last."""
    until = await group_tools.mute_member(
        c.db, actor=user.id, code=code, user_id=user_id, seconds=body.seconds, ctx=ctx
    )
    return MuteOut(user_id=user_id, muted_until=until)


@router.delete("/groups/{code}/members/{user_id}/mute", status_code=204, responses=TOOL_ERRORS)
async def unmute(code: Code, user_id: IdPath, user: UserDep, c: ContainerDep, ctx: CtxDep) -> Response:
    """Lift a member's mute."""
    await group_tools.unmute_member(c.db, actor=user.id, code=code, user_id=user_id, ctx=ctx)
    return Response(status_code=204)


@router.post("/groups/{code}/dissolve", status_code=204, responses=TOOL_ERRORS)
async def dissolve(code: Code, body: DissolveBody, user: UserDep, c: ContainerDep, ctx: CtxDep) -> Response:
    """The owner dissolves the group (解散群聊), typing its name to confirm. Its code then shows a tombstone and
    is never reused; members' open chats get a `dissolved` activity."""
    await group_tools.dissolve_group(c.db, actor=user.id, code=code, confirm_name=body.confirm_name, ctx=ctx)
    return Response(status_code=204)


# --- the group's operation log -----------------------------------------------------------------------------------


@router.get("/groups/{code}/log", response_model=LogOut, responses=errors(*AUTHED, 403, 404))
async def log(
    code: Code,
    user: UserDep,
    c: ContainerDep,
    ctx: CtxDep,
    before: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    limit: Annotated[int, Query(ge=1, le=group_log.PAGE_MAX)] = 50,
) -> LogOut:
    """The group's operation log, newest first (owner and managers; members: `forbidden_role`). No source
    addresses: those stay for inspection."""
    page = await group_log.group_log(c.db, actor=user.id, code=code, before=before, limit=limit)
    return LogOut.of(page, ctx.language)
