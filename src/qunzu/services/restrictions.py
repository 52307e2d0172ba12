"""A user's and a group's restrictions (Art. 11), loaded once per action for the paths off the posting hot path
(creating, joining, managing, signing in). The rules are domain/restrictions.py; the columns are set by
services/enforcement.py and services/blacklist.py only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from qunzu.domain import restrictions as rules
from qunzu.domain.group_stars import check_new_members
from qunzu.domain.roles import GroupRole
from qunzu.storage.tables import groups, users
from qunzu.storage.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class UserRestrictions:
    suspended_until: datetime | None
    platform_muted_until: datetime | None
    manage_suspended_until: datetime | None
    create_revoked_until: datetime | None
    blacklist_level: int

    def check_account(self, *, now: datetime) -> None:
        rules.check_account_active(self.suspended_until, self.blacklist_level, now=now)

    def check_manage(self, *, now: datetime) -> None:
        rules.check_may_manage(self.manage_suspended_until, self.blacklist_level, now=now)

    def check_create(self, *, now: datetime) -> None:
        rules.check_may_create(self.create_revoked_until, self.blacklist_level, now=now)

    def check_join(self) -> None:
        rules.check_may_join(self.blacklist_level)


NONE = UserRestrictions(None, None, None, None, 0)


async def user_restrictions(uow: UnitOfWork, user_id: int) -> UserRestrictions:
    """The restriction columns of one user (an unknown id has none)."""
    row = (
        await uow.conn.execute(
            select(
                users.c.suspended_until,
                users.c.platform_muted_until,
                users.c.manage_suspended_until,
                users.c.create_revoked_until,
                users.c.blacklist_level,
            ).where(users.c.id == user_id)
        )
    ).one_or_none()
    if row is None:
        return NONE
    return UserRestrictions(
        row.suspended_until,
        row.platform_muted_until,
        row.manage_suspended_until,
        row.create_revoked_until,
        int(row.blacklist_level or 0),
    )


async def check_may_manage(uow: UnitOfWork, user_id: int, *, now: datetime) -> None:
    """An owner's or manager's tool use: refused while their management rights are suspended or they are
    blacklisted (`management_suspended` / `blacklisted`)."""
    (await user_restrictions(uow, user_id)).check_manage(now=now)


async def check_may_create(uow: UnitOfWork, user_id: int, *, now: datetime) -> None:
    """Group creation: refused while the right is revoked or the user is blacklisted."""
    (await user_restrictions(uow, user_id)).check_create(now=now)


async def check_may_join(uow: UnitOfWork, user_id: int) -> None:
    """Joining (by any path): refused for a blacklisted user (`blacklisted`)."""
    (await user_restrictions(uow, user_id)).check_join()


async def check_group_joinable(uow: UnitOfWork, group_id: int) -> None:
    """Joining (by any path): refused while the group's joins are frozen (`joins_frozen`) or its credit stars are
    down to two (`stars_restricted`)."""
    row = (await uow.conn.execute(select(groups.c.joins_frozen, groups.c.stars).where(groups.c.id == group_id))).one()
    rules.check_joins_open(bool(row.joins_frozen))
    check_new_members(int(row.stars))


async def check_tools(uow: UnitOfWork, actor: int, role: GroupRole | None, *, now: datetime) -> None:
    """The management gate at every owner's and manager's tool (R-11.2-1): one whose management rights are
    suspended, or who is blacklisted, keeps the membership but uses no tool (`management_suspended` /
    `blacklisted`); the owner role is frozen with it (no hand-over, no dissolution). Ordinary members pass."""
    if role in (GroupRole.CREATOR, GroupRole.MANAGER):
        await check_may_manage(uow, actor, now=now)


async def posting_state(uow: UnitOfWork, *, actor: int, group_id: int) -> tuple[datetime | None, datetime | None]:
    """(the group's suspended_until, the actor's platform_muted_until), for the composer to say why it is off."""
    group_until = (
        await uow.conn.execute(select(groups.c.suspended_until).where(groups.c.id == group_id))
    ).scalar_one_or_none()
    return group_until, (await user_restrictions(uow, actor)).platform_muted_until
