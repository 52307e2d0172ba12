"""The FastAPI application, built from a Container (nothing is created at import time)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
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
from qunzu.api.metrics import HttpMetrics, MetricsMiddleware
from qunzu.bootstrap import Container

# FastAPI's native OpenTelemetry hooks, switched off unless configured (QUNZU_SERVER__OPENTELEMETRY=true).
_NO_TELEMETRY: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False, "operation_spans": False}


def create_app(container: Container, *, with_web: bool = True) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await container.start()
        try:
            yield
        finally:
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
        docs_url="/api/docs",
        redoc_url=None,
        telemetry=None if container.settings.server.opentelemetry else _NO_TELEMETRY,
    )
    app.state.container = container
    install_error_handlers(app)
    app.add_middleware(MetricsMiddleware, metrics=HttpMetrics(container.registry))
    app.include_router(routes_messages.router)  # first: posting is the hot path, and routes match in order
    app.include_router(routes_health.router)
    app.include_router(routes_auth.router)
    app.include_router(routes_groups.router)
    app.include_router(routes_ws.router)
    app.include_router(routes_identity.router)
    app.include_router(routes_documents.router)
    app.include_router(routes_staff.router)
    app.include_router(routes_review.router)
    if with_web:
        from qunzu.web.routes import install_web

        install_web(app, container)
    return app
