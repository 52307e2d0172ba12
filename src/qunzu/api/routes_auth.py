"""Accounts: register, sign in, sign out, me."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request, Response

from qunzu.api.deps import ContainerDep, CtxDep, UserDep, bearer, request_token
from qunzu.api.responses import AUTHED, errors
from qunzu.api.schemas import GroupPublic, LoginIn, RegisterIn, TokenOut, UserPublic
from qunzu.services import accounts
from qunzu.services import groups as group_service
from qunzu.services.review import profile_screen

router = APIRouter(prefix="/api/v1", tags=["accounts"])


@router.post("/auth/register", status_code=201, response_model=UserPublic, responses=errors(403, 409, 429))
async def register(body: RegisterIn, c: ContainerDep, ctx: CtxDep) -> UserPublic:
    """Create an account (username, password, nickname), accepting the current agreement and privacy policy
    (403 `agreement_required` when they are not accepted). Common or guessable passwords are refused (422
    `weak_password` with `details.hint`); too many registrations from one source answer 429 `rate_limited`."""
    user = await accounts.register_user(
        c.db,
        c.passwords,
        username=body.username,
        password=body.password,
        nickname=body.nickname,
        ctx=ctx,
        password_min_length=c.settings.auth.password_min_length,
        password_min_score=c.settings.auth.password_min_score,
        throttle=c.throttle,
        accepted=body.accept,
        reserved_words=c.settings.identity.reserved_nickname_words,
        nickname_max_length=c.settings.identity.nickname_max_length,
        screen=profile_screen(c.review),
    )
    return UserPublic.of(user)


@router.post("/auth/login", response_model=TokenOut, responses=errors(401, 429))
async def login(body: LoginIn, c: ContainerDep, ctx: CtxDep) -> TokenOut:
    """Sign in; returns an opaque bearer token for `Authorization: Bearer <access_token>`.

    Too many attempts per source or per username, or an account locked after repeated failures, answer 429
    `rate_limited` with `details.retry_after_ms` and a `Retry-After` header, whatever the password."""
    tok = await accounts.sign_in(
        c.db,
        c.passwords,
        throttle=c.throttle,
        sms=c.sms,
        keys=c.keys,
        username=body.username,
        password=body.password,
        kind="api",
        ttl=timedelta(hours=c.settings.auth.token_ttl_hours),
        ctx=ctx,
    )
    return TokenOut(access_token=tok.token, expires_at=tok.expires_at, user=UserPublic.of(tok.user))


@router.post("/auth/logout", status_code=204, responses=errors(*AUTHED))
async def logout(request: Request, user: UserDep, c: ContainerDep, ctx: CtxDep) -> Response:
    """Revoke the token used for this request."""
    token = request_token(request, await bearer(request))
    assert token is not None  # current_user succeeded, so a token was given
    await accounts.sign_out(c.db, c.tokens, token=token, actor=user.id, ctx=ctx)
    return Response(status_code=204)


@router.get("/me", response_model=UserPublic, responses=errors(*AUTHED))
async def me(user: UserDep) -> UserPublic:
    """The signed-in account."""
    return UserPublic.of(user)


@router.get("/me/groups", response_model=list[GroupPublic], responses=errors(*AUTHED))
async def my_groups(user: UserDep, c: ContainerDep, ctx: CtxDep) -> list[GroupPublic]:
    """The groups I belong to, with my role in each."""
    views = await group_service.list_my_groups(c.db, actor=user.id)
    policy = await c.policy.policy()
    return [GroupPublic.of(v, ctx.language, policy) for v in views]
