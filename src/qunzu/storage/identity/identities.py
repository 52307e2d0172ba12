"""A user's `identities` row: the encrypted name, ID number and mobile number, their HMACs, the level, the lapse."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from qunzu.storage.tables import identities


async def row(conn: AsyncConnection, user_id: int) -> Any:
    """The user's identity row, or None when they never verified."""
    return (await conn.execute(select(identities).where(identities.c.user_id == user_id))).one_or_none()


async def upsert(conn: AsyncConnection, user_id: int, values: dict[str, Any]) -> None:
    """Set these columns of the user's identity row, creating the row on the first verification."""
    done = await conn.execute(update(identities).where(identities.c.user_id == user_id).values(**values))
    if done.rowcount == 0:
        await conn.execute(insert(identities).values(user_id=user_id, **values))


async def mark_lapsed(conn: AsyncConnection, user_id: int, *, now: datetime) -> None:
    """The verification is no longer valid from `now`: level 0 until the user verifies again."""
    await conn.execute(update(identities).where(identities.c.user_id == user_id).values(lapsed_at=now, level=0))


async def release(conn: AsyncConnection, user_id: int, *, purge_after: datetime) -> None:
    """Account cancellation: level 0, the HMACs cleared, the encrypted copy kept until `purge_after`."""
    await conn.execute(
        update(identities)
        .where(identities.c.user_id == user_id)
        .values(level=0, purge_after=purge_after, phone_hmac=None, id_hmac=None)
    )
