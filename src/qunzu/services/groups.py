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
from qunzu.errors import Conflict, ErrorCode
from qunzu.netlog import Target
from qunzu.services import counters
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
    await counters.release_joined(uow, user_id)
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
