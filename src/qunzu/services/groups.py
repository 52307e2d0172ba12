"""Groups: create, join, leave, members, managers, ownership transfer."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from qunzu import netlog
from qunzu.config import GroupSettings
from qunzu.context import Ctx
from qunzu.domain import groups as rules
from qunzu.domain import roles
from qunzu.domain.admission import (
    Applicant,
    CreationPath,
    CreationTerms,
    check_create,
    create_limit_error,
    creation_day,
    default_join_mode,
    join_limit_error,
)
from qunzu.domain.documents import DocumentKind
from qunzu.domain.emergency import Action
from qunzu.domain.groupcode import new_group_code
from qunzu.domain.identity import check_verified
from qunzu.domain.policy import GroupPolicy, SizeTier, parse_tier
from qunzu.domain.roles import ROLE_RANK, GroupRole
from qunzu.errors import Conflict, ErrorCode
from qunzu.netlog import Target
from qunzu.services import blacklist_gate, counters, credit, documents, emergency, restrictions
from qunzu.services.access import GroupAccess, access_group, access_group_as_member
from qunzu.services.events import GroupProfileChanged, MembershipChanged
from qunzu.services.review import queue_item
from qunzu.services.views import GroupView, MemberView
from qunzu.storage.tables import groups, memberships, role_offers, users
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
        max_tier=row.max_tier,
        join_mode=row.join_mode,
        purpose=row.purpose,
        closed_at=row.closed_at,
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
    policy: GroupPolicy,
    tier: str = "S",
    duties_version: int | None = None,
    purpose: str = "",
    code_source: Callable[[], str] = new_group_code,
    screen: Callable[[str, str], Any] | None = None,
) -> GroupView:
    """Create a group with a fresh unique code; the actor becomes its creator (群主).

    The creation gate (R-8.3-1) checks the requested tier and category against the creator's verification level,
    credit, account age and caps; XL and sensitive categories wait in the staff creation-review queue
    (`pending_review`). The creator accepts the current 群主责任告知书 (R-9.1-1). Groups owned, created today and
    joined are counters taken in the same transaction, so the caps hold under any concurrency (R-8.1-2, R-8.1-3).
    The name, description and purpose are reviewed before the group exists (R-8.3-2): `screen(text, field)`
    refuses prohibited content and returns a verdict to queue for flagged content.
    """
    await emergency.gate(db, Action.CREATE, actor=actor, category=category)  # emergency_stopped (R-5.1-4)
    size = parse_tier(tier)
    draft = rules.check_group_draft(
        name=name,
        category=category,
        description=description,
        categories=policy.category_ids(),
        name_max=limits.name_max_length,
        description_max=limits.description_max_length,
    )
    stated = rules.check_purpose(purpose, sensitive=policy.category(draft.category).sensitive)
    flagged = []
    if screen is not None:
        texts = (("group_name", draft.name), ("group_description", draft.description), ("group_purpose", stated))
        for field, text in texts:
            verdict = screen(text, field) if text else None
            if verdict is not None:
                flagged.append((field, text, verdict))
    for _attempt in range(CODE_ATTEMPTS):
        code = code_source()
        async with db.uow() as uow:
            await _require_verified(uow, actor, "create_group")
            await restrictions.check_may_create(uow, actor, now=ctx.now)  # creation_revoked / blacklisted (R-11.2-1)
            await blacklist_gate.check_owner_may_create(uow, actor=actor, name=draft.name, now=ctx.now)  # D11
            terms = await _creation_terms(uow, actor, policy=policy, tier=size, category=draft.category, ctx=ctx)
            current = (await documents.current_versions(uow.conn)).get(DocumentKind.OWNER_DUTIES.value)
            accepted = rules.check_duties_accepted(accepted=duties_version, current=current)
            await _take_creation_places(uow, actor, terms=terms, policy=policy, ctx=ctx)
            status = "pending_review" if terms.path is CreationPath.REVIEW else "active"
            try:
                row = (
                    await uow.conn.execute(
                        insert(groups)
                        .values(
                            code=code,
                            name=draft.name,
                            category=draft.category,
                            description=draft.description,
                            purpose=stated,
                            status=status,
                            creator_id=actor,
                            owner_id=actor,
                            member_count=1,
                            member_cap=terms.member_cap,
                            max_tier=size.value,
                            join_mode=default_join_mode(policy, size).value,
                            last_seq=0,
                            created_at=ctx.now,
                        )
                        .returning(groups)
                    )
                ).one()
            except IntegrityError:
                continue  # a code collision: draw again (codes are never reused); the places taken roll back
            await uow.conn.execute(
                insert(memberships).values(
                    group_id=row.id,
                    user_id=actor,
                    role=GroupRole.CREATOR.value,
                    joined_at=ctx.now,
                    duties_version=accepted,
                )
            )
            await documents.record_acceptance(
                uow, user_id=actor, kind=DocumentKind.OWNER_DUTIES.value, version=accepted, ctx=ctx
            )
            await netlog.record(
                uow,
                ctx,
                "group.create",
                Target.group(row.id, code),
                actor=actor,
                name=draft.name,
                category=draft.category,
                tier=size.value,
                path=terms.path.value,
                member_cap=terms.member_cap,
                duties_version=accepted,
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


async def applicant_facts(uow: UnitOfWork, user_id: int, *, now: datetime) -> Applicant:
    """What the creation gate reads about a person: verification level, credit score, account age and caps."""
    u = (
        await uow.conn.execute(
            select(
                users.c.verification_level,
                users.c.created_at,
                users.c.groups_owned,
                users.c.created_day,
                users.c.created_today,
            ).where(users.c.id == user_id)
        )
    ).one()
    return Applicant(
        verification_level=u.verification_level,
        credit_score=await credit.current_score(uow, user_id, now=now),
        account_age=now - u.created_at,
        groups_owned=u.groups_owned,
        created_today=u.created_today if u.created_day == creation_day(now) else 0,
    )


async def _creation_terms(
    uow: UnitOfWork, actor: int, *, policy: GroupPolicy, tier: SizeTier, category: str, ctx: Ctx
) -> CreationTerms:
    applicant = await applicant_facts(uow, actor, now=ctx.now)
    return check_create(policy, credit.POLICY, applicant, tier=tier, category=category)


async def _take_creation_places(
    uow: UnitOfWork, actor: int, *, terms: CreationTerms, policy: GroupPolicy, ctx: Ctx
) -> None:
    """The counted caps, taken by conditional UPDATEs (a refusal rolls the whole creation back)."""
    if not await counters.take_owned(uow, actor, maximum=terms.owned_max):
        raise create_limit_error(limit="owned", maximum=terms.owned_max)
    day = creation_day(ctx.now)
    if not await counters.take_created_today(uow, actor, day=day, maximum=terms.created_per_day):
        raise create_limit_error(limit="per_day", maximum=terms.created_per_day)
    if not await counters.take_joined(uow, actor, maximum=policy.joined_max):
        raise join_limit_error(maximum=policy.joined_max)


async def get_group(db: Database, *, actor: int, code: str) -> GroupView:
    """A group by code. Anyone signed in who holds the code sees its basic information; a group waiting for
    creation review only its creator; a closed group answers with its tombstone (`group_closed`, D8)."""
    async with db.uow(write=False) as uow:
        access = await access_group(uow.conn, actor=actor, code=code)
        row = (await uow.conn.execute(select(groups).where(groups.c.id == access.id))).one()
    check_visible(row, actor=actor)
    return group_view(row, access.role)


def check_visible(row: Any, *, actor: int | None) -> None:
    """Who sees a group at all: a refused group nobody, a pending one its creator only (others: not found); a
    closed one answers with its tombstone (`group_closed` with its code and when it closed)."""
    if row.status == "refused" or (row.status == "pending_review" and row.creator_id != actor):
        raise rules.group_not_found()
    if row.status == "closed":
        raise tombstone(row)


def tombstone(row: Any) -> Conflict:
    """The answer for a closed group's code (D8): 该群已关闭, with the code and when it closed."""
    closed_at = row.closed_at.isoformat() if row.closed_at else None
    return Conflict(
        "This group has been closed", code=ErrorCode.GROUP_CLOSED, details={"code": row.code, "closed_at": closed_at}
    )


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


async def leave_group(db: Database, *, actor: int, code: str, ctx: Ctx) -> None:
    """Leave a group. The owner must transfer ownership first (R-9.1-2)."""
    async with db.uow() as uow:
        access = await access_group_as_member(uow.conn, actor=actor, code=code)
        roles.check_can_leave(access.require_member())
        await _remove_member(uow, access, user_id=actor, ctx=ctx, action="group.leave", actor=actor)
        await uow.commit()


async def _remove_member(
    uow: UnitOfWork, access: GroupAccess, *, user_id: int, ctx: Ctx, action: str, actor: int, **details: Any
) -> None:
    """Take one person out of a group (leaving or removed): their joined place comes back, a pending role offer
    to them ends, and the record and the `member_left` event are written."""
    await uow.conn.execute(
        delete(memberships).where(memberships.c.group_id == access.id, memberships.c.user_id == user_id)
    )
    await uow.conn.execute(
        update(role_offers)
        .where(role_offers.c.open_key == f"{access.id}:{user_id}")
        .values(status="cancelled", decided_at=ctx.now, open_key=None)
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
    await netlog.record(uow, ctx, action, Target.user(user_id, group_id=access.id), actor=actor, **details)
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
    await emergency.gate_code(db, Action.PROFILE, actor=actor, code=code)  # emergency_stopped (R-5.1-4)
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
        await restrictions.check_tools(uow, actor, access.role, now=ctx.now)  # management_suspended (R-11.2-1)
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
