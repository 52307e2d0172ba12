"""Platform staff: the first administrator of a fresh deployment."""

from __future__ import annotations

import secrets

from sqlalchemy import select

from qunzu.context import Ctx
from qunzu.domain.accounts import StaffRole
from qunzu.services.accounts import register_user
from qunzu.services.passwords import Passwords
from qunzu.storage.tables import users
from qunzu.storage.uow import Database


async def first_admin(db: Database) -> str | None:
    """The username of the oldest admin account, if any."""
    async with db.uow(write=False) as uow:
        return (
            await uow.conn.execute(
                select(users.c.username)
                .where(users.c.staff_role == StaffRole.ADMIN.value)
                .order_by(users.c.id)
                .limit(1)
            )
        ).scalar_one_or_none()


async def bootstrap_admin(
    db: Database, passwords: Passwords, *, ctx: Ctx, username: str = "admin", min_length: int = 8
) -> tuple[str, str | None]:
    """Create the first administrator with a generated password when there is none. Returns (username, password)."""
    existing = await first_admin(db)
    if existing is not None:
        return existing, None
    password = secrets.token_urlsafe(12)
    await register_user(
        db,
        passwords,
        username=username,
        password=password,
        nickname="平台管理员",
        ctx=ctx,
        password_min_length=min_length,
        staff_role=StaffRole.ADMIN,
    )
    return username, password
