"""What every web handler starts from: the container, the language, the request context, the session."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from qunzu.bootstrap import Container
from qunzu.context import Ctx
from qunzu.domain.roles import GroupRole, role_label
from qunzu.errors import Unavailable
from qunzu.services import documents, emergency
from qunzu.services.csrf import csrf_failed, csrf_ok
from qunzu.web.i18n import translator
from qunzu.web.render import Renderer
from qunzu.web.session import Session, current_session, page_language, request_ctx, session_csrf

FORM_FIELD_MAX = 10_000  # longer form values are cut before they reach a service


@dataclass
class Web:
    request: Request
    container: Container
    renderer: Renderer
    lang: str
    ctx: Ctx
    session: Session | None
    pending: dict[str, int] = field(default_factory=dict)  # agreement versions this user still has to accept
    emergency: list[Any] = field(default_factory=list)  # the emergency switches the banner shows (R-5.1-4)

    def page(self, template: str, *, status_code: int = 200, **context: Any) -> HTMLResponse:
        from qunzu.web.staff_emergency import banner_text

        csrf = session_csrf(self.container, self.session) if self.session else None
        return self.renderer.page(
            template,
            language=self.lang,
            status_code=status_code,
            user=self.session.user if self.session else None,
            csrf=csrf,
            path=self.request.url.path,
            role_labels={r.value: role_label(r, self.lang) for r in GroupRole},
            banner_pending=sorted(self.pending.items()),
            emergency_banners=[(s, banner_text(self, s)) for s in self.emergency],
            dev_profile=self.container.settings.profile != "production",
            **context,
        )

    def to_login(self) -> RedirectResponse:
        """Send an anonymous visitor to sign in, and back here afterwards."""
        target = self.request.url.path
        if self.request.url.query:
            target += "?" + self.request.url.query
        return RedirectResponse("/login?next=" + quote(target, safe="/"), status_code=303)

    def csrf_valid(self, presented: str | None) -> bool:
        """Whether a signed-in form carries this session's CSRF token (the one check, shared with the JSON API)."""
        return self.session is not None and csrf_ok(self.container.secret, self.session.token, presented)

    def check_csrf(self, presented: str | None) -> None:
        """Raise `csrf_failed` unless the form carries this session's CSRF token."""
        if not self.csrf_valid(presented):
            raise csrf_failed()

    def t(self, key: str, **values: Any) -> str:
        return translator(self.lang)(key, **values)

    def forbidden(self, message_key: str = "forbidden.text", back: tuple[str, str] | None = None) -> HTMLResponse:
        """The page for a signed-in person whose (staff or group) role may not see this; `back` is (link, text key)."""
        return self.page("forbidden.html", status_code=403, message_key=message_key, back=back)

    def not_found(self, message_key: str = "notfound.text", status_code: int = 404) -> HTMLResponse:
        return self.page("not_found.html", status_code=status_code, message_key=message_key)


async def get_web(request: Request) -> Web:
    container: Container = request.app.state.container
    renderer: Renderer = request.app.state.web_renderer
    lang = page_language(request)
    ctx = request_ctx(request, container, lang)
    session = await current_session(request, container, ctx)
    # The site-wide "accept the new agreement" banner: part of the page frame, like the session itself.
    # Staff accounts are created by the operator under their employment terms, not the user agreement.
    pending = (
        await documents.pending_acceptances(container.db, actor=session.user.id)
        if session and not session.user.staff_role
        else {}
    )
    # The emergency switches on platform-wide (R-5.1-4): every page's banner, from the board kept in memory.
    try:
        banner = (await emergency.board(container.db)).platform()
    except Unavailable:  # the database is out of reach: the page in hand says so, not the frame
        banner = []
    return Web(
        request=request,
        container=container,
        renderer=renderer,
        lang=lang,
        ctx=ctx,
        session=session,
        pending=pending,
        emergency=banner,
    )


WebDep = Annotated[Web, Depends(get_web)]


class PageRefused(Exception):
    """Raised by a page guard: answer with `response` (sign in, or 403) instead of running the handler."""

    def __init__(self, response: Response) -> None:
        super().__init__("page refused")
        self.response = response


def staff_page(roles: Collection[str] | None = None) -> Callable[[Request], Awaitable[Web]]:
    """The guard of staff pages: sign in first, then a staff role (one of `roles` when given), else 403.

    The services check each role again; this guard decides only which page the browser gets."""

    async def guard(request: Request) -> Web:
        w = await get_web(request)
        if w.session is None:
            raise PageRefused(w.to_login())
        role = w.session.user.staff_role
        if not role or (roles is not None and role not in roles):
            raise PageRefused(w.forbidden())
        return w

    return guard


async def form_fields(request: Request, *names: str) -> dict[str, str]:
    """The named text fields of a posted form (missing ones are empty; files are ignored)."""
    form = await request.form()
    out: dict[str, str] = {}
    for name in names:
        value = form.get(name)
        out[name] = value[:FORM_FIELD_MAX] if isinstance(value, str) else ""
    return out
