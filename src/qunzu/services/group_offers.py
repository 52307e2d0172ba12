"""Role offers (R-9.1-1, R-9.1-2): the `role_offers` rows behind an appointment or a transfer, how they are read,
and the pieces the group tools share (who someone is in a group, the system line a tool collects).

An offer is pending until its person accepts or declines it, the owner withdraws it, or it ends by itself (the person
leaves or is removed, a newer offer replaces it, the group is dissolved, the account is cancelled). `open_key`
("<group>:<user>", unique, cleared when the offer ends) holds one pending offer per person and group.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update

from qunzu.context import Ctx
from qunzu.domain import roles
from qunzu.domain.roles import GroupAction, GroupRole
from qunzu.errors import ErrorCode, NotFound
from qunzu.services.access import GroupAccess, access_group_as_member
from qunzu.services.events import GroupActivity
from qunzu.services.groups import _ms
from qunzu.storage.tables import groups, memberships, role_offers, users
from qunzu.storage.uow import Database, UnitOfWork

PENDING = "pending"


@dataclass(frozen=True, slots=True)
class OfferView:
    id: int
    group_code: str
    group_name: str
    role: GroupRole  # manager, or creator (the group is being transferred)
    user_id: int
    user_nickname: str
    offered_by: int | None
    offered_by_nickname: str | None
    status: str
    created_at: datetime
    decided_at: datetime | None


# --- shared pieces ---------------------------------------------------------------------------------------------


async def person(uow: UnitOfWork, group_id: int, user_id: int | None) -> dict[str, Any] | None:
    """{"id", "nickname", "role"} of someone as a group's system line and log show them (role None: not a member)."""
    if user_id is None:
        return None
    row = (
        await uow.conn.execute(
            select(users.c.nickname, memberships.c.role)
            .select_from(
                users.outerjoin(
                    memberships, (memberships.c.user_id == users.c.id) & (memberships.c.group_id == group_id)
                )
            )
            .where(users.c.id == user_id)
        )
    ).one()
    return {"id": user_id, "nickname": row.nickname, "role": row.role}


async def activity(
    uow: UnitOfWork,
    access: GroupAccess,
    kind: str,
    ctx: Ctx,
    *,
    actor: int | None,
    target: int | None = None,
    **details: Any,
) -> None:
    """Collect the system line members see for a tool's use (sent after commit)."""
    uow.collect(
        GroupActivity(
            group_id=access.id,
            group_code=access.code,
            kind=kind,
            actor=await person(uow, access.id, actor),
            target=await person(uow, access.id, target),
            details=details,
            ts_ms=_ms(ctx),
        )
    )


async def target_role(uow: UnitOfWork, access: GroupAccess, user_id: int) -> GroupRole:
    role = (
        await uow.conn.execute(
            select(memberships.c.role).where(memberships.c.group_id == access.id, memberships.c.user_id == user_id)
        )
    ).scalar_one_or_none()
    if role is None:
        raise NotFound("That user is not a member of this group", code=ErrorCode.MEMBER_NOT_FOUND)
    return GroupRole(role)


async def close_open(uow: UnitOfWork, group_id: int, user_id: int, *, status: str, now: datetime) -> None:
    """End the pending offer, if any, of one person in one group (superseded, or they left)."""
    await uow.conn.execute(
        update(role_offers)
        .where(role_offers.c.open_key == f"{group_id}:{user_id}")
        .values(status=status, decided_at=now, open_key=None)
    )


async def new_offer(
    uow: UnitOfWork, access: GroupAccess, *, user_id: int, role: GroupRole, actor: int, ctx: Ctx
) -> int:
    await close_open(uow, access.id, user_id, status="cancelled", now=ctx.now)
    return int(
        (
            await uow.conn.execute(
                insert(role_offers)
                .values(
                    group_id=access.id,
                    user_id=user_id,
                    role=role.value,
                    offered_by=actor,
                    status=PENDING,
                    created_at=ctx.now,
                    open_key=f"{access.id}:{user_id}",
                )
                .returning(role_offers.c.id)
            )
        ).scalar_one()
    )


def _offers_query() -> Any:
    offeree = users.alias("offeree")
    offerer = users.alias("offerer")
    return (
        select(
            role_offers,
            groups.c.code.label("group_code"),
            groups.c.name.label("group_name"),
            offeree.c.nickname.label("user_nickname"),
            offerer.c.nickname.label("offered_by_nickname"),
        )
        .join(groups, groups.c.id == role_offers.c.group_id)
        .join(offeree, offeree.c.id == role_offers.c.user_id)
        .outerjoin(offerer, offerer.c.id == role_offers.c.offered_by)
    )


def _offer_view(r: Any) -> OfferView:
    return OfferView(
        id=r.id,
        group_code=r.group_code,
        group_name=r.group_name,
        role=GroupRole(r.role),
        user_id=r.user_id,
        user_nickname=r.user_nickname,
        offered_by=r.offered_by,
        offered_by_nickname=r.offered_by_nickname,
        status=r.status,
        created_at=r.created_at,
        decided_at=r.decided_at,
    )


async def offer_view(uow: UnitOfWork, offer_id: int) -> OfferView:
    row = (await uow.conn.execute(_offers_query().where(role_offers.c.id == offer_id))).one()
    return _offer_view(row)


async def my_offers(db: Database, *, actor: int) -> list[OfferView]:
    """Offers waiting for my answer, newest first (in open groups only)."""
    async with db.uow(write=False) as uow:
        rows = await uow.conn.execute(
            _offers_query()
            .where(role_offers.c.user_id == actor, role_offers.c.status == PENDING, groups.c.status == "active")
            .order_by(role_offers.c.id.desc())
        )
        return [_offer_view(r) for r in rows]


async def group_offers(db: Database, *, actor: int, code: str) -> list[OfferView]:
    """A group's pending offers, for its owner and managers (newest first)."""
    async with db.uow(write=False) as uow:
        access = await access_group_as_member(uow.conn, actor=actor, code=code)
        roles.check_may(access.require_member(), GroupAction.VIEW_LOG)
        rows = await uow.conn.execute(
            _offers_query()
            .where(role_offers.c.group_id == access.id, role_offers.c.status == PENDING)
            .order_by(role_offers.c.id.desc())
        )
        return [_offer_view(r) for r in rows]
