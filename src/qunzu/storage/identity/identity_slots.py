"""The account counters of the identities (R-6.1-6): one `identity_slots` row per subject, "phone:<hmac>" or
"id:<hmac>", counting the accounts that hold that mobile number or ID number."""

from __future__ import annotations

from typing import Literal

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from qunzu.storage.tables import identities, identity_slots

SlotKind = Literal["phone", "id"]


async def accounts(conn: AsyncConnection, subject: str) -> int | None:
    """How many accounts the subject counts now; None when no account ever claimed it."""
    return (
        await conn.execute(select(identity_slots.c.accounts).where(identity_slots.c.subject == subject))
    ).scalar_one_or_none()


async def held_by(conn: AsyncConnection, user_id: int, *, kind: SlotKind, hmac: str) -> bool:
    """Whether this user's identity row already holds this HMAC (its own place, not a new one)."""
    column = identities.c.phone_hmac if kind == "phone" else identities.c.id_hmac
    mine = (
        await conn.execute(select(identities.c.user_id).where(identities.c.user_id == user_id, column == hmac))
    ).first()
    return mine is not None


async def claim(conn: AsyncConnection, subject: str, *, cap: int) -> bool:
    """Count one more account on the subject unless it already counts `cap`: True if counted, False if full.

    Atomic under concurrency: the conditional UPDATE is the binding check; the first claim INSERTs in a savepoint, and
    a concurrent first claim that lost the race counts on the row the winner made."""
    moved = await conn.execute(
        update(identity_slots)
        .where(identity_slots.c.subject == subject, identity_slots.c.accounts < cap)
        .values(accounts=identity_slots.c.accounts + 1)
    )
    if moved.rowcount == 1:
        return True
    if await accounts(conn, subject) is not None:
        return False
    try:
        async with conn.begin_nested():
            await conn.execute(insert(identity_slots).values(subject=subject, accounts=1))
    except IntegrityError:  # a concurrent first claim inserted it: count on the row it made
        return await claim(conn, subject, cap=cap)
    return True


async def release(conn: AsyncConnection, subject: str) -> None:
    """Count one account fewer on the subject (never below zero)."""
    await conn.execute(
        update(identity_slots)
        .where(identity_slots.c.subject == subject, identity_slots.c.accounts > 0)
        .values(accounts=identity_slots.c.accounts - 1)
    )
