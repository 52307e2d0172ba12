"""Liveness, readiness and metrics."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from qunzu.api.deps import ContainerDep
from qunzu.api.schemas import HealthOut

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


@router.get("/metrics", response_class=Response, responses={200: {"content": {"text/plain": {}}}})
async def metrics(c: ContainerDep) -> Response:
    """Prometheus metrics of this process."""
    return Response(generate_latest(c.registry), media_type=CONTENT_TYPE_LATEST)
