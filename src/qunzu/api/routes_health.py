"""Liveness, readiness and metrics."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from qunzu.api.deps import ContainerDep
from qunzu.api.schemas import HealthOut
from qunzu.errors import NotFound

router = APIRouter(tags=["operations"])


@router.get("/healthz", response_model=HealthOut)
async def healthz() -> HealthOut:
    """The process is up."""
    return HealthOut(status="ok")


@router.get("/readyz", response_model=HealthOut, responses={503: {"model": HealthOut}})
async def readyz(c: ContainerDep) -> Response:
    """The database is reachable."""
    ok = await c.db.ping()
    body = HealthOut(status="ok" if ok else "unavailable", database=ok)
    return JSONResponse(body.model_dump(), status_code=200 if ok else 503)


@router.get("/metrics", response_class=Response, include_in_schema=False)
async def metrics(request: Request, c: ContainerDep) -> Response:
    """Prometheus metrics of this process, on the main listener only for a scraper that shows the configured token
    (`metrics.token`); otherwise they are served on the separate metrics listener (`metrics.port`), or not at all."""
    token = c.settings.metrics.token
    presented = request.headers.get("authorization", "")
    expected = f"Bearer {token.get_secret_value()}" if token is not None else None
    if expected is None or not hmac.compare_digest(presented.encode(), expected.encode()):
        raise NotFound()
    return Response(generate_latest(c.registry), media_type=CONTENT_TYPE_LATEST)
