"""What a WebSocket connection subscribes to, and what it missed while away."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from qunzu.realtime import frames
from qunzu.services.messages import deletions_since
from qunzu.storage.tables import groups, memberships
from qunzu.storage.uow import Database


@dataclass(frozen=True, slots=True)
class LiveGroup:
    group_id: int
    code: str
    last_seq: int


async def live_groups(db: Database, *, actor: int) -> list[LiveGroup]:
    """The actor's groups with their current last message seq."""
    async with db.uow(write=False) as uow:
        rows = await uow.conn.execute(
            select(groups.c.id, groups.c.code, groups.c.last_seq)
            .join(memberships, memberships.c.group_id == groups.c.id)
            .where(memberships.c.user_id == actor)
        )
        return [LiveGroup(group_id=r.id, code=r.code, last_seq=r.last_seq) for r in rows]


async def missed_deletions(db: Database, *, group_id: int, code: str, since_ms: int) -> list[str]:
    """Deletion frames for messages deleted since `since_ms` (reconnect replay; applying one twice is harmless)."""
    rows = await deletions_since(db, group_id=group_id, since_ms=since_ms)
    return [frames.message_deleted_frame(code, message_id=mid, seq=seq, ts=ts) for mid, seq, ts in rows]
