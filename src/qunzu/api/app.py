"""The FastAPI application, built from a Container (nothing is created at import time)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import structlog
from fastapi import FastAPI, Response
from fastapi.telemetry import TelemetryConfig

from qunzu.api import (
    routes_auth,
    routes_documents,
    routes_groups,
    routes_health,
    routes_identity,
    routes_messages,
    routes_review,
    routes_staff,
    routes_ws,
)
from qunzu.api.errors import install_error_handlers
from qunzu.api.limits import BodyLimitMiddleware, body_caps
from qunzu.api.metrics import HttpMetrics, MetricsListener, MetricsMiddleware
from qunzu.api.schemas import settings_limits
from qunzu.bootstrap import Container

log = structlog.get_logger(__name__)

# FastAPI's native OpenTelemetry hooks, switched off unless configured (QUNZU_SERVER__OPENTELEMETRY=true).
_NO_TELEMETRY: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False, "operation_spans": False}


def create_app(container: Container, *, with_web: bool = True) -> FastAPI:
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
    _limits_from_settings(app, settings_limits(container.settings))
    install_error_handlers(app)
    server = container.settings.server
    app.add_middleware(BodyLimitMiddleware, default=server.max_body_bytes, caps=body_caps(server))
    app.add_middleware(MetricsMiddleware, metrics=HttpMetrics(container.registry))  # outermost: counts 413s too
    app.include_router(routes_messages.router)  # first: posting is the hot path, and routes match in order
    app.include_router(routes_health.router)
    app.include_router(routes_auth.router)
    app.include_router(routes_groups.router)
    app.include_router(routes_ws.router)
    app.include_router(routes_identity.router)
    app.include_router(routes_documents.router)
    app.include_router(routes_staff.router)
    app.include_router(routes_review.router)
    _install_docs(app)  # after the API routes: a request is matched against the routes in order
    if with_web:
        from qunzu.web.routes import install_web

        install_web(app, container)
    return app


def _install_docs(app: FastAPI) -> None:
    """/api/docs: Swagger UI from the fastapi-offline package's files (a plain `pip install` brings them)."""
    import fastapi_offline
    from fastapi.openapi.docs import get_swagger_ui_html
    from fastapi.responses import HTMLResponse
    from fastapi.staticfiles import StaticFiles

    assets = Path(fastapi_offline.__file__).parent / "static"
    app.mount("/api/docs/assets", StaticFiles(directory=str(assets)), name="api-docs-assets")

    @app.get("/api/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} — API",
            swagger_js_url="/api/docs/assets/swagger-ui-bundle.js",
            swagger_css_url="/api/docs/assets/swagger-ui.css",
            swagger_favicon_url="/api/docs/favicon.svg",
        )

    @app.get("/api/docs/favicon.svg", include_in_schema=False)
    async def favicon() -> Response:
        from qunzu.web.render import STATIC

        return Response((STATIC / "favicon.svg").read_bytes(), media_type="image/svg+xml")


def _limits_from_settings(app: FastAPI, limits: dict[str, dict[str, int]]) -> None:
    """The served schema shows the limits this app enforces (`maxLength` from its Settings), not the models' generous
    parse-time bounds: patched once into the generated components (inputs may be named `X` or `X-Input`)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = generate()
        for name, component in schema.get("components", {}).get("schemas", {}).items():
            fields = limits.get(name.removesuffix("-Input"))
            for field, max_length in (fields or {}).items():
                prop = component.get("properties", {}).get(field)
                for variant in [prop, *prop.get("anyOf", [])] if prop else []:
                    if variant.get("type") == "string":  # never above the bound the model itself enforces
                        variant["maxLength"] = min(max_length, variant.get("maxLength", max_length))
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
