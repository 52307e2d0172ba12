"""The chat controls of a group's owner and managers (R-9.3-1): mute all, slow mode, pins, the keyword filter and
its held messages.

Each control checks the permission matrix (domain/roles.py: owner ✓, manager ✓, member `forbidden_role`), changes
the group in one transaction with its operation record (`group.<action>`, shown in the group's log) and collects
the system line members see (`GroupActivity`). The posting path enforces mute-all and slow mode
(services/posting/plan.py) and holds a message that matches one of the group's keywords (`review_state`
`group_held`, no sequence number: its author sees it pending, as a platform hold). The platform's own review runs
first and wins: a message it blocks or holds never reaches the group's queue. Approving a held message publishes
it then, with the next sequence number; rejecting it keeps its content (records are kept) and tells its author.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update

from qunzu import netlog
from qunzu.context import Ctx
from qunzu.domain import chat_controls as rules
from qunzu.domain.groups import check_group_open
from qunzu.domain.roles import GroupAction, GroupRole, check_may
from qunzu.errors import Conflict, ErrorCode, NotFound
from qunzu.netlog import Target
from qunzu.services import restrictions
from qunzu.services.access import GroupAccess, access_group_as_member
from qunzu.services.events import MessagePosted, ReviewDecided
from qunzu.services.group_offers import activity
from qunzu.services.messages import message_payload, stored_view
from qunzu.services.views import MessageView
from qunzu.storage.tables import group_keywords, group_pins, groups, memberships, messages, review_items, users
from qunzu.storage.uow import Database, UnitOfWork


@dataclass(frozen=True, slots=True)
class ChatControls:
    """What the chat-settings page and the API show of a group's chat controls."""

    mute_all: bool
    slow_mode_seconds: int
    pins: int


@dataclass(frozen=True, slots=True)
class Pin:
    message: MessageView
    pinned_by: int
    pinned_by_nickname: str
    pinned_at: datetime


@dataclass(frozen=True, slots=True)
class Keyword:
    term: str
    added_by: int
    added_at: datetime


@dataclass(frozen=True, slots=True)
class HeldMessage:
    message: MessageView
    held_at: datetime


def _ms(ctx: Ctx) -> int:
    return int(ctx.now.timestamp() * 1000)


async def _staff(
    uow: UnitOfWork, *, actor: int, code: str, action: GroupAction, open_only: bool = True, now: datetime | None = None
) -> GroupAccess:
    """The group, if `actor` may use `action` in it (member: `forbidden_role`; not a member: `not_member`); with
    `now` (a change), the actor's management rights not suspended (`management_suspended`, R-11.2-1)."""
    access = await access_group_as_member(uow.conn, actor=actor, code=code)
    check_may(access.require_member(), action)
    if now is not None:
        await restrictions.check_tools(uow, actor, access.role, now=now)
    if open_only:
        check_group_open(access.status)
    return access


async def chat_controls(db: Database, *, actor: int, code: str) -> ChatControls:
    """The group's chat controls as they stand (any member may read them: the composer shows them)."""
    async with db.uow(write=False) as uow:
        access = await access_group_as_member(uow.conn, actor=actor, code=code)
        row = (
            await uow.conn.execute(
                select(groups.c.mute_all, groups.c.slow_mode_seconds).where(groups.c.id == access.id)
            )
        ).one()
        pins = (
            await uow.conn.execute(
                select(func.count()).select_from(group_pins).where(group_pins.c.group_id == access.id)
            )
        ).scalar_one()
        return ChatControls(bool(row.mute_all), row.slow_mode_seconds, pins)


async def set_mute_all(db: Database, *, actor: int, code: str, on: bool, ctx: Ctx) -> ChatControls:
    """Switch mute-all (全员禁言) on or off: ordinary members post nothing while it is on."""
    async with db.uow() as uow:
        access = await _staff(uow, actor=actor, code=code, action=GroupAction.MUTE_ALL, now=ctx.now)
        old = (await uow.conn.execute(select(groups.c.mute_all).where(groups.c.id == access.id))).scalar_one()
        if bool(old) != on:
            await uow.conn.execute(update(groups).where(groups.c.id == access.id).values(mute_all=on))
            await netlog.record(
                uow, ctx, "group.mute_all", Target.group(access.id, access.code), actor=actor, old=bool(old), new=on
            )
            await activity(uow, access, "mute_all_on" if on else "mute_all_off", ctx, actor=actor)
        await uow.commit()
    return await chat_controls(db, actor=actor, code=code)


async def set_slow_mode(db: Database, *, actor: int, code: str, seconds: int, ctx: Ctx) -> ChatControls:
    """Slow mode: ordinary members post one message per `seconds` (10–3600; 0 switches it off)."""
    seconds = rules.check_slow_mode_seconds(seconds)
    async with db.uow() as uow:
        access = await _staff(uow, actor=actor, code=code, action=GroupAction.SLOW_MODE, now=ctx.now)
        old = (await uow.conn.execute(select(groups.c.slow_mode_seconds).where(groups.c.id == access.id))).scalar_one()
        if old != seconds:
            await uow.conn.execute(update(groups).where(groups.c.id == access.id).values(slow_mode_seconds=seconds))
            await netlog.record(
                uow, ctx, "group.slow_mode", Target.group(access.id, access.code), actor=actor, old=old, new=seconds
            )
            await activity(uow, access, "slow_mode", ctx, actor=actor, seconds=seconds)
        await uow.commit()
    return await chat_controls(db, actor=actor, code=code)


# --- pins ----------------------------------------------------------------------------------------------------------


async def _published(uow: UnitOfWork, access: GroupAccess, message_id: int) -> Any:
    row = (
        await uow.conn.execute(
            select(messages).where(
                messages.c.id == message_id,
                messages.c.group_id == access.id,
                messages.c.seq.is_not(None),
                messages.c.deleted_at.is_(None),
            )
        )
    ).one_or_none()
    if row is None:
        raise NotFound("No such message in this group", code=ErrorCode.MESSAGE_NOT_FOUND)
    return row


async def pin_message(db: Database, *, actor: int, code: str, message_id: int, ctx: Ctx) -> list[Pin]:
    """Pin a published message (at most 10 per group; pinning one already pinned changes nothing)."""
    async with db.uow() as uow:
        access = await _staff(uow, actor=actor, code=code, action=GroupAction.PIN, now=ctx.now)
        if uow.dialect == "postgresql":  # the cap holds under simultaneous pins: one pinner per group at a time
            await uow.conn.execute(select(groups.c.id).where(groups.c.id == access.id).with_for_update())
        row = await _published(uow, access, message_id)
        pinned = set(
            (await uow.conn.execute(select(group_pins.c.message_id).where(group_pins.c.group_id == access.id)))
            .scalars()
            .all()
        )
        if message_id not in pinned:
            rules.check_pins_cap(len(pinned))
            await uow.conn.execute(
                insert(group_pins).values(group_id=access.id, message_id=message_id, pinned_by=actor, pinned_at=ctx.now)
            )
            await netlog.record(
                uow, ctx, "group.pin", Target.message(message_id, group_id=access.id), actor=actor, seq=row.seq
            )
            await activity(uow, access, "pinned", ctx, actor=actor, target=row.sender_id, message_id=message_id,
                           seq=row.seq, excerpt=(row.text or "")[:60])  # fmt: skip
        await uow.commit()
    return await list_pins(db, actor=actor, code=code)


async def unpin_message(db: Database, *, actor: int, code: str, message_id: int, ctx: Ctx) -> list[Pin]:
    """Take a message off the pins."""
    async with db.uow() as uow:
        access = await _staff(uow, actor=actor, code=code, action=GroupAction.PIN, open_only=False, now=ctx.now)
        done = await uow.conn.execute(
            delete(group_pins).where(group_pins.c.group_id == access.id, group_pins.c.message_id == message_id)
        )
        if not done.rowcount:
            raise NotFound("This message is not pinned", code=ErrorCode.MESSAGE_NOT_FOUND)
        await netlog.record(uow, ctx, "group.unpin", Target.message(message_id, group_id=access.id), actor=actor)
        await activity(uow, access, "unpinned", ctx, actor=actor, message_id=message_id)
        await uow.commit()
    return await list_pins(db, actor=actor, code=code)


async def list_pins(db: Database, *, actor: int, code: str) -> list[Pin]:
    """The group's pinned messages, newest pin first (any member sees them; deleted messages drop out)."""
    pinners = users.alias("pinners")
    async with db.uow(write=False) as uow:
        access = await access_group_as_member(uow.conn, actor=actor, code=code)
        rows = await uow.conn.execute(
            select(
                messages,
                memberships.c.role.label("sender_role"),
                group_pins.c.pinned_by,
                group_pins.c.pinned_at,
                pinners.c.nickname.label("pinner_nickname"),
            )
            .select_from(
                group_pins.join(messages, messages.c.id == group_pins.c.message_id)
                .join(pinners, pinners.c.id == group_pins.c.pinned_by)
                .outerjoin(
                    memberships,
                    (memberships.c.group_id == messages.c.group_id) & (memberships.c.user_id == messages.c.sender_id),
                )
            )
            .where(group_pins.c.group_id == access.id, messages.c.deleted_at.is_(None))
            .order_by(group_pins.c.pinned_at.desc(), group_pins.c.message_id.desc())
        )
        return [
            Pin(
                stored_view(r, access.code, GroupRole(r.sender_role) if r.sender_role else None),
                r.pinned_by,
                r.pinner_nickname,
                r.pinned_at,
            )
            for r in rows
        ]


# --- the group keyword filter ----------------------------------------------------------------------------------------


async def list_keywords(db: Database, *, actor: int, code: str) -> list[Keyword]:
    """The group's keyword list (the owner and managers only: members do not see what is filtered)."""
    async with db.uow(write=False) as uow:
        access = await _staff(uow, actor=actor, code=code, action=GroupAction.KEYWORDS, open_only=False)
        rows = await uow.conn.execute(
            select(group_keywords).where(group_keywords.c.group_id == access.id).order_by(group_keywords.c.id)
        )
        return [Keyword(r.term, r.added_by, r.added_at) for r in rows]


async def add_keyword(db: Database, *, actor: int, code: str, term: str, normalize: Any, ctx: Ctx) -> list[Keyword]:
    """Add a term (1–64 characters; at most 100 per group). Matched after the review engine's normalisation, so
    full-width, case and traditional characters match too. Adding a term already listed changes nothing."""
    term = rules.check_keyword(term, normalize(term.strip()))
    async with db.uow() as uow:
        access = await _staff(uow, actor=actor, code=code, action=GroupAction.KEYWORDS, now=ctx.now)
        if uow.dialect == "postgresql":
            await uow.conn.execute(select(groups.c.id).where(groups.c.id == access.id).with_for_update())
        terms = list(
            (await uow.conn.execute(select(group_keywords.c.term).where(group_keywords.c.group_id == access.id)))
            .scalars()
            .all()
        )
        if term not in terms:
            rules.check_keywords_cap(len(terms))
            await uow.conn.execute(
                insert(group_keywords).values(group_id=access.id, term=term, added_by=actor, added_at=ctx.now)
            )
            await netlog.record(
                uow, ctx, "group.keyword_add", Target.group(access.id, access.code), actor=actor, term=term
            )
        await uow.commit()
    return await list_keywords(db, actor=actor, code=code)


async def remove_keyword(db: Database, *, actor: int, code: str, term: str, ctx: Ctx) -> list[Keyword]:
    """Take a term off the group's list."""
    async with db.uow() as uow:
        access = await _staff(uow, actor=actor, code=code, action=GroupAction.KEYWORDS, open_only=False, now=ctx.now)
        done = await uow.conn.execute(
            delete(group_keywords).where(group_keywords.c.group_id == access.id, group_keywords.c.term == term.strip())
        )
        if not done.rowcount:
            raise NotFound("This keyword is not on the list")
        await netlog.record(
            uow, ctx, "group.keyword_remove", Target.group(access.id, access.code), actor=actor, term=term.strip()
        )
        await uow.commit()
    return await list_keywords(db, actor=actor, code=code)


async def held_messages(db: Database, *, actor: int, code: str, limit: int = 100) -> list[HeldMessage]:
    """Messages the group's keyword list holds, oldest first, for the owner and managers to decide."""
    async with db.uow(write=False) as uow:
        access = await _staff(uow, actor=actor, code=code, action=GroupAction.KEYWORDS, open_only=False)
        rows = await uow.conn.execute(
            select(messages, memberships.c.role.label("sender_role"))
            .select_from(
                messages.outerjoin(
                    memberships,
                    (memberships.c.group_id == messages.c.group_id) & (memberships.c.user_id == messages.c.sender_id),
                )
            )
            .where(messages.c.group_id == access.id, messages.c.review_state == "group_held")
            .order_by(messages.c.id)
            .limit(limit)
        )
        out = []
        for r in rows:
            view = stored_view(r, access.code, GroupRole(r.sender_role) if r.sender_role else None)
            out.append(HeldMessage(view, r.created_at))
        return out


async def decide_held(
    db: Database, *, actor: int, code: str, message_id: int, approve: bool, reason: str | None, ctx: Ctx
) -> MessageView:
    """Approve (published now, with the next sequence number) or reject (not published; its content is kept) a
    message the group's keyword list held. Its author is told either way."""
    reason = (reason or "").strip()[:200] or None
    async with db.uow() as uow:
        access = await _staff(uow, actor=actor, code=code, action=GroupAction.KEYWORDS, now=ctx.now)
        stmt = select(groups.c.last_seq).where(groups.c.id == access.id)
        if uow.dialect == "postgresql":
            stmt = stmt.with_for_update()
        last_seq = (await uow.conn.execute(stmt)).scalar_one()
        msg = (
            await uow.conn.execute(
                select(messages).where(messages.c.id == message_id, messages.c.group_id == access.id)
            )
        ).one_or_none()
        if msg is None:
            raise NotFound("No such message in this group", code=ErrorCode.MESSAGE_NOT_FOUND)
        if msg.review_state != "group_held":
            raise Conflict("This message has already been decided", code=ErrorCode.ALREADY_DECIDED)
        role = (
            await uow.conn.execute(
                select(memberships.c.role).where(
                    memberships.c.group_id == access.id, memberships.c.user_id == msg.sender_id
                )
            )
        ).scalar_one_or_none()
        seq: int | None = None
        if approve:
            seq = last_seq + 1
            flagged = (
                await uow.conn.execute(
                    select(func.count())
                    .select_from(review_items)
                    .where(
                        review_items.c.kind == "message",
                        review_items.c.target_id == str(message_id),
                        review_items.c.state == "pending",
                    )
                )
            ).scalar_one()
            await uow.conn.execute(update(groups).where(groups.c.id == access.id).values(last_seq=seq))
            row = (
                await uow.conn.execute(
                    update(messages)
                    .where(messages.c.id == message_id)
                    .values(seq=seq, review_state="flagged" if flagged else "approved")
                    .returning(messages)
                )
            ).one()
        else:
            row = (
                await uow.conn.execute(
                    update(messages)
                    .where(messages.c.id == message_id)
                    .values(review_state="rejected", delete_reason=f"group:{reason}" if reason else "group")
                    .returning(messages)
                )
            ).one()
        view = stored_view(row, access.code, GroupRole(role) if role else None)
        await netlog.record(
            uow,
            ctx,
            "group.held_approve" if approve else "group.held_reject",
            Target.message(message_id, group_id=access.id),
            actor=actor,
            author=msg.sender_id,
            seq=seq,
            reason=reason,
        )
        if seq is not None:
            uow.collect(
                MessagePosted(group_id=access.id, group_code=access.code, seq=seq, message=message_payload(view))
            )
        uow.collect(
            ReviewDecided(
                group_id=access.id,
                group_code=access.code,
                author_id=msg.sender_id,
                message_id=message_id,
                client_msg_id=msg.client_msg_id,
                decision="approved" if approve else "rejected",
                reason=reason,
                seq=seq,
                ts_ms=_ms(ctx),
            )
        )
        await uow.commit()
    return view


async def my_chat_state(db: Database, *, actor: int, code: str) -> dict[str, Any]:
    """What the composer of `actor` shows on load: muted until when, mute-all, slow mode, role."""
    async with db.uow(write=False) as uow:
        access = await access_group_as_member(uow.conn, actor=actor, code=code)
        row = (
            await uow.conn.execute(
                select(groups.c.mute_all, groups.c.slow_mode_seconds, memberships.c.muted_until)
                .select_from(groups.join(memberships, memberships.c.group_id == groups.c.id))
                .where(groups.c.id == access.id, memberships.c.user_id == actor)
            )
        ).one()
    return {
        "role": access.role.value if access.role else None,
        "muted_until": row.muted_until,
        "mute_all": bool(row.mute_all),
        "slow_mode_seconds": row.slow_mode_seconds,
    }
