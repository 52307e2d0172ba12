"""The development SMS outbox (`sms_outbox`): what the console sender 'sent', the number encrypted and masked."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from qunzu.storage.tables import sms_outbox


async def add(
    conn: AsyncConnection, *, created_at: datetime, user_id: int, phone_ct: str, phone_masked: str, body: str
) -> None:
    """Keep one text message."""
    await conn.execute(
        insert(sms_outbox).values(
            created_at=created_at, user_id=user_id, phone_ct=phone_ct, phone_masked=phone_masked, body=body
        )
    )


async def newest(conn: AsyncConnection, *, user_id: int | None, limit: int) -> list[Any]:
    """The newest messages first, all or one user's."""
    stmt = select(sms_outbox).order_by(sms_outbox.c.id.desc()).limit(limit)
    if user_id is not None:
        stmt = stmt.where(sms_outbox.c.user_id == user_id)
    return list(await conn.execute(stmt))


async def last_body(conn: AsyncConnection, user_id: int) -> str | None:
    """The text of the newest message to this user, or None."""
    return (
        await conn.execute(
            select(sms_outbox.c.body).where(sms_outbox.c.user_id == user_id).order_by(sms_outbox.c.id.desc()).limit(1)
        )
    ).scalar_one_or_none()
