"""The JSON API's part of the application (`qunzu.app` mounts it beside the web pages)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from qunzu.api import (
    routes_appeals,
    routes_auth,
    routes_blacklist,
    routes_capacity,
    routes_complaints,
    routes_documents,
    routes_emergency,
    routes_enforcement,
    routes_group_admin,
    routes_group_chat,
    routes_group_directory,
    routes_group_info,
    routes_groups,
    routes_health,
    routes_holds,
    routes_identity,
    routes_inspection,
    routes_joining,
    routes_lawful,
    routes_messages,
    routes_policy,
    routes_reports,
    routes_review,
    routes_staff,
    routes_staff_groups,
    routes_ws,
)
from qunzu.api.errors import install_error_handlers
from qunzu.api.limits import BodyLimitMiddleware, body_caps
from qunzu.api.metrics import HttpMetrics, MetricsMiddleware
from qunzu.api.schemas import settings_limits
from qunzu.bootstrap import Container


def install_api(app: FastAPI, container: Container) -> None:
    """The JSON API and the WebSocket: error envelope, body caps, request metrics and routes."""
    _limits_from_settings(app, settings_limits(container.settings))
    install_error_handlers(app)
    server = container.settings.server
    app.add_middleware(BodyLimitMiddleware, default=server.max_body_bytes, caps=body_caps(server))
    app.add_middleware(MetricsMiddleware, metrics=HttpMetrics(container.registry))  # outermost: counts 413s too
    app.include_router(routes_messages.router)  # first: posting is the hot path, and routes match in order
    app.include_router(routes_health.router)
    app.include_router(routes_auth.router)
    app.include_router(routes_group_info.router)  # before routes_groups: /groups/creation-terms is no code
    app.include_router(routes_group_directory.router)  # before routes_groups: /groups/search is no code either
    app.include_router(routes_groups.router)
    app.include_router(routes_group_admin.router)
    app.include_router(routes_group_chat.router)
    app.include_router(routes_joining.router)
    app.include_router(routes_ws.router)
    app.include_router(routes_identity.router)
    app.include_router(routes_documents.router)
    app.include_router(routes_staff.router)
    app.include_router(routes_review.router)
    app.include_router(routes_policy.router)
    app.include_router(routes_staff_groups.router)
    app.include_router(routes_reports.router)  # reports to the authorities, supervision figures
    app.include_router(routes_blacklist.router)
    app.include_router(routes_holds.router)  # legal holds (R-13.1-3)
    app.include_router(routes_lawful.router)  # lawful requests of an authority (R-13.1-1)
    app.include_router(routes_emergency.router)  # emergency switches (R-5.1-4)
    app.include_router(routes_capacity.router)  # the review team's capacity and shifts (R-5.1-1)
    app.include_router(routes_inspection.router)  # regulators' access and inspection (R-3-1, R-13.1-4)
    app.include_router(routes_complaints.router)
    app.include_router(routes_appeals.router)  # appeals (R-11-x)
    app.include_router(routes_enforcement.router)  # platform measures (Art. 11 ¶1–2)


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
