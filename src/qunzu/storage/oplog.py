"""The operation log (R-13.2-1, record §3.1 #3): written in the same transaction as the change it records."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from qunzu.storage.tables import operation_log


async def append(
    conn: AsyncConnection,
    *,
    ts: datetime,
    actor_id: int | None,
    action: str,
    ip: str | None,
    port: int | None,
    target_type: str | None = None,
    target_id: str | int | None = None,
    group_id: int | None = None,
    result: str = "ok",
    details: dict[str, Any] | None = None,
) -> None:
    await conn.execute(
        insert(operation_log).values(
            ts=ts,
            actor_id=actor_id,
            action=action,
            target_type=target_type,
            target_id=None if target_id is None else str(target_id),
            group_id=group_id,
            src_ip=ip,
            src_port=port,
            result=result,
            details=details,
        )
    )


async def for_actor(conn: AsyncConnection, actor_id: int, *, limit: int = 100) -> list[dict[str, Any]]:
    rows = await conn.execute(
        select(operation_log)
        .where(operation_log.c.actor_id == actor_id)
        .order_by(operation_log.c.id.desc())
        .limit(limit)
    )
    return [dict(r._mapping) for r in rows]


async def for_group(conn: AsyncConnection, group_id: int, *, limit: int = 100) -> list[dict[str, Any]]:
    rows = await conn.execute(
        select(operation_log)
        .where(operation_log.c.group_id == group_id)
        .order_by(operation_log.c.id.desc())
        .limit(limit)
    )
    return [dict(r._mapping) for r in rows]
