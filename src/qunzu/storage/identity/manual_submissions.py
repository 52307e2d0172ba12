"""Name + ID number + ID card photo submitted for staff review (`manual_submissions`), each copy encrypted."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from qunzu.storage.tables import manual_submissions, users


async def has_pending(conn: AsyncConnection, user_id: int) -> bool:
    """Whether the user has a submission waiting for review."""
    pending = (
        await conn.execute(
            select(manual_submissions.c.id).where(
                manual_submissions.c.user_id == user_id, manual_submissions.c.status == "pending"
            )
        )
    ).first()
    return pending is not None


async def add_pending(
    conn: AsyncConnection,
    *,
    user_id: int,
    created_at: datetime,
    name_ct: str,
    id_number_ct: str,
    document_ct: str,
    document_type: str | None,
) -> int:
    """A new submission waiting for review; its id."""
    return int(
        (
            await conn.execute(
                insert(manual_submissions)
                .values(
                    user_id=user_id,
                    status="pending",
                    created_at=created_at,
                    name_ct=name_ct,
                    id_number_ct=id_number_ct,
                    document_ct=document_ct,
                    document_type=document_type,
                )
                .returning(manual_submissions.c.id)
            )
        ).scalar_one()
    )


async def pending_with_nickname(conn: AsyncConnection) -> list[Any]:
    """Every pending submission, oldest first, with the submitting account's nickname."""
    return list(
        await conn.execute(
            select(manual_submissions, users.c.nickname)
            .join(users, users.c.id == manual_submissions.c.user_id)
            .where(manual_submissions.c.status == "pending")
            .order_by(manual_submissions.c.id)
        )
    )


async def pending(conn: AsyncConnection, submission_id: int) -> Any:
    """The submission if it is still pending, else None."""
    return (
        await conn.execute(
            select(manual_submissions).where(
                manual_submissions.c.id == submission_id, manual_submissions.c.status == "pending"
            )
        )
    ).one_or_none()


async def close(conn: AsyncConnection, submission_id: int) -> None:
    """The submission is decided: its submitted copies are erased."""
    await conn.execute(
        update(manual_submissions)
        .where(manual_submissions.c.id == submission_id)
        .values(status="decided", name_ct=None, id_number_ct=None, document_ct=None)
    )
