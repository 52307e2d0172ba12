"""The operation log's storage: one INSERT in the caller's transaction, and the reads of the records."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, insert, select
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
    target_type: str | None,
    target_id: str | None,
    group_id: int | None,
    result: str,
    details: dict[str, Any] | None,
    **network: Any,  # the rest of the §3.2 field set: error_code, dst_ip, dst_port, client_*, device_id, session_hash
) -> None:
    await conn.execute(
        insert(operation_log).values(
            ts=ts,
            actor_id=actor_id,
            action=action,
            target_type=target_type,
            target_id=target_id,
            group_id=group_id,
            src_ip=ip,
            src_port=port,
            result=result,
            details=details,
            **network,
        )
    )


async def for_actor(conn: AsyncConnection, actor_id: int) -> Sequence[Row[Any]]:
    """Every record of one account, oldest first: time, action, source IP and port."""
    result = await conn.execute(
        select(operation_log.c.ts, operation_log.c.action, operation_log.c.src_ip, operation_log.c.src_port)
        .where(operation_log.c.actor_id == actor_id)
        .order_by(operation_log.c.id)
    )
    return result.all()


async def for_group(conn: AsyncConnection, group_id: int, *, before_id: int | None, limit: int) -> Sequence[Row[Any]]:
    """One group's records, newest first, without source IP and port (those stay for inspection)."""
    stmt = select(
        operation_log.c.id,
        operation_log.c.ts,
        operation_log.c.actor_id,
        operation_log.c.action,
        operation_log.c.target_type,
        operation_log.c.target_id,
        operation_log.c.result,
        operation_log.c.details,
    ).where(operation_log.c.group_id == group_id)
    if before_id is not None:
        stmt = stmt.where(operation_log.c.id < before_id)
    result = await conn.execute(stmt.order_by(operation_log.c.id.desc()).limit(limit))
    return result.all()


async def purge(conn: AsyncConnection, ids: Sequence[int]) -> int:
    """Delete these records (netlog/retention.py's purge, under its permit: the triggers refuse anything else)."""
    return (await conn.execute(delete(operation_log).where(operation_log.c.id.in_(ids)))).rowcount or 0


async def restore(conn: AsyncConnection, rows: Sequence[dict[str, Any]]) -> None:
    """Put archived records back with their ids (`qunzu logs restore`)."""
    if rows:
        await conn.execute(insert(operation_log), list(rows))
