"""Messages: post (idempotent by client id, gapless per-group sequence), list, delete (hidden, kept)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Protocol

from sqlalchemy import Select, and_, select, update

from qunzu import netlog
from qunzu.context import Ctx
from qunzu.domain import roles
from qunzu.domain.accounts import CANCELLED_NICKNAME
from qunzu.domain.content import Disposition, content_rejected, message_disposition
from qunzu.domain.limits import check_message_text
from qunzu.domain.roles import GroupRole
from qunzu.errors import ErrorCode, NotFound, ValidationFailed
from qunzu.netlog import Target
from qunzu.services import restrictions
from qunzu.services.access import access_group_as_member
from qunzu.services.events import MessageDeleted
from qunzu.services.views import MessageView
from qunzu.storage.tables import groups, memberships, messages, users
from qunzu.storage.uow import Database


class MessageWriterPort(Protocol):
    async def submit(
        self, *, actor: int, code: str, text: str, client_msg_id: str, ctx: Ctx, verdict: Any = None
    ) -> tuple[MessageView, bool]: ...


CLIENT_MSG_ID_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


def message_payload(view: MessageView) -> dict[str, Any]:
    """The public shape of a message, shared by the REST API and the WebSocket frames."""
    return {
        "id": view.id,
        "group_code": view.group_code,
        "seq": view.seq,
        "sender": {
            "id": view.sender_id,
            "nickname": view.sender_nickname,
            "role": view.sender_role.value if view.sender_role else None,
        },
        "text": view.text,
        "client_msg_id": view.client_msg_id,
        "created_at": view.created_at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "deleted": view.deleted,
        "status": view.status,
    }


def stored_view(row: Any, code: str, role: GroupRole | None) -> MessageView:
    """A stored message as members see it: deleted ones and those of cancelled accounts without text (D9)."""
    cancelled = getattr(row, "sender_status", "active") == "cancelled"
    deleted = row.deleted_at is not None or cancelled
    status = {"held": "under_review", "group_held": "under_review", "rejected": "rejected"}.get(
        row.review_state, "published"
    )  # group_held: held by the group's keyword list for its owner and managers (services/group_chat_controls.py)
    if row.seq is not None and status == "rejected":
        status = "published"  # a published message rejected later is simply deleted for members
    return MessageView(
        id=row.id,
        group_code=code,
        seq=row.seq,
        sender_id=row.sender_id,
        sender_nickname=CANCELLED_NICKNAME if cancelled else row.sender_nickname,
        sender_role=role,
        text=None if deleted else row.text,
        client_msg_id=row.client_msg_id,
        created_at=row.created_at,
        deleted=deleted,
        status=status,
    )


def check_client_msg_id(raw: str) -> str:
    if not CLIENT_MSG_ID_RE.match(raw):
        raise ValidationFailed(
            "client_msg_id has 1–64 characters: letters, digits and _ . : -",
            details={"field": "client_msg_id"},
        )
    return raw


async def post_message(
    writer: MessageWriterPort,
    screen: Callable[[str], Any],
    *,
    actor: int,
    code: str,
    text: str,
    client_msg_id: str,
    ctx: Ctx,
    max_length: int,
) -> tuple[MessageView, bool]:
    """Post a message. Returns (message, created). A retry with the same client_msg_id returns the first one.

    The text is reviewed before it is stored (D17): `block` is refused with `content_rejected` and its categories,
    `hold` is stored for the author only until a reviewer approves, `flag` is published and queued for review.
    The message is acknowledged only after its transaction has committed (group commit: see message_writer).
    """
    text = check_message_text(text, max_length=max_length)  # line ends as LF, control characters refused
    check_client_msg_id(client_msg_id)
    verdict = screen(text)
    disposition = message_disposition(verdict.action)
    if disposition is Disposition.REFUSE:
        raise content_rejected(verdict.categories, field="text")
    queued = verdict if disposition in (Disposition.HOLD, Disposition.PUBLISH_AND_QUEUE) else None
    return await writer.submit(actor=actor, code=code, text=text, client_msg_id=client_msg_id, ctx=ctx, verdict=queued)


def published_with_senders() -> Select[Any]:
    """Published messages (with a sequence number) and, per sender, the current group role and account status."""
    return (
        select(messages, memberships.c.role.label("sender_role"), users.c.status.label("sender_status"))
        .select_from(
            messages.outerjoin(
                memberships,
                and_(memberships.c.group_id == messages.c.group_id, memberships.c.user_id == messages.c.sender_id),
            ).join(users, users.c.id == messages.c.sender_id)
        )
        .where(messages.c.seq.is_not(None))
    )


async def list_messages(
    db: Database,
    *,
    actor: int,
    code: str,
    before: int | None,
    after: int | None,
    limit: int,
) -> list[MessageView]:
    """A page of a group's messages in sequence order. `after`: oldest first from there; else newest page."""
    if before is not None and after is not None:
        raise ValidationFailed("Give either before or after, not both", details={"field": "before"})
    async with db.uow(write=False) as uow:
        access = await access_group_as_member(uow.conn, actor=actor, code=code)
        stmt = published_with_senders().where(messages.c.group_id == access.id)
        if after is not None:
            stmt = stmt.where(messages.c.seq > after).order_by(messages.c.seq.asc())
        else:
            if before is not None:
                stmt = stmt.where(messages.c.seq < before)
            stmt = stmt.order_by(messages.c.seq.desc())
        rows = list(await uow.conn.execute(stmt.limit(limit)))
    views = [stored_view(r, access.code, GroupRole(r.sender_role) if r.sender_role else None) for r in rows]
    views.sort(key=lambda v: v.seq)
    return views


async def my_pending_messages(db: Database, *, actor: int, code: str, limit: int = 50) -> list[MessageView]:
    """The author's own messages held for review or rejected by a reviewer (no one else sees them)."""
    async with db.uow(write=False) as uow:
        access = await access_group_as_member(uow.conn, actor=actor, code=code)
        rows = await uow.conn.execute(
            select(messages)
            .where(
                messages.c.group_id == access.id,
                messages.c.sender_id == actor,
                messages.c.seq.is_(None),
            )
            .order_by(messages.c.id.desc())
            .limit(limit)
        )
        return [stored_view(r, access.code, access.role) for r in reversed(list(rows))]


async def fetch_frames_range(
    db: Database, *, group_id: int, after_seq: int, upto_seq: int | None, limit: int = 5000
) -> list[tuple[int, dict[str, Any], str]]:
    """Messages of a group with after_seq < seq <= upto_seq, for WebSocket replay and gap repair."""
    async with db.uow(write=False) as uow:
        code = (await uow.conn.execute(select(groups.c.code).where(groups.c.id == group_id))).scalar_one()
        stmt = (
            published_with_senders()
            .where(messages.c.group_id == group_id, messages.c.seq > after_seq)
            .order_by(messages.c.seq.asc())
            .limit(limit)
        )
        if upto_seq is not None:
            stmt = stmt.where(messages.c.seq <= upto_seq)
        rows = list(await uow.conn.execute(stmt))
    out = []
    for r in rows:
        view = stored_view(r, code, GroupRole(r.sender_role) if r.sender_role else None)
        out.append((view.seq, message_payload(view), code))
    return out


async def delete_message(
    db: Database, *, actor: int, code: str, message_id: int, ctx: Ctx, reason: str | None = None
) -> MessageView:
    """Hide a message from members. Its content and who deleted it are kept (records must be kept)."""
    async with db.uow() as uow:
        access = await access_group_as_member(uow.conn, actor=actor, code=code)
        role = access.require_member()
        row = (
            await uow.conn.execute(
                select(messages).where(messages.c.id == message_id, messages.c.group_id == access.id)
            )
        ).one_or_none()
        if row is None:
            raise NotFound("No such message in this group", code=ErrorCode.MESSAGE_NOT_FOUND)
        roles.check_can_delete_message(role, is_author=row.sender_id == actor)
        if row.sender_id != actor:  # deleting another's message is a manager's tool (R-11.2-1)
            await restrictions.check_tools(uow, actor, role, now=ctx.now)
        if row.deleted_at is None:
            await uow.conn.execute(
                update(messages)
                .where(messages.c.id == message_id)
                .values(deleted_at=ctx.now, deleted_by=actor, delete_reason=(reason or "")[:200] or None)
            )
            await netlog.record(
                uow,
                ctx,
                "message.delete",
                Target.message(message_id, group_id=access.id),
                actor=actor,
                seq=row.seq,
                author=row.sender_id,
                by_role=role.value,
                reason=reason,
            )
            uow.collect(
                MessageDeleted(
                    group_id=access.id,
                    group_code=access.code,
                    message_id=message_id,
                    seq=row.seq,
                    ts_ms=int(ctx.now.timestamp() * 1000),
                )
            )
        await uow.commit()
    return MessageView(
        id=row.id,
        group_code=access.code,
        seq=row.seq,
        sender_id=row.sender_id,
        sender_nickname=row.sender_nickname,
        sender_role=None,
        text=None,
        client_msg_id=row.client_msg_id,
        created_at=row.created_at,
        deleted=True,
    )


async def deletions_since(db: Database, *, group_id: int, since_ms: int) -> list[tuple[int, int, int]]:
    """(message_id, seq, deleted_at ms) of messages deleted at or after `since_ms`, for reconnect replay."""
    from datetime import UTC, datetime

    since = datetime.fromtimestamp(since_ms / 1000, tz=UTC)
    async with db.uow(write=False) as uow:
        rows = await uow.conn.execute(
            select(messages.c.id, messages.c.seq, messages.c.deleted_at).where(
                messages.c.group_id == group_id, messages.c.deleted_at >= since
            )
        )
        return [(r.id, r.seq, int(r.deleted_at.timestamp() * 1000)) for r in rows]
