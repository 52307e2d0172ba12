"""OpenAPI documentation of the error responses each route can give (all in the one envelope)."""

from __future__ import annotations

from typing import Any

from qunzu.api.schemas import ErrorEnvelope


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    base = {422, 500, 503}
    return {s: {"model": ErrorEnvelope, "description": "error envelope"} for s in sorted(base | set(statuses))}


AUTHED = (401,)
