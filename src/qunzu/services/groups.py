"""Groups: create, join, leave, members, managers, ownership transfer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from qunzu import netlog
from qunzu.config import GroupSettings
from qunzu.context import Ctx
from qunzu.domain import groups as rules
from qunzu.domain import roles
from qunzu.domain.groupcode import new_group_code
from qunzu.domain.identity import check_verified
from qunzu.domain.limits import effective_member_cap, group_full_error
from qunzu.domain.roles import ROLE_RANK, GroupRole
from qunzu.errors import Conflict, ErrorCode, NotFound
from qunzu.netlog import Target
from qunzu.services.access import GroupAccess, access_group, access_group_as_member
from qunzu.services.events import GroupProfileChanged, MembershipChanged
from qunzu.services.review import queue_item
from qunzu.services.views import GroupView, MemberView
from qunzu.storage.tables import groups, memberships, users
from qunzu.storage.uow import Database, UnitOfWork

CODE_ATTEMPTS = 8


def _ms(ctx: Ctx) -> int:
    return int(ctx.now.timestamp() * 1000)


def group_view(row: Any, role: GroupRole | None) -> GroupView:
    return GroupView(
        id=row.id,
        code=row.code,
        name=row.name,
        category=row.category,
        description=row.description,
        status=row.status,
        member_count=row.member_count,
        member_cap=row.member_cap,
        last_seq=row.last_seq,
        creator_id=row.creator_id,
        owner_id=row.owner_id,
        created_at=row.created_at,
        my_role=role,
        announcement=row.announcement,
        announcement_at=row.announcement_at,
    )


async def _require_verified(uow: UnitOfWork, user_id: int, action: str) -> None:
    level = (await uow.conn.execute(select(users.c.verification_level).where(users.c.id == user_id))).scalar_one()
    check_verified(level, action=action)


async def _nickname(uow: UnitOfWork, user_id: int) -> str:
    return (await uow.conn.execute(select(users.c.nickname).where(users.c.id == user_id))).scalar_one()


async def create_group(
    db: Database,
    *,
    actor: int,
    name: str,
    category: str,
    description: str,
    ctx: Ctx,
    limits: GroupSettings,
    code_source: Callable[[], str] = new_group_code,
    screen: Callable[[str, str], Any] | None = None,
) -> GroupView:
    """Create a group with a fresh unique code; the actor becomes its creator (群主).

    The name and description are reviewed before the group exists (R-8.3-2): `screen(text, field)` refuses
    prohibited content and returns a verdict to queue for flagged content.
    """
    draft = rules.check_group_draft(
        name=name,
        category=category,
        description=description,
        categories=limits.categories,
        name_max=limits.name_max_length,
        description_max=limits.description_max_length,
    )
    flagged = []
    if screen is not None:
        for field, text in (("group_name", draft.name), ("group_description", draft.description)):
            verdict = screen(text, field) if text else None
            if verdict is not None:
                flagged.append((field, text, verdict))
    cap = effective_member_cap(None, default=limits.max_members_default, hard=limits.max_members_hard)
    for _attempt in range(CODE_ATTEMPTS):
        code = code_source()
        async with db.uow() as uow:
            await _require_verified(uow, actor, "create_group")
            try:
                row = (
                    await uow.conn.execute(
                        insert(groups)
                        .values(
                            code=code,
                            name=draft.name,
                            category=draft.category,
                            description=draft.description,
                            status="active",
                            creator_id=actor,
                            owner_id=actor,
                            member_count=1,
                            member_cap=cap,
                            last_seq=0,
                            created_at=ctx.now,
                        )
                        .returning(groups)
                    )
                ).one()
            except IntegrityError:
                continue  # a code collision: draw again (codes are never reused)
            await uow.conn.execute(
                insert(memberships).values(
                    group_id=row.id, user_id=actor, role=GroupRole.CREATOR.value, joined_at=ctx.now
                )
            )
            await netlog.record(
                uow,
                ctx,
                "group.create",
                Target.group(row.id, code),
                actor=actor,
                name=draft.name,
                category=draft.category,
                member_cap=cap,
            )
            for field, text, verdict in flagged:
                await queue_item(
                    uow,
                    kind=field,
                    target_id=code,
                    author_id=actor,
                    text=text,
                    verdict=verdict,
                    now=ctx.now,
                    group_id=row.id,
                )
            nick = await _nickname(uow, actor)
            uow.collect(
                MembershipChanged(
                    group_id=row.id,
                    group_code=code,
                    kind="member_joined",
                    user={"id": actor, "nickname": nick},
                    role=GroupRole.CREATOR.value,
                    member_count=1,
                    ts_ms=_ms(ctx),
                    last_seq=0,
                )
            )
            await uow.commit()
            return group_view(row, GroupRole.CREATOR)
    raise Conflict("Could not allocate a group code; try again", code=ErrorCode.UNAVAILABLE)


async def get_group(db: Database, *, actor: int, code: str) -> GroupView:
    """A group by code. Anyone signed in who holds the code sees its basic information."""
    async with db.uow(write=False) as uow:
        access = await access_group(uow.conn, actor=actor, code=code)
        row = (await uow.conn.execute(select(groups).where(groups.c.id == access.id))).one()
    return group_view(row, access.role)


async def list_my_groups(db: Database, *, actor: int) -> list[GroupView]:
    """The groups the actor belongs to, most recently joined first."""
    async with db.uow(write=False) as uow:
        rows = await uow.conn.execute(
            select(groups, memberships.c.role.label("my_role"))
            .join(memberships, memberships.c.group_id == groups.c.id)
            .where(memberships.c.user_id == actor)
            .order_by(memberships.c.joined_at.desc(), groups.c.id.desc())
        )
        return [group_view(r, GroupRole(r.my_role)) for r in rows]


async def join_group(db: Database, *, actor: int, code: str, ctx: Ctx) -> GroupView:
    """Join a group. The member cap holds under any concurrency: the count moves by a conditional UPDATE."""
    async with db.uow() as uow:
        access = await access_group(uow.conn, actor=actor, code=code)
        rules.check_can_join(status=access.status, already_member=access.role is not None)
        await _require_verified(uow, actor, "join_group")
        try:
            await uow.conn.execute(
                insert(memberships).values(
                    group_id=access.id, user_id=actor, role=GroupRole.MEMBER.value, joined_at=ctx.now
                )
            )
        except IntegrityError as exc:
            raise Conflict("You are already a member of this group", code=ErrorCode.ALREADY_MEMBER) from exc
        counted = (
            await uow.conn.execute(
                update(groups)
                .where(
                    groups.c.id == access.id,
                    groups.c.member_count < groups.c.member_cap,
                    groups.c.status == "active",
                )
                .values(member_count=groups.c.member_count + 1)
                .returning(groups.c.member_count)
            )
        ).scalar_one_or_none()
        if counted is None:
            raise group_full_error(cap=access.member_cap)
        await netlog.record(uow, ctx, "group.join", Target.group(access.id, access.code), actor=actor)
        nick = await _nickname(uow, actor)
        row = (await uow.conn.execute(select(groups).where(groups.c.id == access.id))).one()
        uow.collect(
            MembershipChanged(
                group_id=access.id,
                group_code=access.code,
                kind="member_joined",
                user={"id": actor, "nickname": nick},
                role=GroupRole.MEMBER.value,
                member_count=counted,
                ts_ms=_ms(ctx),
                last_seq=row.last_seq,
            )
        )
        await uow.commit()
    return group_view(row, GroupRole.MEMBER)


async def leave_group(db: Database, *, actor: int, code: str, ctx: Ctx) -> None:
    """Leave a group. The owner must transfer ownership first (R-9.1-2)."""
    async with db.uow() as uow:
        access = await access_group_as_member(uow.conn, actor=actor, code=code)
        roles.check_can_leave(access.require_member())
        await _remove_member(uow, access, user_id=actor, ctx=ctx, action="group.leave", actor=actor)
        await uow.commit()


async def _remove_member(
    uow: UnitOfWork, access: GroupAccess, *, user_id: int, ctx: Ctx, action: str, actor: int
) -> None:
    await uow.conn.execute(
        delete(memberships).where(memberships.c.group_id == access.id, memberships.c.user_id == user_id)
    )
    count = (
        await uow.conn.execute(
            update(groups)
            .where(groups.c.id == access.id)
            .values(member_count=groups.c.member_count - 1)
            .returning(groups.c.member_count)
        )
    ).scalar_one()
    await netlog.record(uow, ctx, action, Target.user(user_id, group_id=access.id), actor=actor)
    nick = await _nickname(uow, user_id)
    uow.collect(
        MembershipChanged(
            group_id=access.id,
            group_code=access.code,
            kind="member_left",
            user={"id": user_id, "nickname": nick},
            role=None,
            member_count=count,
            ts_ms=_ms(ctx),
        )
    )


async def list_members(db: Database, *, actor: int, code: str) -> list[MemberView]:
    """Members with their role labels: creator first, then managers, then members by join time."""
    async with db.uow(write=False) as uow:
        access = await access_group_as_member(uow.conn, actor=actor, code=code)
        rows = await uow.conn.execute(
            select(memberships.c.user_id, memberships.c.role, memberships.c.joined_at, users.c.nickname)
            .join(users, users.c.id == memberships.c.user_id)
            .where(memberships.c.group_id == access.id)
        )
        members = [
            MemberView(user_id=r.user_id, nickname=r.nickname, role=GroupRole(r.role), joined_at=r.joined_at)
            for r in rows
        ]
    members.sort(key=lambda m: (ROLE_RANK[m.role], m.joined_at, m.user_id))
    return members


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


async def update_profile(
    db: Database,
    *,
    actor: int,
    code: str,
    name: str | None = None,
    description: str | None = None,
    announcement: str | None = None,
    ctx: Ctx,
    limits: GroupSettings,
    screen: Callable[[str, str], Any] | None = None,
) -> GroupView:
    """The creator or a manager edits the group's name, description or announcement (R-9.3-1).

    Each changed field is reviewed like a new group's (R-5.1-3): `screen(text, field)` refuses prohibited
    content and returns a verdict to queue for flagged content, which is published and queued for a reviewer.
    The operation record keeps every change, old and new (R-10-5); the members' open pages update live.
    """
    change = rules.check_profile_change(
        name=name,
        description=description,
        announcement=announcement,
        name_max=limits.name_max_length,
        description_max=limits.description_max_length,
        announcement_max=limits.announcement_max_length,
    )
    async with db.uow() as uow:
        access = await access_group(uow.conn, actor=actor, code=code, for_update=True)
        roles.check_can_edit_profile(access.require_member())
        rules.check_group_open(access.status)
        await _require_verified(uow, actor, "edit_group")
        row = (await uow.conn.execute(select(groups).where(groups.c.id == access.id))).one()
        changed = rules.changed_fields(change, row._mapping)
        flagged = []
        if screen is not None:
            for field, text in changed.items():
                verdict = screen(text, rules.PROFILE_KINDS[field]) if text else None
                if verdict is not None:
                    flagged.append((field, text, verdict))
        if not changed:
            await uow.commit()
            return group_view(row, access.role)
        old = row
        stmt = update(groups).where(groups.c.id == access.id).values(**rules.profile_values(changed, ctx.now))
        row = (await uow.conn.execute(stmt.returning(groups))).one()
        await netlog.record(
            uow,
            ctx,
            "group.profile",
            Target.group(access.id, access.code),
            actor=actor,
            **{field: {"old": getattr(old, field), "new": text} for field, text in changed.items()},
        )
        for field, text, verdict in flagged:
            await queue_item(
                uow,
                kind=rules.PROFILE_KINDS[field],
                target_id=access.code,
                author_id=actor,
                text=text,
                verdict=verdict,
                now=ctx.now,
                group_id=access.id,
            )
        uow.collect(GroupProfileChanged.of(row, _ms(ctx)))
        await uow.commit()
    return group_view(row, access.role)


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
