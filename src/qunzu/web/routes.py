"""Installs the web UI on the app: pages, forms, static files, the language switch and HTML error pages."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import RedirectResponse, Response

from qunzu.bootstrap import Container
from qunzu.errors import ErrorCode, QunzuError
from qunzu.i18n import LANGUAGES
from qunzu.web import (
    account,
    appeals,
    complaints,
    forms,
    group_admin,
    group_chat_settings,
    group_directory,
    group_info,
    group_joining,
    group_settings,
    invite_pages,
    measures,
    offers,
    pages,
    staff,
    staff_appeals,
    staff_blacklist,
    staff_capacity,
    staff_emergency,
    staff_groups,
    staff_holds,
    staff_inspect,
    staff_lawful,
    staff_measures,
    staff_policy,
    staff_reports,
    staff_review,
    staff_tickets,
)
from qunzu.web.context import PageRefused, get_web
from qunzu.web.render import STATIC, Renderer
from qunzu.web.session import page_language, safe_next, set_language_cookie

# Paths that belong to the JSON API and operations: never answered with HTML.
API_PREFIXES = ("/api/", "/api")
API_PATHS = frozenset({"/openapi.json", "/healthz", "/readyz", "/metrics"})


def is_web_path(path: str) -> bool:
    return not (path.startswith(API_PREFIXES) or path in API_PATHS)


async def switch_language(language: str, request: Request) -> Response:
    """The visible language switch: remember the choice in a cookie and go back to the page."""
    target = safe_next(request.query_params.get("next"), default="/")
    response = RedirectResponse(target, status_code=303)
    if language in LANGUAGES:
        set_language_cookie(response, request.app.state.container, language)
    return response


def install_web(app: FastAPI, container: Container) -> None:
    """Add the pages and forms after the API routes, so no HTML route can shadow an API path."""
    app.state.web_renderer = Renderer()
    app.include_router(pages.router)
    app.include_router(forms.router)
    app.include_router(account.router)
    app.include_router(group_settings.router)
    app.include_router(group_info.router)
    app.include_router(group_directory.router)  # 搜索群组, open to visitors
    app.include_router(group_admin.router)
    app.include_router(group_chat_settings.router)
    app.include_router(offers.router)
    app.include_router(group_joining.router)
    app.include_router(invite_pages.router)
    app.include_router(staff.router)
    app.include_router(staff_review.router)
    app.include_router(staff_groups.router)
    app.include_router(complaints.router)
    app.include_router(staff_tickets.router)
    app.include_router(staff_policy.router)
    app.include_router(staff_reports.router)  # reports to the authorities, supervision figures
    app.include_router(staff_blacklist.router)  # the blacklist (Art. 11 ¶2)
    app.include_router(staff_holds.router)  # legal holds (R-13.1-3)
    app.include_router(staff_lawful.router)  # lawful requests of an authority (R-13.1-1)
    app.include_router(staff_inspect.router)  # regulators' access and inspection (R-3-1, R-13.1-4)
    app.include_router(staff_capacity.router)  # the review team's capacity and shifts (R-5.1-1)
    app.include_router(staff_emergency.router)  # emergency switches (R-5.1-4)
    app.include_router(appeals.router)  # appeals (R-11-x): the appellant's pages
    app.include_router(staff_appeals.router)
    app.include_router(measures.router)  # a user's measures, the chat's warning banner (Art. 11)
    app.include_router(staff_measures.router)  # platform measures (Art. 11 ¶1–2)
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")

    # an endpoint reads the container from the request, never from a closure: FastAPI keeps every endpoint function
    # in a process-wide cache, and a closure over the container would keep it alive for good
    app.add_api_route("/lang/{language}", switch_language, methods=["GET"], include_in_schema=False)

    async def page_refused(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, PageRefused)
        return exc.response

    app.add_exception_handler(PageRefused, page_refused)
    previous = app.exception_handlers.get(StarletteHTTPException)

    async def html_errors(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if exc.status_code in (404, 405) and is_web_path(request.url.path):
            w = await get_web(request)
            return w.not_found(status_code=exc.status_code)
        if previous is None:
            raise exc
        return await previous(request, exc)  # type: ignore[no-any-return]

    app.add_exception_handler(StarletteHTTPException, html_errors)

    previous_qunzu = app.exception_handlers.get(QunzuError)

    async def try_again(request: Request, exc: Exception) -> Response:
        """A page (not a sign-in redirect) when a dependency is down: the visitor is still signed in."""
        assert isinstance(exc, QunzuError)
        if exc.code is ErrorCode.UNAVAILABLE and is_web_path(request.url.path):
            renderer: Renderer = app.state.web_renderer
            retry = request.url.path + ("?" + request.url.query if request.url.query else "")
            response = renderer.page(
                "unavailable.html",
                language=page_language(request),
                status_code=503,
                path=request.url.path,
                role_labels={},
                retry=retry if request.method == "GET" else "/",
            )
            response.headers["Retry-After"] = "5"
            return response
        assert previous_qunzu is not None
        return await previous_qunzu(request, exc)  # type: ignore[no-any-return]

    app.add_exception_handler(QunzuError, try_again)
