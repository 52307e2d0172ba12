"""Invitations, invite links and their QR codes (Art. 8 ¶3, R-8.3-3, S10, S11).

- An invitation comes from a member the group's invite rights allow (all members, or the owner and managers), whose
  credit level has the INVITE entitlement, to a verified person. Into a group above `invite_consent_above` members
  (40) it waits for the invitee's yes; into a smaller one it adds them at once. Either way the person comes in
  through `join_path(via=INVITATION)`, vouched when the inviter is the owner or a manager: in an approval group a
  member's invitation becomes a join request waiting for a manager (群聊邀请确认). Places are taken at acceptance.
- An invite link (and its QR code) is made by the owner or a manager with the SHARE_LINKS entitlement, in a tier
  whose policy allows links (not L/XL by default); it expires after `link_ttl_days` (7) and can be revoked. A join
  by link is vouched while the link's maker is still the owner or a manager.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import segno
from sqlalchemy import select, update

from qunzu import netlog
from qunzu.context import Ctx
from qunzu.domain import groups as rules
from qunzu.domain import roles
from qunzu.domain.accounts import normalise_username
from qunzu.domain.admission import (
    JoinPath,
    JoinVia,
    check_links_allowed,
    invitation_needs_consent,
    join_path,
)
from qunzu.domain.credit import Entitlement, check_entitlement
from qunzu.domain.emergency import Action
from qunzu.domain.group_stars import check_link_joins
from qunzu.domain.identity import check_verified
from qunzu.domain.policy import GroupPolicy
from qunzu.domain.roles import GroupAction
from qunzu.errors import Conflict, ErrorCode, Forbidden, NotFound, QunzuError
from qunzu.netlog import Target
from qunzu.services import credit, emergency, restrictions
from qunzu.services.access import access_group
from qunzu.services.groups import group_view
from qunzu.services.joining import (
    NOTICE_ADDED,
    NOTICE_DECIDED,
    NOTICE_INVITED,
    STAFF,
    JoinOutcome,
    JoinRequestView,
    admit,
    close_row,
    facts,
    group_row,
    joiner,
    leave_notice,
    my_requests,
    open_request,
    open_row,
    overtake_request,
    pending_error,
    role_of,
    take_join_rate,
    tell,
)
from qunzu.services.throttle import Throttle
from qunzu.storage.tables import invite_links, join_requests, users
from qunzu.storage.uow import Database, UnitOfWork


@dataclass(frozen=True, slots=True)
class InviteOutcome:
    status: str  # added (a member now) | invited (waits for the invitee) | requested (waits for a manager)
    user_id: int
    nickname: str
    request: JoinRequestView | None = None


@dataclass(frozen=True, slots=True)
class LinkView:
    id: int
    token: str
    group_code: str
    created_by: int
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    uses: int
    state: str  # active | expired | revoked


@dataclass(frozen=True, slots=True)
class LinkPreview:
    token: str
    group_code: str
    group_name: str
    category: str
    description: str
    member_count: int
    expires_at: datetime


async def _score(uow: UnitOfWork, user_id: int, now: datetime) -> int:
    return await credit.current_score(uow, user_id, now=now)


# --- invitations --------------------------------------------------------------------------------------------------


async def _invitee(uow: UnitOfWork, *, username: str | None, user_id: int | None) -> Any:
    stmt = select(users.c.id, users.c.nickname, users.c.verification_level, users.c.status)
    if user_id is not None:
        stmt = stmt.where(users.c.id == user_id)
    elif username:
        try:
            name = normalise_username(username)
        except QunzuError:
            raise NotFound("No user has this username", details={"field": "username"}) from None
        stmt = stmt.where(users.c.username == name)
    else:
        raise NotFound("No user has this username", details={"field": "username"})
    found = (await uow.conn.execute(stmt)).one_or_none()
    if found is None or found.status != "active":
        raise NotFound("No user has this username", details={"field": "username"})
    if found.verification_level < 1:
        raise Forbidden(
            "This person has not verified their identity and cannot be invited yet",
            code=ErrorCode.IDENTITY_UNVERIFIED,
            details={"field": "username", "required_level": 1},
        )
    return found


async def invite_user(
    db: Database,
    *,
    actor: int,
    code: str,
    ctx: Ctx,
    policy: GroupPolicy,
    username: str | None = None,
    user_id: int | None = None,
) -> InviteOutcome:
    """Invite a verified person into the group (R-8.3-3): above `invite_consent_above` members the invitation waits
    for the invitee's yes; otherwise they come in at once through the join gate (in an approval group, a member's
    invitation waits for a manager). The invitee is told live and by an account notice."""
    await emergency.gate_code(db, Action.JOIN, actor=actor, code=code)  # emergency_stopped (R-5.1-4)
    async with db.uow() as uow:
        access = await access_group(uow.conn, actor=actor, code=code)
        role = access.require_member()
        row = await group_row(uow, access.id)
        rules.check_group_open(row.status)
        roles.check_may(role, GroupAction.INVITE, invite_rights=row.invite_rights)
        if row.invite_rights == "managers":  # inviting is a manager's tool here (R-11.2-1)
            await restrictions.check_tools(uow, actor, role, now=ctx.now)
        inviter = (await uow.conn.execute(select(users.c.verification_level).where(users.c.id == actor))).scalar_one()
        check_verified(inviter, action="invite")
        check_entitlement(await _score(uow, actor, ctx.now), Entitlement.INVITE, policy=credit.POLICY)
        target = await _invitee(uow, username=username, user_id=user_id)
        if await role_of(uow, row.id, target.id) is not None:
            raise Conflict("This person is already a member", code=ErrorCode.ALREADY_MEMBER)
        vouched = role in STAFF
        pending = await open_row(uow, row.id, target.id)
        if pending is not None:
            if not (vouched and pending.kind == "request"):
                raise pending_error(pending)
            # the owner or a manager invites someone whose request waits: that is an approval
            outcome = await _admit_invited(uow, row, target, ctx=ctx, policy=policy, actor=actor, pending=pending)
            await uow.commit()
            return outcome
        if invitation_needs_consent(policy, row.member_count):
            request = await open_request(
                uow, row, target.id, kind="invitation", ctx=ctx, policy=policy, actor=actor, invited_by=actor
            )
            await leave_notice(uow, row, user_id=target.id, kind=NOTICE_INVITED, ctx=ctx, request=request.id)
            tell(uow, row, user_id=target.id, request_id=request.id, kind="invitation", status="pending",
                 reason=None, ctx=ctx)  # fmt: skip
            await uow.commit()
            return InviteOutcome("invited", target.id, target.nickname, request)
        path = join_path(policy, facts(row), await joiner(uow, target.id), via=JoinVia.INVITATION, vouched=vouched)
        if path is JoinPath.REQUEST:
            request = await open_request(
                uow, row, target.id, kind="request", ctx=ctx, policy=policy, actor=actor, invited_by=actor
            )
            await uow.commit()
            return InviteOutcome("requested", target.id, target.nickname, request)
        outcome = await _admit_invited(uow, row, target, ctx=ctx, policy=policy, actor=actor, pending=None)
        await uow.commit()
        return outcome


async def _admit_invited(
    uow: UnitOfWork, row: Any, target: Any, *, ctx: Ctx, policy: GroupPolicy, actor: int, pending: Any
) -> InviteOutcome:
    held = False
    if pending is not None:
        if not await close_row(uow, pending.id, status="approved", ctx=ctx, decided_by=actor, reason="invited"):
            raise Conflict("This request has already been decided", code=ErrorCode.ALREADY_DECIDED)
        held = True
    await admit(
        uow, row, target.id, ctx=ctx, policy=policy, via=JoinVia.INVITATION.value, actor=actor, place_held=held,
        invited_by=actor,
    )  # fmt: skip
    await netlog.record(uow, ctx, "group.invite", Target.user(target.id, group_id=row.id), actor=actor, added=True)
    kind = NOTICE_DECIDED if pending is not None else NOTICE_ADDED
    await leave_notice(uow, row, user_id=target.id, kind=kind, ctx=ctx, decision="added")
    tell(uow, row, user_id=target.id, request_id=pending.id if pending is not None else None, kind="invitation",
         status="added", reason=None, ctx=ctx)  # fmt: skip
    return InviteOutcome("added", target.id, target.nickname)


async def my_invitations(db: Database, *, actor: int) -> list[JoinRequestView]:
    """My pending invitations, newest first."""
    return await my_requests(db, actor=actor, kind="invitation")


async def answer_invitation(
    db: Database,
    *,
    actor: int,
    invitation_id: int,
    accept: bool,
    ctx: Ctx,
    policy: GroupPolicy,
    throttle: Throttle | None = None,
) -> JoinOutcome | None:
    """The invitee accepts (through the join gate, vouched while the inviter is the owner or a manager; the joined
    place is taken now) or declines an invitation. None when declined."""
    if accept:
        await take_join_rate(throttle, user_id=actor, policy=policy, now=ctx.now)
    async with db.uow() as uow:
        inv = (
            await uow.conn.execute(
                select(join_requests).where(
                    join_requests.c.id == invitation_id,
                    join_requests.c.user_id == actor,
                    join_requests.c.kind == "invitation",
                )
            )
        ).one_or_none()
        if inv is None:
            raise NotFound("No such invitation", code=ErrorCode.JOIN_REQUEST_NOT_FOUND)
        if inv.status != "pending":
            raise Conflict("This invitation has already been answered", code=ErrorCode.ALREADY_DECIDED)
        row = await group_row(uow, inv.group_id)
        if accept:  # emergency_stopped (R-5.1-4); declining is never stopped
            await emergency.gate(db, Action.JOIN, actor=actor, group_id=row.id, category=row.category)
        status = "accepted" if accept else "declined"
        if not await close_row(uow, inv.id, status=status, ctx=ctx, decided_by=actor):
            raise Conflict("This invitation has already been answered", code=ErrorCode.ALREADY_DECIDED)
        target = Target.user(actor, group_id=row.id)
        if not accept:
            await netlog.record(uow, ctx, "group.invitation_decline", target, actor=actor, request=inv.id)
            await uow.commit()
            return None
        rules.check_can_join(status=row.status, already_member=await role_of(uow, row.id, actor) is not None)
        person = await joiner(uow, actor)
        vouched = await role_of(uow, row.id, inv.invited_by) in STAFF
        path = join_path(policy, facts(row), person, via=JoinVia.INVITATION, vouched=vouched)
        await netlog.record(uow, ctx, "group.invitation_accept", target, actor=actor, request=inv.id)
        if path is JoinPath.REQUEST:
            request = await open_request(
                uow, row, actor, kind="request", ctx=ctx, policy=policy, actor=actor, invited_by=inv.invited_by
            )
            await uow.commit()
            return JoinOutcome(group_view(row, None), request)
        view = await admit(
            uow, row, actor, ctx=ctx, policy=policy, via=JoinVia.INVITATION.value, actor=actor,
            invited_by=inv.invited_by, request=inv.id,
        )  # fmt: skip
        await uow.commit()
        return JoinOutcome(view)


# --- invite links and QR codes --------------------------------------------------------------------------------------


def _state(r: Any, now: datetime) -> str:
    if r.revoked_at is not None:
        return "revoked"
    return "expired" if r.expires_at <= now else "active"


def _link(r: Any, code: str, now: datetime) -> LinkView:
    return LinkView(
        id=r.id,
        token=r.token,
        group_code=code,
        created_by=r.created_by,
        created_at=r.created_at,
        expires_at=r.expires_at,
        revoked_at=r.revoked_at,
        uses=r.uses,
        state=_state(r, now),
    )


async def create_link(db: Database, *, actor: int, code: str, ctx: Ctx, policy: GroupPolicy) -> LinkView:
    """The owner or a manager makes an invite link (and QR code) that expires after `link_ttl_days` (S11); refused
    in tiers whose policy disables links (`links_disabled`) and below the SHARE_LINKS credit level."""
    async with db.uow() as uow:
        access = await access_group(uow.conn, actor=actor, code=code)
        roles.check_may(access.require_member(), GroupAction.MANAGE_LINKS)
        await restrictions.check_tools(uow, actor, access.role, now=ctx.now)  # management_suspended (R-11.2-1)
        row = await group_row(uow, access.id)
        rules.check_group_open(row.status)
        check_links_allowed(policy, row.member_count)
        check_link_joins(row.stars)  # three stars or fewer (group rules Art. 37)
        check_entitlement(await _score(uow, actor, ctx.now), Entitlement.SHARE_LINKS, policy=credit.POLICY)
        expires = ctx.now + timedelta(days=policy.link_ttl_days)
        r = (
            await uow.conn.execute(
                invite_links.insert()
                .values(
                    group_id=row.id,
                    token=secrets.token_urlsafe(16),
                    created_by=actor,
                    created_at=ctx.now,
                    expires_at=expires,
                    uses=0,
                )
                .returning(invite_links)
            )
        ).one()
        await netlog.record(
            uow, ctx, "group.link_create", Target.group(row.id, row.code), actor=actor, link=r.id,
            expires_at=expires.isoformat(),
        )  # fmt: skip
        await uow.commit()
    return _link(r, row.code, ctx.now)


async def list_links(db: Database, *, actor: int, code: str, now: datetime) -> list[LinkView]:
    """The group's invite links, newest first, with their uses, expiry and state (owner and managers)."""
    async with db.uow(write=False) as uow:
        access = await access_group(uow.conn, actor=actor, code=code)
        roles.check_may(access.require_member(), GroupAction.MANAGE_LINKS)
        rows = await uow.conn.execute(
            select(invite_links)
            .where(invite_links.c.group_id == access.id)
            .order_by(invite_links.c.id.desc())
            .limit(100)
        )
        return [_link(r, access.code, now) for r in rows]


async def revoke_link(db: Database, *, actor: int, code: str, link_id: int, ctx: Ctx) -> LinkView:
    """The owner or a manager revokes a link: it stops working at once."""
    async with db.uow() as uow:
        access = await access_group(uow.conn, actor=actor, code=code)
        roles.check_may(access.require_member(), GroupAction.MANAGE_LINKS)
        await restrictions.check_tools(uow, actor, access.role, now=ctx.now)  # management_suspended (R-11.2-1)
        r = (
            await uow.conn.execute(
                select(invite_links).where(invite_links.c.id == link_id, invite_links.c.group_id == access.id)
            )
        ).one_or_none()
        if r is None:
            raise NotFound("No such invite link", code=ErrorCode.INVITE_NOT_FOUND)
        if r.revoked_at is None:
            r = (
                await uow.conn.execute(
                    update(invite_links)
                    .where(invite_links.c.id == link_id)
                    .values(revoked_at=ctx.now, revoked_by=actor)
                    .returning(invite_links)
                )
            ).one()
            await netlog.record(uow, ctx, "group.link_revoke", Target.group(access.id, access.code), actor=actor,
                                link=link_id)  # fmt: skip
        await uow.commit()
    return _link(r, access.code, ctx.now)


async def _usable_link(uow: UnitOfWork, token: str, now: datetime) -> Any:
    if not token or len(token) > 64:
        raise NotFound("This invite link is not valid", code=ErrorCode.INVITE_NOT_FOUND)
    r = (await uow.conn.execute(select(invite_links).where(invite_links.c.token == token))).one_or_none()
    if r is None:
        raise NotFound("This invite link is not valid", code=ErrorCode.INVITE_NOT_FOUND)
    state = _state(r, now)
    if state == "revoked":
        raise Conflict("This invite link has been revoked", code=ErrorCode.INVITE_REVOKED)
    if state == "expired":
        raise Conflict(
            "This invite link has expired",
            code=ErrorCode.INVITE_EXPIRED,
            details={"expired_at": r.expires_at.isoformat()},
        )
    return r


async def preview_link(db: Database, *, token: str, now: datetime) -> LinkPreview:
    """What a link shows before joining: the group's name, code, category, description, member count and when the
    link expires (`invite_not_found`, `invite_expired`, `invite_revoked`, or the group's tombstone)."""
    async with db.uow(write=False) as uow:
        link = await _usable_link(uow, token, now)
        row = await group_row(uow, link.group_id)
    rules.check_group_open(row.status)
    return LinkPreview(
        token=token,
        group_code=row.code,
        group_name=row.name,
        category=row.category,
        description=row.description,
        member_count=row.member_count,
        expires_at=link.expires_at,
    )


async def join_by_link(
    db: Database, *, actor: int, token: str, ctx: Ctx, policy: GroupPolicy, throttle: Throttle | None = None
) -> JoinOutcome:
    """Join through an invite link or its QR code: the join gate with `via=LINK`, vouched while the link's maker is
    still the owner or a manager; the link must still be allowed for the group's current size. Counts the use."""
    await take_join_rate(throttle, user_id=actor, policy=policy, now=ctx.now)
    async with db.uow() as uow:
        link = await _usable_link(uow, token, ctx.now)
        row = await group_row(uow, link.group_id)
        await emergency.gate(db, Action.JOIN, actor=actor, group_id=row.id, category=row.category)  # R-5.1-4
        rules.check_can_join(status=row.status, already_member=await role_of(uow, row.id, actor) is not None)
        check_links_allowed(policy, row.member_count)
        check_link_joins(row.stars)
        person = await joiner(uow, actor)
        vouched = await role_of(uow, row.id, link.created_by) in STAFF
        path = join_path(policy, facts(row), person, via=JoinVia.LINK, vouched=vouched)
        pending = await open_row(uow, row.id, actor)
        if path is JoinPath.REQUEST:
            if pending is not None:
                raise pending_error(pending)
            request = await open_request(
                uow, row, actor, kind="request", ctx=ctx, policy=policy, actor=actor, link_id=link.id
            )
            result = JoinOutcome(group_view(row, None), request)
        else:
            held = await overtake_request(uow, pending, ctx=ctx, decided_by=actor) if pending is not None else False
            view = await admit(
                uow, row, actor, ctx=ctx, policy=policy, via=JoinVia.LINK.value, actor=actor, place_held=held,
                link=link.id,
            )  # fmt: skip
            result = JoinOutcome(view)
        await uow.conn.execute(
            update(invite_links).where(invite_links.c.id == link.id).values(uses=invite_links.c.uses + 1)
        )
        await uow.commit()
    return result


def qr_svg(url: str, *, scale: int = 4) -> str:
    """The QR code of a link's full URL as inline SVG (no image file, no JavaScript)."""
    return str(segno.make(url, error="m").svg_inline(scale=scale, dark="#1f2937", light="#ffffff"))
