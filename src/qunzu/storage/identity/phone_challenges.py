"""One-time codes sent to mobile numbers (`phone_challenges`): the number encrypted, the code as an HMAC."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from qunzu.storage.tables import phone_challenges


async def last_sent_at(conn: AsyncConnection, user_id: int) -> datetime | None:
    """When the newest code for this user was sent, or None."""
    return (
        await conn.execute(
            select(phone_challenges.c.created_at)
            .where(phone_challenges.c.user_id == user_id)
            .order_by(phone_challenges.c.id.desc())
            .limit(1)
        )
    ).scalar_one_or_none()


async def add(
    conn: AsyncConnection,
    *,
    user_id: int,
    phone_ct: str,
    phone_hmac: str,
    code_hash: str,
    created_at: datetime,
    expires_at: datetime,
) -> None:
    """A new code, sent now."""
    await conn.execute(
        insert(phone_challenges).values(
            user_id=user_id,
            phone_ct=phone_ct,
            phone_hmac=phone_hmac,
            code_hash=code_hash,
            created_at=created_at,
            expires_at=expires_at,
        )
    )


async def newest_unused(conn: AsyncConnection, user_id: int) -> Any:
    """The newest code of this user not yet used (it may be expired or locked), or None."""
    return (
        await conn.execute(
            select(phone_challenges)
            .where(phone_challenges.c.user_id == user_id, phone_challenges.c.used_at.is_(None))
            .order_by(phone_challenges.c.id.desc())
            .limit(1)
        )
    ).one_or_none()


async def count_wrong_try(
    conn: AsyncConnection, challenge_id: int, *, attempts: int, locked_at: datetime | None
) -> None:
    """Record the wrong tries so far, and the lock when they reached the maximum."""
    await conn.execute(
        update(phone_challenges)
        .where(phone_challenges.c.id == challenge_id)
        .values(attempts=attempts, locked_at=locked_at)
    )


async def mark_used(conn: AsyncConnection, challenge_id: int, *, now: datetime) -> None:
    """The code was confirmed: it cannot be used again."""
    await conn.execute(update(phone_challenges).where(phone_challenges.c.id == challenge_id).values(used_at=now))
