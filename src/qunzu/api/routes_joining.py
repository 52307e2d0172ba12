"""Joining a group (Art. 8 ¶3, R-8.3-3): by code, join requests and decisions, invitations, invite links and QR
codes, join settings, and the rules card a new member acknowledges (R-9.2-1)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Path, Request, Response
from fastapi.responses import JSONResponse

from qunzu.api.deps import ContainerDep, CtxDep, UserDep
from qunzu.api.responses import AUTHED, errors
from qunzu.api.schemas import MAX_ID, GroupPublic, OneLine
from qunzu.api.schemas_joining import (
    DecisionIn,
    InviteIn,
    InviteOut,
    JoinIn,
    JoinRequestOut,
    JoinRequestsOut,
    JoinSettingsIn,
    JoinSettingsOut,
    LinkOut,
    LinkPreviewOut,
    LinksOut,
    RulesSeenOut,
)
from qunzu.bootstrap import Container
from qunzu.domain.policy import GroupPolicy
from qunzu.services import invites, join_decisions, join_settings, joining
from qunzu.services.joining import JoinOutcome
from qunzu.services.review import profile_screen

router = APIRouter(prefix="/api/v1", tags=["joining"])
Code = Annotated[OneLine, Path(min_length=1, max_length=32, description="group code, 10 digits")]
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
Token = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
JOINED = {201: {"model": GroupPublic, "description": "joined"}, 202: {"model": JoinRequestOut,
          "description": "a join request waits for the owner or a manager"}}  # fmt: skip


def _joined(outcome: JoinOutcome, language: str, policy: GroupPolicy) -> Response:
    """201 with the group when joined; 202 with the request when it waits for a manager."""
    if outcome.request is not None:
        return JSONResponse(JoinRequestOut.of(outcome.request).model_dump(mode="json"), status_code=202)
    return JSONResponse(GroupPublic.of(outcome.group, language, policy).model_dump(mode="json"), status_code=201)


async def _policy(c: Container) -> GroupPolicy:
    return await c.policy.policy()


@router.post(
    "/groups/{code}/join", status_code=201, response_model=GroupPublic,
    responses={**errors(*AUTHED, 403, 404, 409, 410, 429), **JOINED},
)  # fmt: skip
async def join(
    code: Code, user: UserDep, c: ContainerDep, ctx: CtxDep, body: Annotated[JoinIn | None, Body()] = None
) -> Response:
    """Join a group by its code (R-8.3-3). 201 with the group when you are a member at once (an open group while
    its size allows); 202 with your join request when it waits for the owner or a manager (`answer` the group's
    join question when it has one: `answer_required`). Refused with `invitation_required`, `group_full`,
    `join_limit` (pending requests count), `verification_level_required` above 100 members, `rate_limited`."""
    outcome = await joining.join_by_code(
        c.db,
        actor=user.id,
        code=code,
        ctx=ctx,
        policy=await _policy(c),
        answer=body.answer if body else "",
        throttle=c.throttle,
    )
    return _joined(outcome, ctx.language, await _policy(c))


# --- my requests and invitations ----------------------------------------------------------------------------------


@router.get("/me/join-requests", response_model=JoinRequestsOut, responses=errors(*AUTHED))
async def my_requests(user: UserDep, c: ContainerDep) -> JoinRequestsOut:
    """My pending join requests."""
    views = await joining.my_requests(c.db, actor=user.id)
    return JoinRequestsOut(requests=[JoinRequestOut.of(v) for v in views], count=len(views))


@router.post("/me/join-requests/{request_id}/withdraw", status_code=204, responses=errors(*AUTHED, 404, 409))
async def withdraw(request_id: IdPath, user: UserDep, c: ContainerDep, ctx: CtxDep) -> Response:
    """Withdraw my pending join request (its place among my groups is given back)."""
    await joining.withdraw_request(c.db, actor=user.id, request_id=request_id, ctx=ctx)
    return Response(status_code=204)


@router.get("/me/invitations", response_model=JoinRequestsOut, responses=errors(*AUTHED))
async def my_invitations(user: UserDep, c: ContainerDep) -> JoinRequestsOut:
    """Invitations waiting for my yes (into groups above 40 members)."""
    views = await invites.my_invitations(c.db, actor=user.id)
    return JoinRequestsOut(requests=[JoinRequestOut.of(v) for v in views], count=len(views))


@router.post(
    "/me/invitations/{invitation_id}/accept", status_code=201, response_model=GroupPublic,
    responses={**errors(*AUTHED, 403, 404, 409, 410, 429), **JOINED},
)  # fmt: skip
async def accept_invitation(invitation_id: IdPath, user: UserDep, c: ContainerDep, ctx: CtxDep) -> Response:
    """Accept an invitation: 201 when a member, 202 when (in an approval group, invited by a member) a join request
    now waits for the owner or a manager."""
    outcome = await invites.answer_invitation(
        c.db, actor=user.id, invitation_id=invitation_id, accept=True, ctx=ctx, policy=await _policy(c),
        throttle=c.throttle,
    )  # fmt: skip
    assert outcome is not None
    return _joined(outcome, ctx.language, await _policy(c))


@router.post("/me/invitations/{invitation_id}/decline", status_code=204, responses=errors(*AUTHED, 404, 409))
async def decline_invitation(invitation_id: IdPath, user: UserDep, c: ContainerDep, ctx: CtxDep) -> Response:
    """Decline an invitation."""
    await invites.answer_invitation(
        c.db, actor=user.id, invitation_id=invitation_id, accept=False, ctx=ctx, policy=await _policy(c)
    )
    return Response(status_code=204)


# --- the managers' side -------------------------------------------------------------------------------------------


@router.get("/groups/{code}/join-requests", response_model=JoinRequestsOut, responses=errors(*AUTHED, 403, 404))
async def pending_requests(code: Code, user: UserDep, c: ContainerDep) -> JoinRequestsOut:
    """The group's pending join requests with nickname, answer and time (owner and managers)."""
    views = await join_decisions.pending_requests(c.db, actor=user.id, code=code)
    return JoinRequestsOut(requests=[JoinRequestOut.of(v) for v in views], count=len(views))


@router.post(
    "/groups/{code}/join-requests/{request_id}/decision",
    response_model=JoinRequestOut,
    responses=errors(*AUTHED, 403, 404, 409, 410),
)
async def decide(
    code: Code, request_id: IdPath, body: DecisionIn, user: UserDep, c: ContainerDep, ctx: CtxDep
) -> JoinRequestOut:
    """Approve (the person becomes a member; `group_full` when no place is left) or refuse (with a reason) a join
    request. The requester is told live (`join_request` frame) and by an account notice."""
    view = await join_decisions.decide_request(
        c.db, actor=user.id, code=code, request_id=request_id, approve=body.approve, reason=body.reason, ctx=ctx,
        policy=await _policy(c),
    )  # fmt: skip
    return JoinRequestOut.of(view)


@router.get("/groups/{code}/joining", response_model=JoinSettingsOut, responses=errors(*AUTHED, 403, 404))
async def get_join_settings(code: Code, user: UserDep, c: ContainerDep) -> JoinSettingsOut:
    """The group's join mode, join question and invite rights (owner and managers)."""
    view = await join_settings.join_settings(c.db, actor=user.id, code=code, policy=await _policy(c))
    return JoinSettingsOut.of(view)


@router.patch("/groups/{code}/joining", response_model=JoinSettingsOut, responses=errors(*AUTHED, 403, 404, 409))
async def set_join_settings(
    code: Code, body: JoinSettingsIn, user: UserDep, c: ContainerDep, ctx: CtxDep
) -> JoinSettingsOut:
    """Set the join mode (only those the tier the group can grow to allows), the join question (≤ 200 characters,
    reviewed) and who may invite (`all` or `managers`). Recorded with old and new values."""
    view = await join_settings.set_join_settings(
        c.db, actor=user.id, code=code, ctx=ctx, policy=await _policy(c), join_mode=body.join_mode,
        join_question=body.join_question, invite_rights=body.invite_rights, screen=profile_screen(c.review),
    )  # fmt: skip
    return JoinSettingsOut.of(view)


@router.post("/groups/{code}/invitations", status_code=201, response_model=InviteOut,
             responses=errors(*AUTHED, 403, 404, 409, 410))  # fmt: skip
async def invite(code: Code, body: InviteIn, user: UserDep, c: ContainerDep, ctx: CtxDep) -> InviteOut:
    """Invite a verified person (by `username` or `user_id`). Above 40 members they must accept (`invited`);
    otherwise they are added at once (`added`), or in an approval group a member's invitation waits for a manager
    (`requested`)."""
    outcome = await invites.invite_user(
        c.db, actor=user.id, code=code, ctx=ctx, policy=await _policy(c), username=body.username,
        user_id=body.user_id,
    )  # fmt: skip
    return InviteOut.of(outcome)


# --- invite links -------------------------------------------------------------------------------------------------


def _base(request: Request) -> str:
    return str(request.base_url)


@router.post("/groups/{code}/links", status_code=201, response_model=LinkOut, responses=errors(*AUTHED, 403, 404, 410))
async def create_link(code: Code, request: Request, user: UserDep, c: ContainerDep, ctx: CtxDep) -> LinkOut:
    """Make an invite link (and QR code) valid for 7 days (S11); refused in L/XL groups (`links_disabled`)."""
    view = await invites.create_link(c.db, actor=user.id, code=code, ctx=ctx, policy=await _policy(c))
    return LinkOut.of(view, _base(request))


@router.get("/groups/{code}/links", response_model=LinksOut, responses=errors(*AUTHED, 403, 404))
async def list_links(code: Code, request: Request, user: UserDep, c: ContainerDep, ctx: CtxDep) -> LinksOut:
    """The group's invite links with their uses, expiry and state."""
    views = await invites.list_links(c.db, actor=user.id, code=code, now=ctx.now)
    return LinksOut(links=[LinkOut.of(v, _base(request)) for v in views])


@router.delete("/groups/{code}/links/{link_id}", response_model=LinkOut, responses=errors(*AUTHED, 403, 404))
async def revoke_link(
    code: Code, link_id: IdPath, request: Request, user: UserDep, c: ContainerDep, ctx: CtxDep
) -> LinkOut:
    """Revoke an invite link: it stops working at once."""
    view = await invites.revoke_link(c.db, actor=user.id, code=code, link_id=link_id, ctx=ctx)
    return LinkOut.of(view, _base(request))


@router.get("/invites/{token}", response_model=LinkPreviewOut, responses=errors(404, 410))
async def preview_link(token: Token, c: ContainerDep, ctx: CtxDep) -> LinkPreviewOut:
    """What an invite link shows before joining (`invite_not_found` 404, `invite_expired` / `invite_revoked` 410)."""
    return LinkPreviewOut.of(await invites.preview_link(c.db, token=token, now=ctx.now))


@router.post(
    "/invites/{token}/join", status_code=201, response_model=GroupPublic,
    responses={**errors(*AUTHED, 403, 404, 409, 410, 429), **JOINED},
)  # fmt: skip
async def join_by_link(token: Token, user: UserDep, c: ContainerDep, ctx: CtxDep) -> Response:
    """Join through an invite link: 201 when a member, 202 when a join request waits for a manager."""
    outcome = await invites.join_by_link(
        c.db, actor=user.id, token=token, ctx=ctx, policy=await _policy(c), throttle=c.throttle
    )
    return _joined(outcome, ctx.language, await _policy(c))


# --- the rules card (R-9.2-1) -------------------------------------------------------------------------------------


@router.post("/groups/{code}/rules-ack", response_model=RulesSeenOut, responses=errors(*AUTHED, 403, 404))
async def rules_ack(code: Code, user: UserDep, c: ContainerDep, ctx: CtxDep) -> RulesSeenOut:
    """I have read the group announcement, the 群组管理规则 and the 平台公约 (recorded once, with the time)."""
    seen = await join_settings.acknowledge_rules(c.db, actor=user.id, code=code, ctx=ctx)
    return RulesSeenOut(rules_seen_at=seen)
