"""Session events of the network log (§3.2): a WebSocket connecting and disconnecting (online and offline)."""

from __future__ import annotations

from typing import Literal

import structlog

from qunzu import netlog
from qunzu.context import Ctx
from qunzu.errors import QunzuError
from qunzu.storage.outage import database_unreachable
from qunzu.storage.uow import Database

log = structlog.get_logger(__name__)


async def record_connection(
    db: Database, *, actor: int, event: Literal["ws.connect", "ws.disconnect"], ctx: Ctx
) -> None:
    """Record a live connection's start or end. A database out of reach loses this one record, not the connection
    (the socket still serves, or has already closed): the failure is logged instead."""
    try:
        async with db.uow() as uow:
            await netlog.record(uow, ctx, event, actor=actor)
            await uow.commit()
    except Exception as exc:
        if not (isinstance(exc, QunzuError) or database_unreachable(exc)):
            raise
        log.warning("ws_record_failed", action=event, error=type(exc).__name__)
