"""Roles in a group (Art. 9): appointing and removing managers, transferring ownership."""

from __future__ import annotations

from sqlalchemy import select, update

from qunzu import netlog
from qunzu.context import Ctx
from qunzu.domain import roles
from qunzu.domain.roles import GroupRole
from qunzu.errors import Conflict, ErrorCode, NotFound
from qunzu.netlog import Target
from qunzu.services.access import GroupAccess, access_group_as_member
from qunzu.services.events import MembershipChanged
from qunzu.services.groups import _ms, _nickname, group_view
from qunzu.services.views import GroupView, MemberView
from qunzu.storage.tables import groups, memberships, users
from qunzu.storage.uow import Database, UnitOfWork


async def _target_role(uow: UnitOfWork, access: GroupAccess, user_id: int) -> GroupRole:
    role = (
        await uow.conn.execute(
            select(memberships.c.role).where(memberships.c.group_id == access.id, memberships.c.user_id == user_id)
        )
    ).scalar_one_or_none()
    if role is None:
        raise NotFound("That user is not a member of this group", code=ErrorCode.MEMBER_NOT_FOUND)
    return GroupRole(role)


async def _set_role(
    uow: UnitOfWork, access: GroupAccess, *, user_id: int, role: GroupRole, ctx: Ctx, actor: int, action: str
) -> None:
    await uow.conn.execute(
        update(memberships)
        .where(memberships.c.group_id == access.id, memberships.c.user_id == user_id)
        .values(role=role.value)
    )
    await netlog.record(uow, ctx, action, Target.user(user_id, group_id=access.id), actor=actor, role=role.value)
    count = (await uow.conn.execute(select(groups.c.member_count).where(groups.c.id == access.id))).scalar_one()
    uow.collect(
        MembershipChanged(
            group_id=access.id,
            group_code=access.code,
            kind="role_changed",
            user={"id": user_id, "nickname": await _nickname(uow, user_id)},
            role=role.value,
            member_count=count,
            ts_ms=_ms(ctx),
        )
    )


async def set_manager(db: Database, *, actor: int, code: str, user_id: int, manager: bool, ctx: Ctx) -> MemberView:
    """The creator appoints a member as manager (manager=True) or returns a manager to member."""
    async with db.uow() as uow:
        access = await access_group_as_member(uow.conn, actor=actor, code=code)
        roles.check_can_manage_managers(access.require_member())
        current = await _target_role(uow, access, user_id)
        if current is GroupRole.CREATOR:
            raise Conflict("The owner's role changes only by transfer", code=ErrorCode.FORBIDDEN_ROLE)
        new_role = GroupRole.MANAGER if manager else GroupRole.MEMBER
        if current is not new_role:
            await _set_role(
                uow,
                access,
                user_id=user_id,
                role=new_role,
                ctx=ctx,
                actor=actor,
                action="group.manager_appoint" if manager else "group.manager_remove",
            )
        row = (
            await uow.conn.execute(
                select(memberships.c.joined_at, users.c.nickname)
                .join(users, users.c.id == memberships.c.user_id)
                .where(memberships.c.group_id == access.id, memberships.c.user_id == user_id)
            )
        ).one()
        await uow.commit()
    return MemberView(user_id=user_id, nickname=row.nickname, role=new_role, joined_at=row.joined_at)


async def transfer_ownership(db: Database, *, actor: int, code: str, to_user: int, ctx: Ctx) -> GroupView:
    """The creator hands the group to another member, who becomes 群主; the old owner becomes a member."""
    async with db.uow() as uow:
        access = await access_group_as_member(uow.conn, actor=actor, code=code)
        roles.check_can_transfer(access.require_member())
        if to_user == actor:
            raise Conflict("You already own this group", code=ErrorCode.VALIDATION_FAILED)
        await _target_role(uow, access, to_user)
        await _set_role(
            uow, access, user_id=to_user, role=GroupRole.CREATOR, ctx=ctx, actor=actor, action="group.transfer"
        )
        await _set_role(
            uow, access, user_id=actor, role=GroupRole.MEMBER, ctx=ctx, actor=actor, action="group.transfer_from"
        )
        await uow.conn.execute(update(groups).where(groups.c.id == access.id).values(owner_id=to_user))
        row = (await uow.conn.execute(select(groups).where(groups.c.id == access.id))).one()
        await uow.commit()
    return group_view(row, GroupRole.MEMBER)
