"""The only permission-gated loaders. What the actor may not see answers 'not found'."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from qunzu.domain.groupcode import parse_group_code
from qunzu.domain.groups import group_not_found
from qunzu.domain.roles import GroupRole
from qunzu.errors import ErrorCode, Forbidden
from qunzu.storage.tables import groups, memberships


@dataclass(frozen=True, slots=True)
class GroupAccess:
    id: int
    code: str
    status: str
    member_cap: int
    role: GroupRole | None  # None: signed in, holds the code, not a member

    def require_member(self) -> GroupRole:
        if self.role is None:
            raise Forbidden("Only members of this group can do this", code=ErrorCode.NOT_MEMBER)
        return self.role


async def access_group(conn: AsyncConnection, *, actor: int, code: str, for_update: bool = False) -> GroupAccess:
    """Load a group by its code together with the actor's role in it."""
    parsed = parse_group_code(code)
    stmt = (
        select(
            groups.c.id, groups.c.code, groups.c.status, groups.c.member_cap, groups.c.creator_id, memberships.c.role
        )
        .select_from(
            groups.outerjoin(
                memberships,
                and_(
                    memberships.c.group_id == groups.c.id,
                    memberships.c.user_id == actor,
                ),
            )
        )
        .where(groups.c.code == parsed)
    )
    if for_update and conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update(of=groups)
    row = (await conn.execute(stmt)).one_or_none()
    if row is None:
        raise group_not_found()
    if row.status == "refused":  # refused at creation review: gone for everyone, its code kept (R-8.3-1)
        raise group_not_found()
    if row.status == "pending_review" and row.creator_id != actor:  # waiting for review: its creator's alone
        raise group_not_found()
    return GroupAccess(
        id=row.id,
        code=row.code,
        status=row.status,
        member_cap=row.member_cap,
        role=GroupRole(row.role) if row.role else None,
    )


async def access_group_as_member(conn: AsyncConnection, *, actor: int, code: str) -> GroupAccess:
    """A group the actor belongs to; non-members are refused with `not_member`."""
    access = await access_group(conn, actor=actor, code=code)
    access.require_member()
    return access
