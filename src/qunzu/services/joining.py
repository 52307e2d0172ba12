"""How people come into a group (Art. 8 ¶3, R-8.3-3, R-8.1-3): by code, join requests and the managers' decisions.

Every way in (the code, an invite link, an accepted invitation) goes through `domain/admission.join_path`, which says
"a member at once" or "a request waits for the owner or a manager", and through the same two counted steps:

- `admit`: the membership row, the member count moved by a conditional UPDATE (`member_count < member_cap`), so the
  cap holds under any concurrency (R-8.1-1), and a joined place taken with `counters.take_joined` unless a pending
  request already holds one (R-8.1-3);
- `open_request`: a `join_requests` row whose `open_key` ("<group>:<user>", unique, cleared when decided) allows one
  open request or invitation per person and group; a request takes its joined place at once (pending requests
  count), an invitation only when it is accepted.

Someone who already has something open for the group and comes in another way is handled here too: a pending
invitation is answered by accepting it, not by joining with the code (`join_request_pending` names it); a request
that a link or a manager's invitation overtakes is closed and its place used for the membership.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from redis.exceptions import RedisError
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from qunzu import netlog
from qunzu.context import Ctx
from qunzu.domain import groups as rules
from qunzu.domain.admission import GroupFacts, Joiner, JoinPath, JoinVia, join_limit_error, join_path
from qunzu.domain.emergency import Action
from qunzu.domain.identity import check_verified
from qunzu.domain.limits import group_full_error
from qunzu.domain.policy import GroupPolicy, JoinMode
from qunzu.domain.roles import GroupRole
from qunzu.domain.throttle import Bucket
from qunzu.errors import Conflict, ErrorCode, NotFound, ValidationFailed
from qunzu.netlog import Target
from qunzu.services import counters, emergency, notices, restrictions
from qunzu.services.access import access_group
from qunzu.services.events import JoinRequestChanged, MembershipChanged
from qunzu.services.groups import group_view
from qunzu.services.throttle import Throttle, rate_limited
from qunzu.services.views import GroupView
from qunzu.storage.tables import groups, join_requests, memberships, users
from qunzu.storage.uow import Database, UnitOfWork

ANSWER_MAX = 200  # characters of an answer to the join question
REASON_MAX = 200  # characters of a manager's reason
NOTICE_DECIDED = "join_request_decided"
NOTICE_INVITED = "group_invitation"
NOTICE_ADDED = "group_added"  # invited and added at once
STAFF = frozenset({GroupRole.CREATOR, GroupRole.MANAGER})


@dataclass(frozen=True, slots=True)
class JoinRequestView:
    id: int
    group_code: str
    group_name: str
    user_id: int
    nickname: str
    kind: str  # request | invitation
    status: str
    answer: str
    reason: str | None
    created_at: datetime
    decided_at: datetime | None
    invited_by: int | None = None
    invited_by_nickname: str | None = None


@dataclass(frozen=True, slots=True)
class JoinOutcome:
    """What a way in gave: the group (as the person now sees it) and, when it waits, the open request."""

    group: GroupView
    request: JoinRequestView | None = None

    @property
    def code(self) -> str:
        return self.group.code


def ms(ctx: Ctx) -> int:
    return int(ctx.now.timestamp() * 1000)


def open_key(group_id: int, user_id: int) -> str:
    return f"{group_id}:{user_id}"


# --- the rate of joins (R-7.1-4, R-8.3-3) ---------------------------------------------------------------------------


async def take_join_rate(throttle: Throttle | None, *, user_id: int, policy: GroupPolicy, now: datetime) -> None:
    """Joins and join requests per person per hour (`policy.join_per_hour`), counted by the throttle's store
    (Redis when configured, else this process) like sign-in; refused with `rate_limited` and `retry_after_ms`."""
    if throttle is None:
        return
    bucket = Bucket(f"join:user:{user_id}", policy.join_per_hour, 3_600_000)
    try:
        wait = await throttle.store.hit([bucket], now_ms=int(now.timestamp() * 1000))
    except (RedisError, OSError):  # a broken store lets joins through (the caps still hold in the database)
        return
    if wait > 0:
        raise rate_limited(wait)


# --- facts ----------------------------------------------------------------------------------------------------------


async def group_row(uow: UnitOfWork, group_id: int) -> Any:
    return (await uow.conn.execute(select(groups).where(groups.c.id == group_id))).one()


def facts(row: Any) -> GroupFacts:
    return GroupFacts(
        member_count=row.member_count,
        member_cap=row.member_cap,
        join_mode=JoinMode(row.join_mode),
        join_question=row.join_question or "",
    )


async def joiner(uow: UnitOfWork, user_id: int, *, action: str = "join_group") -> Joiner:
    """The joiner's verification level and places joined; an unverified account may not join at all (D1)."""
    u = (
        await uow.conn.execute(select(users.c.verification_level, users.c.groups_joined).where(users.c.id == user_id))
    ).one()
    check_verified(u.verification_level, action=action)
    return Joiner(verification_level=u.verification_level, groups_joined=u.groups_joined)


async def nickname(uow: UnitOfWork, user_id: int) -> str:
    return (await uow.conn.execute(select(users.c.nickname).where(users.c.id == user_id))).scalar_one()


async def role_of(uow: UnitOfWork, group_id: int, user_id: int | None) -> GroupRole | None:
    if user_id is None:
        return None
    role = (
        await uow.conn.execute(
            select(memberships.c.role).where(memberships.c.group_id == group_id, memberships.c.user_id == user_id)
        )
    ).scalar_one_or_none()
    return GroupRole(role) if role else None


async def open_row(uow: UnitOfWork, group_id: int, user_id: int) -> Any:
    """The person's open request or invitation for the group, if any."""
    return (
        await uow.conn.execute(select(join_requests).where(join_requests.c.open_key == open_key(group_id, user_id)))
    ).one_or_none()


def pending_error(row: Any) -> Conflict:
    return Conflict(
        "You already have a pending join request or invitation for this group",
        code=ErrorCode.JOIN_REQUEST_PENDING,
        details={"kind": row.kind, "id": row.id},
    )


async def take_place(uow: UnitOfWork, user_id: int, policy: GroupPolicy) -> None:
    """One joined place for `user_id` (R-8.1-3), or `join_limit`."""
    if not await counters.take_joined(uow, user_id, maximum=policy.joined_max):
        raise join_limit_error(maximum=policy.joined_max)


# --- the two steps every way in ends with -------------------------------------------------------------------------


async def admit(
    uow: UnitOfWork,
    row: Any,
    user_id: int,
    *,
    ctx: Ctx,
    policy: GroupPolicy,
    via: str,
    actor: int,
    place_held: bool = False,
    **details: Any,
) -> GroupView:
    """Make `user_id` a member of the group `row`: the membership, the member count by a conditional UPDATE
    (`group_full` when no place is left), a joined place (unless a pending request holds one), the record and the
    live `member_joined` (which subscribes the joiner's open connections). Refused while the group's joins are
    frozen or the joiner is blacklisted (R-11.1-1, R-11.3-2)."""
    await restrictions.check_group_joinable(uow, row.id)  # joins_frozen
    await restrictions.check_may_join(uow, user_id)  # blacklisted
    if not place_held:
        await take_place(uow, user_id, policy)
    try:
        await uow.conn.execute(
            insert(memberships).values(group_id=row.id, user_id=user_id, role=GroupRole.MEMBER.value, joined_at=ctx.now)
        )
    except IntegrityError as exc:
        raise Conflict("You are already a member of this group", code=ErrorCode.ALREADY_MEMBER) from exc
    counted = (
        await uow.conn.execute(
            update(groups)
            .where(groups.c.id == row.id, groups.c.member_count < groups.c.member_cap, groups.c.status == "active")
            .values(member_count=groups.c.member_count + 1)
            .returning(groups)
        )
    ).one_or_none()
    if counted is None:
        raise group_full_error(cap=row.member_cap)
    await netlog.record(uow, ctx, "group.join", Target.user(user_id, group_id=row.id), actor=actor, via=via, **details)
    uow.collect(
        MembershipChanged(
            group_id=row.id,
            group_code=row.code,
            kind="member_joined",
            user={"id": user_id, "nickname": await nickname(uow, user_id)},
            role=GroupRole.MEMBER.value,
            member_count=counted.member_count,
            ts_ms=ms(ctx),
            last_seq=counted.last_seq,
        )
    )
    return group_view(counted, GroupRole.MEMBER)


async def open_request(
    uow: UnitOfWork,
    row: Any,
    user_id: int,
    *,
    kind: str,
    ctx: Ctx,
    policy: GroupPolicy,
    actor: int,
    answer: str = "",
    invited_by: int | None = None,
    link_id: int | None = None,
) -> JoinRequestView:
    """A pending request (it takes its joined place now) or invitation (its place is taken when accepted); none
    while the group's joins are frozen or the person is blacklisted (R-11.1-1, R-11.3-2)."""
    await restrictions.check_group_joinable(uow, row.id)  # joins_frozen
    if kind == "request":  # an invitee's standing is not the inviter's to learn: checked when they accept
        await restrictions.check_may_join(uow, user_id)  # blacklisted
    if kind == "request":
        await take_place(uow, user_id, policy)
    try:
        rid = (
            await uow.conn.execute(
                insert(join_requests)
                .values(
                    group_id=row.id,
                    user_id=user_id,
                    kind=kind,
                    invited_by=invited_by,
                    link_id=link_id,
                    answer=answer,
                    status="pending",
                    created_at=ctx.now,
                    open_key=open_key(row.id, user_id),
                )
                .returning(join_requests.c.id)
            )
        ).scalar_one()
    except IntegrityError as exc:  # a simultaneous request or invitation won
        raise Conflict(
            "There is already a pending join request or invitation for this group",
            code=ErrorCode.JOIN_REQUEST_PENDING,
        ) from exc
    action = "group.join_request" if kind == "request" else "group.invite"
    await netlog.record(
        uow,
        ctx,
        action,
        Target.user(user_id, group_id=row.id),
        actor=actor,
        request=rid,
        **({"invited_by": invited_by} if invited_by else {}),
        **({"link": link_id} if link_id else {}),
    )
    return await request_view(uow, rid)


async def close_row(
    uow: UnitOfWork, request_id: int, *, status: str, ctx: Ctx, decided_by: int | None, reason: str | None = None
) -> bool:
    """Close a pending request or invitation (only if still pending: two deciders never both win)."""
    done = await uow.conn.execute(
        update(join_requests)
        .where(join_requests.c.id == request_id, join_requests.c.status == "pending")
        .values(status=status, open_key=None, decided_at=ctx.now, decided_by=decided_by, reason=reason)
        .returning(join_requests.c.id)
    )
    return done.first() is not None


async def request_view(uow: UnitOfWork, request_id: int) -> JoinRequestView:
    inviter = users.alias("inviter")
    r = (
        await uow.conn.execute(
            select(
                join_requests,
                groups.c.code,
                groups.c.name,
                users.c.nickname,
                inviter.c.nickname.label("inviter_nickname"),
            )
            .join(groups, groups.c.id == join_requests.c.group_id)
            .join(users, users.c.id == join_requests.c.user_id)
            .outerjoin(inviter, inviter.c.id == join_requests.c.invited_by)
            .where(join_requests.c.id == request_id)
        )
    ).one()
    return _view(r)


def _view(r: Any) -> JoinRequestView:
    return JoinRequestView(
        id=r.id,
        group_code=r.code,
        group_name=r.name,
        user_id=r.user_id,
        nickname=r.nickname,
        kind=r.kind,
        status=r.status,
        answer=r.answer,
        reason=r.reason,
        created_at=r.created_at,
        decided_at=r.decided_at,
        invited_by=r.invited_by,
        invited_by_nickname=r.inviter_nickname,
    )


def tell(uow: UnitOfWork, row: Any, *, user_id: int, request_id: int | None, kind: str, status: str,
         reason: str | None, ctx: Ctx) -> None:  # fmt: skip
    """Tell the person concerned, live on their own connections."""
    uow.collect(JoinRequestChanged(user_id, row.id, row.code, row.name, request_id, kind, status, reason, ms(ctx)))


async def leave_notice(uow: UnitOfWork, row: Any, *, user_id: int, kind: str, ctx: Ctx, **details: Any) -> None:
    """An account notice (shown on the account page) about a request or invitation."""
    await notices.add_notice(
        uow, user_id=user_id, kind=kind, details={"group": row.code, "name": row.name, **details}, now=ctx.now
    )


# --- join by code -----------------------------------------------------------------------------------------------


def check_answer(answer: str, question: str) -> str:
    """A group with a join question needs an answer (`answer_required`), of at most ANSWER_MAX characters."""
    answer = answer.strip()
    if len(answer) > ANSWER_MAX:
        raise ValidationFailed(
            f"The answer is longer than {ANSWER_MAX} characters", details={"field": "answer", "max": ANSWER_MAX}
        )
    if question and not answer:
        raise ValidationFailed(
            "Answer the group's join question", code=ErrorCode.ANSWER_REQUIRED, details={"question": question}
        )
    return answer


async def join_by_code(
    db: Database,
    *,
    actor: int,
    code: str,
    ctx: Ctx,
    policy: GroupPolicy,
    answer: str = "",
    throttle: Throttle | None = None,
) -> JoinOutcome:
    """Join by the group code (R-8.3-3): at once in an open group while its size allows open joining, otherwise a
    join request waits for the owner or a manager (answering the join question if the group sets one); an
    invitation-only group refuses (`invitation_required`)."""
    await emergency.gate_code(db, Action.JOIN, actor=actor, code=code)  # emergency_stopped (R-5.1-4)
    await take_join_rate(throttle, user_id=actor, policy=policy, now=ctx.now)
    async with db.uow() as uow:
        access = await access_group(uow.conn, actor=actor, code=code)
        rules.check_can_join(status=access.status, already_member=access.role is not None)
        person = await joiner(uow, actor)
        row = await group_row(uow, access.id)
        pending = await open_row(uow, row.id, actor)
        if pending is not None:
            raise pending_error(pending)
        path = join_path(policy, facts(row), person, via=JoinVia.CODE)
        if path is JoinPath.DIRECT:
            view = await admit(uow, row, actor, ctx=ctx, policy=policy, via=JoinVia.CODE.value, actor=actor)
            await uow.commit()
            return JoinOutcome(view)
        text = check_answer(answer, row.join_question or "")
        request = await open_request(uow, row, actor, kind="request", ctx=ctx, policy=policy, actor=actor, answer=text)
        await uow.commit()
    return JoinOutcome(group_view(row, None), request)


# --- the requester's own requests -------------------------------------------------------------------------------


async def my_requests(db: Database, *, actor: int, kind: str = "request") -> list[JoinRequestView]:
    """My pending join requests (kind request) or invitations (kind invitation), newest first."""
    async with db.uow(write=False) as uow:
        ids = (
            await uow.conn.execute(
                select(join_requests.c.id)
                .where(
                    join_requests.c.user_id == actor,
                    join_requests.c.kind == kind,
                    join_requests.c.status == "pending",
                )
                .order_by(join_requests.c.id.desc())
                .limit(200)
            )
        ).scalars()
        return [await request_view(uow, i) for i in list(ids)]


async def my_pending_for(db: Database, *, actor: int, code: str) -> JoinRequestView | None:
    """My open request or invitation for one group (what its page shows a non-member)."""
    async with db.uow(write=False) as uow:
        access = await access_group(uow.conn, actor=actor, code=code)
        row = await open_row(uow, access.id, actor)
        return None if row is None else await request_view(uow, row.id)


async def join_question(db: Database, *, group_id: int) -> str:
    """The question a group asks joiners (empty: none)."""
    async with db.uow(write=False) as uow:
        stmt = select(groups.c.join_question).where(groups.c.id == group_id)
        return str((await uow.conn.execute(stmt)).scalar_one() or "")


async def withdraw_request(db: Database, *, actor: int, request_id: int, ctx: Ctx) -> None:
    """The requester withdraws their pending request; its joined place is given back."""
    async with db.uow() as uow:
        r = (
            await uow.conn.execute(
                select(join_requests).where(
                    join_requests.c.id == request_id,
                    join_requests.c.user_id == actor,
                    join_requests.c.kind == "request",
                )
            )
        ).one_or_none()
        if r is None:
            raise not_found()
        if not await close_row(uow, r.id, status="withdrawn", ctx=ctx, decided_by=actor):
            raise already_decided()
        await counters.release_joined(uow, actor)
        await netlog.record(
            uow, ctx, "group.join_request_withdraw", Target.user(actor, group_id=r.group_id), actor=actor, request=r.id
        )
        await uow.commit()


def not_found() -> NotFound:
    return NotFound("No such join request or invitation", code=ErrorCode.JOIN_REQUEST_NOT_FOUND)


def already_decided() -> Conflict:
    return Conflict("This request has already been decided", code=ErrorCode.ALREADY_DECIDED)


async def overtake_request(uow: UnitOfWork, pending: Any, *, ctx: Ctx, decided_by: int | None) -> bool:
    """Someone with an open request or invitation comes in another way (a link, a manager's invitation): close it.
    True when it was a request whose joined place the membership now uses."""
    if not await close_row(uow, pending.id, status="withdrawn", ctx=ctx, decided_by=decided_by, reason="joined"):
        raise already_decided()
    return bool(pending.kind == "request")


async def cancel_open_for_group(uow: UnitOfWork, group_id: int, *, ctx: Ctx, reason: str) -> int:
    """Close every open request and invitation of a group (it is dissolved or closed), giving the requests' joined
    places back. For the dissolve and close services; returns how many were closed."""
    rows = (
        await uow.conn.execute(
            update(join_requests)
            .where(join_requests.c.group_id == group_id, join_requests.c.status == "pending")
            .values(status="withdrawn", open_key=None, decided_at=ctx.now, reason=reason)
            .returning(join_requests.c.user_id, join_requests.c.kind)
        )
    ).all()
    for r in rows:
        if r.kind == "request":
            await counters.release_joined(uow, r.user_id)
    return len(rows)
