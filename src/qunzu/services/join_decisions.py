"""The owner's and managers' side of join requests (R-8.3-3): the pending list, the count on their pages, and the
decision (approve or refuse with a reason), which the requester is told live and by an account notice."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from qunzu import netlog
from qunzu.context import Ctx
from qunzu.domain import groups as rules
from qunzu.domain import roles
from qunzu.domain.policy import GroupPolicy
from qunzu.domain.roles import GroupAction
from qunzu.errors import ErrorCode, Forbidden, ValidationFailed
from qunzu.netlog import Target
from qunzu.services import counters, restrictions
from qunzu.services.access import access_group
from qunzu.services.joining import (
    NOTICE_DECIDED,
    REASON_MAX,
    JoinRequestView,
    admit,
    already_decided,
    close_row,
    group_row,
    leave_notice,
    not_found,
    request_view,
    tell,
)
from qunzu.storage.tables import join_requests, users
from qunzu.storage.uow import Database, UnitOfWork


async def _staff_access(uow: UnitOfWork, *, actor: int, code: str, action: GroupAction) -> Any:
    access = await access_group(uow.conn, actor=actor, code=code)
    roles.check_may(access.require_member(), action)
    return access


async def pending_requests(db: Database, *, actor: int, code: str) -> list[JoinRequestView]:
    """The group's pending join requests, oldest first, with nickname, answer and inviter (owner and managers)."""
    async with db.uow(write=False) as uow:
        access = await _staff_access(uow, actor=actor, code=code, action=GroupAction.DECIDE_JOIN_REQUESTS)
        ids = (
            await uow.conn.execute(
                select(join_requests.c.id)
                .where(
                    join_requests.c.group_id == access.id,
                    join_requests.c.kind == "request",
                    join_requests.c.status == "pending",
                )
                .order_by(join_requests.c.id)
                .limit(500)
            )
        ).scalars()
        return [await request_view(uow, i) for i in list(ids)]


async def pending_count(db: Database, *, group_id: int) -> int:
    """How many join requests wait in a group (the managers' badge)."""
    async with db.uow(write=False) as uow:
        stmt = select(func.count()).where(
            join_requests.c.group_id == group_id,
            join_requests.c.kind == "request",
            join_requests.c.status == "pending",
        )
        return int((await uow.conn.execute(stmt)).scalar_one())


def check_reason(reason: str | None) -> str | None:
    reason = (reason or "").strip()
    if len(reason) > REASON_MAX:
        raise ValidationFailed(
            f"The reason is longer than {REASON_MAX} characters", details={"field": "reason", "max": REASON_MAX}
        )
    return reason or None


async def decide_request(
    db: Database,
    *,
    actor: int,
    code: str,
    request_id: int,
    approve: bool,
    reason: str | None,
    ctx: Ctx,
    policy: GroupPolicy,
) -> JoinRequestView:
    """The owner or a manager approves or refuses a join request. Approval re-checks that the group is open, the
    joiner's verification level for its size, and (by the conditional UPDATE) that a place is free (`group_full`);
    the joined place is already held. Refusal gives the place back and keeps the reason. The requester is told live
    and by an account notice."""
    why = check_reason(reason)
    async with db.uow() as uow:
        access = await _staff_access(uow, actor=actor, code=code, action=GroupAction.DECIDE_JOIN_REQUESTS)
        await restrictions.check_tools(uow, actor, access.role, now=ctx.now)  # management_suspended (R-11.2-1)
        r = (
            await uow.conn.execute(
                select(join_requests).where(
                    join_requests.c.id == request_id,
                    join_requests.c.group_id == access.id,
                    join_requests.c.kind == "request",
                )
            )
        ).one_or_none()
        if r is None:
            raise not_found()
        if r.status != "pending":
            raise already_decided()
        row = await group_row(uow, access.id)
        status = "approved" if approve else "refused"
        if approve:
            rules.check_group_open(row.status)
            await _check_level_for_size(uow, r.user_id, row, policy)
        if not await close_row(uow, r.id, status=status, ctx=ctx, decided_by=actor, reason=why):
            raise already_decided()
        if approve:
            await admit(
                uow, row, r.user_id, ctx=ctx, policy=policy, via="request", actor=actor, place_held=True, request=r.id
            )
        else:
            await counters.release_joined(uow, r.user_id)
        await netlog.record(
            uow,
            ctx,
            "group.join_request_decision",
            Target.user(r.user_id, group_id=row.id),
            actor=actor,
            request=r.id,
            decision=status,
            reason=why,
        )
        await leave_notice(uow, row, user_id=r.user_id, kind=NOTICE_DECIDED, ctx=ctx, decision=status, reason=why)
        tell(uow, row, user_id=r.user_id, request_id=r.id, kind="request", status=status, reason=why, ctx=ctx)
        view = await request_view(uow, r.id)
        await uow.commit()
    return view


async def _check_level_for_size(uow: UnitOfWork, user_id: int, row: Any, policy: GroupPolicy) -> None:
    level = (await uow.conn.execute(select(users.c.verification_level).where(users.c.id == user_id))).scalar_one()
    if level < 2 and row.member_count > policy.join_verification_above:
        raise Forbidden(
            f"Groups above {policy.join_verification_above} members need real-name verification to join",
            code=ErrorCode.VERIFICATION_LEVEL_REQUIRED,
            details={"required_level": 2, "level": level, "above": policy.join_verification_above},
        )
