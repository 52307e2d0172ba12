"""The application: the JSON API and the web pages, siblings mounted on one FastAPI app built from a Container.

Neither `qunzu.api` nor `qunzu.web` imports the other (an import-linter contract); this module is where they meet,
with what belongs to the whole application: the lifespan (container start and stop, the metrics listener) and the
API documentation page. Nothing is created at import time.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import structlog
from fastapi import FastAPI, Request, Response
from fastapi.telemetry import TelemetryConfig

from qunzu.api.install import install_api
from qunzu.api.metrics import MetricsListener
from qunzu.bootstrap import Container
from qunzu.web.render import STATIC
from qunzu.web.routes import install_web

log = structlog.get_logger(__name__)

# FastAPI's native OpenTelemetry hooks, switched off unless configured (QUNZU_SERVER__OPENTELEMETRY=true).
_NO_TELEMETRY: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False, "operation_spans": False}


def create_app(container: Container, *, with_web: bool = True) -> FastAPI:
    """The ASGI application; `with_web=False` serves the API alone (tests of the API, a headless deployment)."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await container.start()
        listener = None
        metrics = container.settings.metrics
        if metrics.port is not None:
            listener = MetricsListener(metrics.host, metrics.port, container.registry)
            log.info("metrics_listener", url=f"http://{metrics.host}:{listener.port}/metrics")
        try:
            yield
        finally:
            if listener is not None:
                listener.close()
            await container.stop()

    app = FastAPI(
        title="Qunzu 群组 API",
        version="1.0.0",
        description=(
            "Group messaging with the duties of the 《互联网群组信息服务管理规定》 built in. "
            'Every error uses one envelope: {"error": {"code", "message", "details"}}.'
        ),
        lifespan=lifespan,
        openapi_url="/openapi.json",
        docs_url=None,  # served below from the package's own copy of Swagger UI: no CDN, works offline
        redoc_url=None,
        telemetry=None if container.settings.server.opentelemetry else _NO_TELEMETRY,
    )
    app.state.container = container
    install_api(app, container)
    _install_docs(app)  # after the API routes: a request is matched against the routes in order
    if with_web:
        install_web(app, container)  # after the API routes, so no HTML route can shadow an API path
    return app


def _install_docs(app: FastAPI) -> None:
    """/api/docs: Swagger UI from the fastapi-offline package's files (a plain `pip install` brings them)."""
    import fastapi_offline
    from fastapi.openapi.docs import get_swagger_ui_html
    from fastapi.responses import HTMLResponse
    from fastapi.staticfiles import StaticFiles

    assets = Path(fastapi_offline.__file__).parent / "static"
    app.mount("/api/docs/assets", StaticFiles(directory=str(assets)), name="api-docs-assets")

    # The page reads the app from the request, never from a closure: FastAPI keeps every endpoint function in a
    # process-wide cache, and a closure over `app` would keep each app (and its container) alive for good.
    async def swagger_ui(request: Request) -> HTMLResponse:
        app_ = request.app
        return get_swagger_ui_html(
            openapi_url=app_.openapi_url or "/openapi.json",
            title=f"{app_.title} — API",
            swagger_js_url="/api/docs/assets/swagger-ui-bundle.js",
            swagger_css_url="/api/docs/assets/swagger-ui.css",
            swagger_favicon_url="/api/docs/favicon.svg",
        )

    app.add_api_route("/api/docs", swagger_ui, methods=["GET"], include_in_schema=False)

    @app.get("/api/docs/favicon.svg", include_in_schema=False)
    async def favicon() -> Response:
        return Response((STATIC / "favicon.svg").read_bytes(), media_type="image/svg+xml")
