"""Request dependencies: the container, the request context (time, source IP and port), the current user."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from qunzu.bootstrap import Container
from qunzu.context import SESSION_COOKIE, Ctx, request_context
from qunzu.errors import AuthRequired
from qunzu.services import accounts
from qunzu.services.csrf import check_csrf
from qunzu.services.views import UserView

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
bearer = HTTPBearer(auto_error=False, description="The access_token from POST /api/v1/auth/login")


async def get_container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


async def get_ctx(request: Request, container: Annotated[Container, Depends(get_container)]) -> Ctx:
    return request_context(
        request.client, request.headers, container.settings, container.clock,
        server=request.scope.get("server"), cookies=request.cookies,
    )  # fmt: skip


def request_token(request: Request, creds: HTTPAuthorizationCredentials | None) -> str | None:
    if creds is not None and creds.scheme.lower() == "bearer":
        return creds.credentials
    return request.cookies.get(SESSION_COOKIE)


async def current_user(
    request: Request,
    container: Annotated[Container, Depends(get_container)],
    ctx: Annotated[Ctx, Depends(get_ctx)],
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> UserView:
    token = request_token(request, creds)
    if not token:
        raise AuthRequired()
    user = await accounts.authenticate(container.db, container.tokens, token=token, ctx=ctx)
    if creds is None and request.method not in SAFE_METHODS:
        # A cookie session changing state: the page must prove it is ours (double-submit CSRF token).
        check_csrf(container.secret, token, request.headers.get("x-csrf-token"))
    return user


ContainerDep = Annotated[Container, Depends(get_container)]
CtxDep = Annotated[Ctx, Depends(get_ctx)]
UserDep = Annotated[UserView, Depends(current_user)]


@dataclass(frozen=True, slots=True)
class Authed:
    """Everything a signed-in request needs, from one flat dependency (the hot paths: fewer dependencies to solve)."""

    c: Container
    ctx: Ctx
    user: UserView


async def authed(request: Request, creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Authed:
    container = await get_container(request)
    ctx = await get_ctx(request, container)
    user = await current_user(request, container, ctx, creds)
    return Authed(c=container, ctx=ctx, user=user)


AuthedDep = Annotated[Authed, Depends(authed)]
