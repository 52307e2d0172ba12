"""Account notices: what the platform tells an account's owner about their account (a lock after failed sign-ins).

Shown on the account page and at GET /api/v1/me/notices; the owner marks them read. Written by the action they
report, in its transaction (services/lockout.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update

from qunzu.context import Ctx
from qunzu.errors import NotFound
from qunzu.storage.tables import account_notices
from qunzu.storage.uow import Database, UnitOfWork

ACCOUNT_LOCKED = "account_locked"


@dataclass(frozen=True, slots=True)
class NoticeView:
    id: int
    kind: str
    created_at: datetime
    read_at: datetime | None
    details: dict[str, Any]


async def add_notice(uow: UnitOfWork, *, user_id: int, kind: str, details: dict[str, Any], now: datetime) -> None:
    """Leave a notice for the account's owner (in the caller's transaction)."""
    await uow.conn.execute(insert(account_notices).values(user_id=user_id, kind=kind, created_at=now, details=details))


async def my_notices(db: Database, *, actor: int, limit: int = 50) -> list[NoticeView]:
    """My notices, newest first."""
    async with db.uow(write=False) as uow:
        rows = await uow.conn.execute(
            select(account_notices)
            .where(account_notices.c.user_id == actor)
            .order_by(account_notices.c.id.desc())
            .limit(limit)
        )
        return [NoticeView(r.id, r.kind, r.created_at, r.read_at, dict(r.details or {})) for r in rows]


async def unread_notices(db: Database, *, actor: int) -> int:
    """How many of my notices I have not read."""
    async with db.uow(write=False) as uow:
        stmt = select(func.count()).where(account_notices.c.user_id == actor, account_notices.c.read_at.is_(None))
        return int((await uow.conn.execute(stmt)).scalar_one())


async def mark_notice_read(db: Database, *, actor: int, notice_id: int, ctx: Ctx) -> None:
    """Mark one of my notices read; someone else's answers "not found", like one that does not exist."""
    if not 1 <= notice_id < 2**63:
        raise NotFound("No such notice")
    async with db.uow() as uow:
        found = (
            await uow.conn.execute(
                select(account_notices.c.read_at).where(
                    account_notices.c.id == notice_id,
                    account_notices.c.user_id == actor,
                )
            )
        ).one_or_none()
        if found is None:
            raise NotFound("No such notice")
        if found.read_at is None:
            await uow.conn.execute(
                update(account_notices).where(account_notices.c.id == notice_id).values(read_at=ctx.now)
            )
        await uow.commit()
