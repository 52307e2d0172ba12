"""The `users` rows the identity flows read or change: the verification level on the account, and staff look-ups of
accounts (never identity data)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from qunzu.storage.tables import users


async def exists(conn: AsyncConnection, user_id: int) -> bool:
    """Whether an account with this id exists."""
    return (await conn.execute(select(users.c.id).where(users.c.id == user_id))).scalar_one_or_none() is not None


async def set_verification_level(conn: AsyncConnection, user_id: int, level: int) -> None:
    """The level the account shows (and the publishing checks read)."""
    await conn.execute(update(users).where(users.c.id == user_id).values(verification_level=int(level)))


async def search(conn: AsyncConnection, *, user_id: int | None, text: str, limit: int) -> list[dict[str, Any]]:
    """Accounts by id (when `user_id` is given), else by username (case-folded) or nickname containing `text`."""
    stmt = select(
        users.c.id,
        users.c.username,
        users.c.nickname,
        users.c.status,
        users.c.verification_level,
        users.c.staff_role,
        users.c.created_at,
    )
    if user_id is not None:
        stmt = stmt.where(users.c.id == user_id)
    else:
        like = f"%{text.lower()[:64]}%"
        stmt = stmt.where(users.c.username.like(like) | users.c.nickname.like(f"%{text[:64]}%"))
    rows = await conn.execute(stmt.order_by(users.c.id).limit(limit))
    return [dict(r._mapping) for r in rows]


async def summary(conn: AsyncConnection, user_id: int) -> dict[str, Any] | None:
    """Id, username, nickname, status and creation time of one account, or None."""
    row = (
        await conn.execute(
            select(users.c.id, users.c.username, users.c.nickname, users.c.status, users.c.created_at).where(
                users.c.id == user_id
            )
        )
    ).one_or_none()
    return None if row is None else dict(row._mapping)
