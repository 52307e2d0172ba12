"""The web session: language, request context, the signed-in user, cookies and CSRF tokens.

Signed-in forms carry `csrf_token(secret, session token)` (the token the JSON API checks in X-CSRF-Token);
anonymous forms (sign-in, sign-up) use a signed double-submit cookie: a random nonce in an HttpOnly cookie and
its HMAC under the deployment secret in the form.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from starlette.requests import Request
from starlette.responses import Response

from qunzu.bootstrap import Container
from qunzu.context import SESSION_COOKIE, Ctx, request_context
from qunzu.errors import AuthRequired, ErrorCode, Forbidden, QunzuError
from qunzu.i18n import LANGUAGES, pick_language
from qunzu.services import accounts
from qunzu.services.csrf import csrf_token
from qunzu.services.views import UserView

LANG_COOKIE = "qunzu_lang"
ANON_CSRF_COOKIE = "qunzu_csrf"
LANG_COOKIE_MAX_AGE = 365 * 24 * 3600


def page_language(request: Request) -> str:
    """The language chosen with the switch (cookie), else the browser's Accept-Language, else zh-CN."""
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    return pick_language(request.headers.get("accept-language"))


def request_ctx(request: Request, container: Container, language: str) -> Ctx:
    return request_context(
        request.client, request.headers, container.settings, container.clock, language=language,
        server=request.scope.get("server"), cookies=request.cookies,
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class Session:
    user: UserView
    token: str


async def current_session(request: Request, container: Container, ctx: Ctx) -> Session | None:
    """The signed-in user of this browser, or None (no cookie, or an expired or revoked session)."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    try:
        user = await accounts.authenticate(container.db, container.tokens, token=token, ctx=ctx)
    except Forbidden as exc:  # suspended (R-11.2-1), or a regulator's access ended (R-3-1): signed out; signing in
        if exc.code not in (ErrorCode.ACCOUNT_SUSPENDED, ErrorCode.ACCESS_EXPIRED):  # again says why
            raise
        return None
    except AuthRequired:
        return None  # an unreachable database (Unavailable) is not a signed-out visitor: it gets the "try again" page
    return Session(user=user, token=token)


def session_csrf(container: Container, session: Session) -> str:
    return csrf_token(container.secret, session.token)


def set_session_cookie(response: Response, container: Container, token: str) -> None:
    ttl = timedelta(hours=container.settings.auth.web_session_ttl_hours)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(ttl.total_seconds()),
        path="/",
        httponly=True,
        samesite="lax",
        secure=container.settings.auth.cookie_secure,
    )


def clear_session_cookie(response: Response, container: Container) -> None:
    response.delete_cookie(
        SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=container.settings.auth.cookie_secure
    )


def set_language_cookie(response: Response, container: Container, language: str) -> None:
    response.set_cookie(
        LANG_COOKIE,
        language,
        max_age=LANG_COOKIE_MAX_AGE,
        path="/",
        httponly=True,
        samesite="lax",
        secure=container.settings.auth.cookie_secure,
    )


class AnonCsrf:
    """The signed double-submit token of anonymous forms."""

    def __init__(self, request: Request, container: Container) -> None:
        self.container = container
        nonce = request.cookies.get(ANON_CSRF_COOKIE)
        self.fresh = not nonce or len(nonce) > 64
        self.nonce = secrets.token_urlsafe(24) if self.fresh or nonce is None else nonce

    @property
    def token(self) -> str:
        return csrf_token(self.container.secret, "anon:" + self.nonce)

    def ok(self, presented: str | None) -> bool:
        return not self.fresh and bool(presented) and hmac.compare_digest(self.token, presented or "")

    def attach(self, response: Response) -> None:
        """Set the cookie when this browser did not have one yet."""
        if self.fresh:
            response.set_cookie(
                ANON_CSRF_COOKIE,
                self.nonce,
                path="/",
                httponly=True,
                samesite="lax",
                secure=self.container.settings.auth.cookie_secure,
            )


def safe_next(raw: str | None, default: str = "/groups") -> str:
    """A local path to go to after signing in (never another site)."""
    if not raw or not raw.startswith("/") or raw.startswith("//") or "\\" in raw or len(raw) > 500:
        return default
    return raw


def retry_after(response: Response, error: QunzuError | None) -> None:
    """A throttled form's page carries the wait in Retry-After (whole seconds), like the API's 429."""
    wait_ms = error.details.get("retry_after_ms") if error is not None else None
    if isinstance(wait_ms, int) and wait_ms > 0:
        response.headers["Retry-After"] = str(-(-wait_ms // 1000))
