"""Roles in a group (Art. 9): managers and owners by consent, never by silent promotion (R-9.1-1, R-9.1-2, D12).

The owner *offers* a member the manager role, or the group itself (a transfer); the offer is a `role_offers` row
(pending → accepted | declined | cancelled; `open_key` holds one pending offer per person and group, a newer offer
replaces an older one). The person accepts the current 群主责任告知书 (`owner_duties`) with the offer, and only then
gets the role: their membership notes the duties version, the acceptance is kept with time and source, and the
operation log shows the offer, the answer and who gave it.

Caps hold under any concurrency: the number of managers (`managers_max`) is counted under the group row's lock
(PostgreSQL `FOR UPDATE`; SQLite runs one writer at a time), and a new owner takes an owned place with the
conditional UPDATE of `counters.take_owned`. Removing a manager stays immediate, and a manager may step down.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update

from qunzu import netlog
from qunzu.context import Ctx
from qunzu.domain import roles
from qunzu.domain.admission import Applicant, check_create, create_limit_error
from qunzu.domain.credit import Entitlement, check_entitlement
from qunzu.domain.documents import DocumentKind
from qunzu.domain.groups import check_group_open
from qunzu.domain.identity import check_verified
from qunzu.domain.policy import GroupPolicy, SizeTier, managers_max
from qunzu.domain.roles import GroupRole
from qunzu.errors import Conflict, ErrorCode, Forbidden, NotFound
from qunzu.netlog import Target
from qunzu.services import counters, restrictions
from qunzu.services.access import GroupAccess, access_group, access_group_as_member
from qunzu.services.credit import POLICY as CREDIT
from qunzu.services.credit import current_score
from qunzu.services.documents import current_versions, record_acceptance
from qunzu.services.events import MembershipChanged
from qunzu.services.group_offers import (
    PENDING,
    OfferView,
    activity,
    close_open,
    new_offer,
    offer_view,
    target_role,
)
from qunzu.services.groups import _ms, _nickname
from qunzu.services.views import MemberView
from qunzu.storage.tables import groups, memberships, role_offers, users
from qunzu.storage.uow import Database, UnitOfWork


async def _set_role(
    uow: UnitOfWork,
    access: GroupAccess,
    *,
    user_id: int,
    role: GroupRole,
    ctx: Ctx,
    actor: int,
    action: str,
    duties_version: int | None = None,
    **details: Any,
) -> None:
    values: dict[str, Any] = {"role": role.value}
    if duties_version is not None:
        values["duties_version"] = duties_version
    await uow.conn.execute(
        update(memberships)
        .where(memberships.c.group_id == access.id, memberships.c.user_id == user_id)
        .values(**values)
    )
    await netlog.record(
        uow, ctx, action, Target.user(user_id, group_id=access.id), actor=actor, role=role.value, **details
    )
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


async def _manager_count(uow: UnitOfWork, group_id: int, *, pending: bool = False) -> int:
    have = (
        await uow.conn.execute(
            select(func.count())
            .select_from(memberships)
            .where(memberships.c.group_id == group_id, memberships.c.role == GroupRole.MANAGER.value)
        )
    ).scalar_one()
    if not pending:
        return int(have)
    offered = (
        await uow.conn.execute(
            select(func.count())
            .select_from(role_offers)
            .where(
                role_offers.c.group_id == group_id,
                role_offers.c.role == GroupRole.MANAGER.value,
                role_offers.c.status == PENDING,
            )
        )
    ).scalar_one()
    return int(have) + int(offered)


def _limit(maximum: int) -> Conflict:
    return Conflict(
        f"This group has as many managers as it may ({maximum}), counting pending offers",
        code=ErrorCode.MANAGERS_LIMIT,
        details={"max": maximum},
    )


async def _check_manager_eligible(uow: UnitOfWork, user_id: int, policy: GroupPolicy, now: datetime) -> None:
    """A manager is verified to the policy's level and has the credit entitlement to manage."""
    level = (await uow.conn.execute(select(users.c.verification_level).where(users.c.id == user_id))).scalar_one()
    check_verified(level, action="manage_group")
    if level < policy.manager_verification:
        raise Forbidden(
            "A manager needs a higher verification level",
            code=ErrorCode.VERIFICATION_LEVEL_REQUIRED,
            details={"required_level": policy.manager_verification, "level": level},
        )
    check_entitlement(await current_score(uow, user_id, now=now), Entitlement.MANAGE, policy=CREDIT)


async def _open_group(uow: UnitOfWork, *, actor: int, code: str) -> GroupAccess:
    """The group, its row locked for the role change, the actor a member and the group open."""
    access = await access_group(uow.conn, actor=actor, code=code, for_update=True)
    access.require_member()
    check_group_open(access.status)
    return access


# --- managers ----------------------------------------------------------------------------------------------------


async def offer_manager(
    db: Database, *, actor: int, code: str, user_id: int, ctx: Ctx, policy: GroupPolicy
) -> OfferView:
    """The owner offers a member the manager role (R-9.1-1); they have no powers until they accept."""
    async with db.uow() as uow:
        access = await _open_group(uow, actor=actor, code=code)
        roles.check_can_manage_managers(access.require_member())
        await restrictions.check_tools(uow, actor, access.role, now=ctx.now)  # the owner role is frozen (R-11.2-1)
        current = await target_role(uow, access, user_id)
        if current is not GroupRole.MEMBER:
            raise Conflict(
                "Only an ordinary member can be offered the manager role",
                code=ErrorCode.FORBIDDEN_ROLE,
                details={"target_role": current.value},
            )
        await _check_manager_eligible(uow, user_id, policy, ctx.now)
        await close_open(uow, access.id, user_id, status="cancelled", now=ctx.now)
        maximum = managers_max(access.member_cap, policy)
        if await _manager_count(uow, access.id, pending=True) >= maximum:
            raise _limit(maximum)
        offer_id = await new_offer(uow, access, user_id=user_id, role=GroupRole.MANAGER, actor=actor, ctx=ctx)
        await netlog.record(
            uow, ctx, "group.manager_offer", Target.user(user_id, group_id=access.id), actor=actor,
            offer=offer_id, actor_role=GroupRole.CREATOR.value,
        )  # fmt: skip
        await activity(uow, access, "manager_offered", ctx, actor=actor, target=user_id)
        view = await offer_view(uow, offer_id)
        await uow.commit()
    return view


async def _member_view(uow: UnitOfWork, access: GroupAccess, user_id: int) -> MemberView:
    row = (
        await uow.conn.execute(
            select(memberships.c.role, memberships.c.joined_at, users.c.nickname)
            .join(users, users.c.id == memberships.c.user_id)
            .where(memberships.c.group_id == access.id, memberships.c.user_id == user_id)
        )
    ).one()
    return MemberView(user_id=user_id, nickname=row.nickname, role=GroupRole(row.role), joined_at=row.joined_at)


async def remove_manager(db: Database, *, actor: int, code: str, user_id: int, ctx: Ctx) -> MemberView:
    """The owner returns a manager to ordinary member, at once (a pending offer to a member is cancelled)."""
    async with db.uow() as uow:
        access = await _open_group(uow, actor=actor, code=code)
        roles.check_can_manage_managers(access.require_member())
        await restrictions.check_tools(uow, actor, access.role, now=ctx.now)  # the owner role is frozen (R-11.2-1)
        current = await target_role(uow, access, user_id)
        if current is GroupRole.CREATOR:
            raise Conflict("The owner's role changes only by transfer", code=ErrorCode.FORBIDDEN_ROLE)
        if current is GroupRole.MANAGER:
            await _set_role(
                uow, access, user_id=user_id, role=GroupRole.MEMBER, ctx=ctx, actor=actor,
                action="group.manager_remove", actor_role=GroupRole.CREATOR.value,
            )  # fmt: skip
            await activity(uow, access, "manager_removed", ctx, actor=actor, target=user_id)
        else:
            await close_open(uow, access.id, user_id, status="cancelled", now=ctx.now)
        view = await _member_view(uow, access, user_id)
        await uow.commit()
    return view


async def resign_manager(db: Database, *, actor: int, code: str, ctx: Ctx) -> MemberView:
    """A manager steps down to ordinary member (the owner cannot: ownership is transferred)."""
    async with db.uow() as uow:
        access = await _open_group(uow, actor=actor, code=code)
        role = access.require_member()
        if role is GroupRole.CREATOR:
            raise Conflict("The owner steps down by transferring the group", code=ErrorCode.OWNER_MUST_TRANSFER)
        if role is not GroupRole.MANAGER:
            raise Forbidden("Only a manager can step down", code=ErrorCode.FORBIDDEN_ROLE, details={"role": role.value})
        await _set_role(
            uow, access, user_id=actor, role=GroupRole.MEMBER, ctx=ctx, actor=actor, action="group.manager_resign",
            actor_role=GroupRole.MANAGER.value,
        )  # fmt: skip
        await activity(uow, access, "manager_resigned", ctx, actor=actor, target=actor)
        view = await _member_view(uow, access, actor)
        await uow.commit()
    return view


# --- ownership ---------------------------------------------------------------------------------------------------


async def offer_ownership(db: Database, *, actor: int, code: str, to_user: int, ctx: Ctx) -> OfferView:
    """The owner offers the group to a member (R-9.1-2): nothing changes until they accept. One transfer offer
    stands at a time; a new one cancels the last."""
    async with db.uow() as uow:
        access = await _open_group(uow, actor=actor, code=code)
        roles.check_can_transfer(access.require_member())
        await restrictions.check_tools(uow, actor, access.role, now=ctx.now)  # the owner role is frozen (R-11.2-1)
        if to_user == actor:
            raise Conflict("You already own this group", code=ErrorCode.VALIDATION_FAILED, details={"field": "user_id"})
        await target_role(uow, access, to_user)
        await uow.conn.execute(
            update(role_offers)
            .where(
                role_offers.c.group_id == access.id,
                role_offers.c.role == GroupRole.CREATOR.value,
                role_offers.c.status == PENDING,
            )
            .values(status="cancelled", decided_at=ctx.now, open_key=None)
        )
        offer_id = await new_offer(uow, access, user_id=to_user, role=GroupRole.CREATOR, actor=actor, ctx=ctx)
        await netlog.record(
            uow, ctx, "group.transfer_offer", Target.user(to_user, group_id=access.id), actor=actor, offer=offer_id,
            actor_role=GroupRole.CREATOR.value,
        )  # fmt: skip
        view = await offer_view(uow, offer_id)
        await uow.commit()
    return view


async def _check_can_own(uow: UnitOfWork, *, user_id: int, group: Any, policy: GroupPolicy, now: datetime) -> int:
    """The new owner meets the creation requirements of the group's tier and category (not the per-day count);
    returns the owned maximum of their credit level."""
    u = (await uow.conn.execute(select(users).where(users.c.id == user_id))).one()
    applicant = Applicant(
        verification_level=u.verification_level,
        credit_score=await current_score(uow, user_id, now=now),
        account_age=now - u.created_at,
        groups_owned=0,  # taken below by the conditional UPDATE
        created_today=0,
    )
    try:
        tier = SizeTier(group.max_tier)
    except ValueError:
        tier = SizeTier.XL  # an unknown stored tier: the strictest requirements
    terms = check_create(policy, CREDIT, applicant, tier=tier, category=group.category)
    return terms.owned_max


async def _accept_ownership(
    uow: UnitOfWork, access: GroupAccess, offer: Any, *, duties: int, ctx: Ctx, policy: GroupPolicy
) -> None:
    actor = offer.user_id
    group = (await uow.conn.execute(select(groups).where(groups.c.id == access.id))).one()
    if offer.offered_by is not None and offer.offered_by != group.owner_id:
        raise NotFound("This offer is no longer valid", code=ErrorCode.OFFER_NOT_FOUND)
    owned_max = await _check_can_own(uow, user_id=actor, group=group, policy=policy, now=ctx.now)
    if not await counters.take_owned(uow, actor, maximum=owned_max):
        raise create_limit_error(limit="owned", maximum=owned_max)
    old = group.owner_id
    await _set_role(
        uow, access, user_id=actor, role=GroupRole.CREATOR, ctx=ctx, actor=actor, action="group.transfer",
        duties_version=duties, offer=offer.id, previous_owner=old,
        actor_role=access.role.value if access.role else None,
    )  # fmt: skip
    await _set_role(
        uow, access, user_id=old, role=GroupRole.MEMBER, ctx=ctx, actor=actor, action="group.transfer_from",
        offer=offer.id,
    )  # fmt: skip
    await uow.conn.execute(update(groups).where(groups.c.id == access.id).values(owner_id=actor))
    await counters.release_owned(uow, old)
    await uow.conn.execute(
        update(role_offers)
        .where(
            role_offers.c.group_id == access.id,
            role_offers.c.role == GroupRole.CREATOR.value,
            role_offers.c.status == PENDING,
            role_offers.c.id != offer.id,
        )
        .values(status="cancelled", decided_at=ctx.now, open_key=None)
    )
    await activity(uow, access, "owner_changed", ctx, actor=old, target=actor)


async def _accept_manager(
    uow: UnitOfWork, access: GroupAccess, offer: Any, *, duties: int, ctx: Ctx, policy: GroupPolicy
) -> None:
    actor = offer.user_id
    if access.role is not GroupRole.MEMBER:
        raise NotFound("This offer is no longer valid", code=ErrorCode.OFFER_NOT_FOUND)
    await _check_manager_eligible(uow, actor, policy, ctx.now)
    maximum = managers_max(access.member_cap, policy)
    if await _manager_count(uow, access.id) >= maximum:
        raise _limit(maximum)
    await _set_role(
        uow, access, user_id=actor, role=GroupRole.MANAGER, ctx=ctx, actor=actor, action="group.manager_accept",
        duties_version=duties, offer=offer.id, offered_by=offer.offered_by, actor_role=GroupRole.MEMBER.value,
    )  # fmt: skip
    await activity(uow, access, "manager_appointed", ctx, actor=offer.offered_by, target=actor)


async def _pending_offer(uow: UnitOfWork, *, actor: int, offer_id: int) -> Any:
    row = (
        await uow.conn.execute(
            select(role_offers, groups.c.code)
            .join(groups, groups.c.id == role_offers.c.group_id)
            .where(role_offers.c.id == offer_id, role_offers.c.user_id == actor, role_offers.c.status == PENDING)
        )
    ).one_or_none()
    if row is None:
        raise NotFound("Nothing is waiting for your answer", code=ErrorCode.OFFER_NOT_FOUND)
    return row


async def accept_offer(
    db: Database, *, actor: int, offer_id: int, duties_version: int | None, ctx: Ctx, policy: GroupPolicy
) -> OfferView:
    """The person offered a role accepts it with the current owner-duties notice (R-9.1-1, R-9.1-2)."""
    async with db.uow() as uow:
        offer = await _pending_offer(uow, actor=actor, offer_id=offer_id)
        access = await access_group(uow.conn, actor=actor, code=offer.code, for_update=True)
        offer = await _pending_offer(uow, actor=actor, offer_id=offer_id)  # again, under the group's lock
        check_group_open(access.status)
        if access.role is None:
            raise NotFound("This offer is no longer valid", code=ErrorCode.OFFER_NOT_FOUND)
        current = (await current_versions(uow.conn)).get(DocumentKind.OWNER_DUTIES.value)
        if current is None or duties_version != current:
            raise Forbidden(
                "Read and accept the current group owner's duties notice first",
                code=ErrorCode.DUTIES_NOT_ACCEPTED,
                details={"kind": DocumentKind.OWNER_DUTIES.value, "version": current},
            )
        if offer.role == GroupRole.CREATOR.value:
            await _accept_ownership(uow, access, offer, duties=current, ctx=ctx, policy=policy)
        else:
            await _accept_manager(uow, access, offer, duties=current, ctx=ctx, policy=policy)
        await record_acceptance(uow, user_id=actor, kind=DocumentKind.OWNER_DUTIES.value, version=current, ctx=ctx)
        await uow.conn.execute(
            update(role_offers)
            .where(role_offers.c.id == offer_id)
            .values(status="accepted", decided_at=ctx.now, open_key=None)
        )
        view = await offer_view(uow, offer_id)
        await uow.commit()
    return view


async def decline_offer(db: Database, *, actor: int, offer_id: int, ctx: Ctx) -> OfferView:
    """The person offered a role declines it: nothing else changes."""
    async with db.uow() as uow:
        offer = await _pending_offer(uow, actor=actor, offer_id=offer_id)
        await uow.conn.execute(
            update(role_offers)
            .where(role_offers.c.id == offer_id, role_offers.c.status == PENDING)
            .values(status="declined", decided_at=ctx.now, open_key=None)
        )
        action = "group.transfer_decline" if offer.role == GroupRole.CREATOR.value else "group.manager_decline"
        await netlog.record(uow, ctx, action, Target.user(actor, group_id=offer.group_id), actor=actor, offer=offer_id)
        view = await offer_view(uow, offer_id)
        await uow.commit()
    return view


async def cancel_offer(db: Database, *, actor: int, code: str, offer_id: int, ctx: Ctx) -> OfferView:
    """The owner withdraws a pending offer of the manager role or of the group."""
    async with db.uow() as uow:
        access = await access_group_as_member(uow.conn, actor=actor, code=code)
        roles.check_can_manage_managers(access.require_member())
        await restrictions.check_tools(uow, actor, access.role, now=ctx.now)  # the owner role is frozen (R-11.2-1)
        row = (
            await uow.conn.execute(
                select(role_offers).where(
                    role_offers.c.id == offer_id, role_offers.c.group_id == access.id, role_offers.c.status == PENDING
                )
            )
        ).one_or_none()
        if row is None:
            raise NotFound("No such pending offer", code=ErrorCode.OFFER_NOT_FOUND)
        await uow.conn.execute(
            update(role_offers)
            .where(role_offers.c.id == offer_id)
            .values(status="cancelled", decided_at=ctx.now, open_key=None)
        )
        await netlog.record(
            uow, ctx, "group.offer_cancel", Target.user(row.user_id, group_id=access.id), actor=actor,
            offer=offer_id, role=row.role, actor_role=GroupRole.CREATOR.value,
        )  # fmt: skip
        view = await offer_view(uow, offer_id)
        await uow.commit()
    return view
