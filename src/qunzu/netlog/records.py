"""One way to write an operation record (R-13.2-1, records catalogue §3.1 #3).

    await netlog.record(uow, ctx, "group.join", Target.group(g.id, g.code), actor=user_id)

The time, source IP and port come from the request context, never spelled out by the caller; the record is written
in the caller's transaction, so a change without its record cannot commit (house rule 3). The network-log issue adds
the hash chain (netlog/chain.py), retention (netlog/retention.py) and export in this package.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row

from qunzu.context import Ctx
from qunzu.netlog import store
from qunzu.storage.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class Target:
    """What an operation acted on: a type, its identifier as the record shows it, and the group it belongs to."""

    type: str | None = None
    id: str | int | None = None
    group_id: int | None = None

    @staticmethod
    def user(user_id: int | str, *, group_id: int | None = None) -> Target:
        return Target("user", user_id, group_id)

    @staticmethod
    def group(group_id: int, code: str) -> Target:
        return Target("group", code, group_id)

    @staticmethod
    def message(message_id: int, *, group_id: int) -> Target:
        return Target("message", message_id, group_id)

    @staticmethod
    def document(kind: str, version: int) -> Target:
        return Target("document", f"{kind}:v{version}")


NONE = Target()


async def record(
    uow: UnitOfWork,
    ctx: Ctx,
    action: str,
    target: Target = NONE,
    *,
    actor: int | None,
    result: str = "ok",
    error_code: str | None = None,
    **details: Any,
) -> None:
    """Append one operation record in `uow`'s transaction: who (`actor`), did what (`action`) to what (`target`),
    when, from where and with which client and session (`ctx`), with what result, error code and details (JSON
    values; none → no details). The sealer (netlog/chain.py) chains it once the transaction commits."""
    await store.append(
        uow.conn,
        ts=ctx.now,
        actor_id=actor,
        action=action,
        ip=ctx.ip,
        port=ctx.port,
        target_type=target.type,
        target_id=None if target.id is None else str(target.id),
        group_id=target.group_id,
        result=result,
        details=details or None,
        error_code=error_code,
        dst_ip=ctx.dst_ip,
        dst_port=ctx.dst_port,
        client_type=ctx.client_type,
        client_version=ctx.client_version,
        device_id=ctx.device_id,
        session_hash=ctx.session_hash,
    )


async def records_of(uow: UnitOfWork, *, actor: int) -> Sequence[Row[Any]]:
    """The records an account made (its data export, R-6.2-4): `ts`, `action`, `src_ip`, `src_port`, oldest first."""
    return await store.for_actor(uow.conn, actor)


async def records_of_group(
    uow: UnitOfWork, group_id: int, *, before_id: int | None = None, limit: int = 50
) -> Sequence[Row[Any]]:
    """A group's operation log (R-9.3-1), newest first, `limit` records older than `before_id`: `id`, `ts`,
    `actor_id`, `action`, `target_type`, `target_id`, `result`, `details`; no source IP or port."""
    return await store.for_group(uow.conn, group_id, before_id=before_id, limit=limit)
