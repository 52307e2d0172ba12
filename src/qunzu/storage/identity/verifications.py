"""The append-only record of verifications (`verifications`, R-6.1-1, R-6.2-3)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from qunzu.storage.tables import verifications


async def add(
    conn: AsyncConnection,
    *,
    user_id: int,
    level: int,
    method: str,
    result: str,
    authoritative: bool,
    vendor_txn: str | None,
    reason: str | None,
    created_at: datetime,
    decided_by: int | None,
    submission_id: int | None,
) -> None:
    """Append one verification record."""
    await conn.execute(
        insert(verifications).values(
            user_id=user_id,
            level=int(level),
            method=method,
            result=result,
            authoritative=1 if authoritative else 0,
            vendor_txn=vendor_txn,
            reason=reason,
            created_at=created_at,
            decided_by=decided_by,
            submission_id=submission_id,
        )
    )


async def history(conn: AsyncConnection, user_id: int) -> list[Any]:
    """The user's verification records, newest first."""
    return list(
        await conn.execute(
            select(verifications).where(verifications.c.user_id == user_id).order_by(verifications.c.id.desc())
        )
    )
