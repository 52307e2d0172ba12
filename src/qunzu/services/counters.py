"""The per-person caps of Art. 8 ¶1 (R-8.1-2, R-8.1-3), held under any concurrency.

Each cap is a counter on the `users` row moved by one conditional UPDATE: the statement that would pass the cap
matches no row, so two simultaneous requests can never both take the last place (PostgreSQL locks the row for the
UPDATE; SQLite runs one writer at a time). Every taker calls these in the transaction of the action, and every path
that gives a place back (leave, removal, refusal, withdrawal, dissolution, transfer) calls the matching release.

- `groups_owned`: groups the person owns (created or transferred in), pending creation review included;
- `groups_joined`: memberships plus pending join requests;
- `created_today` on `created_day`: groups created on that Asia/Shanghai calendar day.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import and_, case, or_, update

from qunzu.storage.tables import users
from qunzu.storage.uow import UnitOfWork


async def take_owned(uow: UnitOfWork, user_id: int, *, maximum: int) -> bool:
    """One more group owned, if under `maximum`. False: the cap is reached (nothing changed)."""
    stmt = (
        update(users)
        .where(users.c.id == user_id, users.c.groups_owned < maximum)
        .values(groups_owned=users.c.groups_owned + 1)
        .returning(users.c.id)
    )
    return (await uow.conn.execute(stmt)).first() is not None


async def release_owned(uow: UnitOfWork, user_id: int) -> None:
    await uow.conn.execute(
        update(users)
        .where(users.c.id == user_id, users.c.groups_owned > 0)
        .values(groups_owned=users.c.groups_owned - 1)
    )


async def take_joined(uow: UnitOfWork, user_id: int, *, maximum: int) -> bool:
    """One more group joined or requested, if under `maximum`. False: the cap is reached (nothing changed)."""
    stmt = (
        update(users)
        .where(users.c.id == user_id, users.c.groups_joined < maximum)
        .values(groups_joined=users.c.groups_joined + 1)
        .returning(users.c.id)
    )
    return (await uow.conn.execute(stmt)).first() is not None


async def release_joined(uow: UnitOfWork, user_ids: int | Iterable[int]) -> None:
    """Give back one joined place for each of `user_ids` (a leave, a removal, a refused request, a dissolution)."""
    ids = [user_ids] if isinstance(user_ids, int) else list(user_ids)
    if ids:
        await uow.conn.execute(
            update(users)
            .where(users.c.id.in_(ids), users.c.groups_joined > 0)
            .values(groups_joined=users.c.groups_joined - 1)
        )


async def take_created_today(uow: UnitOfWork, user_id: int, *, day: str, maximum: int) -> bool:
    """One more group created on `day` (YYYY-MM-DD, Asia/Shanghai), if under `maximum` for that day; the count
    starts again on a new day. False: today's cap is reached (nothing changed)."""
    stmt = (
        update(users)
        .where(
            users.c.id == user_id,
            or_(
                users.c.created_day.is_(None),
                users.c.created_day != day,
                and_(users.c.created_day == day, users.c.created_today < maximum),
            ),
        )
        .values(
            created_today=case((users.c.created_day == day, users.c.created_today + 1), else_=1),
            created_day=day,
        )
        .returning(users.c.id)
    )
    if maximum < 1:
        return False
    return (await uow.conn.execute(stmt)).first() is not None


async def release_created_today(uow: UnitOfWork, user_id: int, *, day: str) -> None:
    """Give back one of `day`'s creations (a creation refused by a reviewer that day); another day's count stays."""
    stmt = update(users).where(users.c.id == user_id, users.c.created_day == day, users.c.created_today > 0)
    await uow.conn.execute(stmt.values(created_today=users.c.created_today - 1))
