"""Snapshots of reported content and its context, taken when the report is made (R-12.1-2).

A message is copied with the messages around it, its group's profile and its sender's nickname; a group with its
profile and, for a member, its last messages; a user with their public profile and, in the group they were reported
from, their last messages there. Only what the reporter may see goes in (published, not deleted). The snapshot is a
JSON document hashed with SHA-256 over its canonical form (sorted keys, UTF-8, no spaces), so a handler can show
that what they read is what was captured, whatever the author deleted since.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from sqlalchemy import select

from qunzu.storage.tables import groups, memberships, messages, users
from qunzu.storage.uow import UnitOfWork

CONTEXT_EACH_SIDE = 5  # messages before and after a reported message
RECENT = 20  # a group's last messages, for a member reporting it
BY_USER = 10  # a reported user's last messages in the group they were reported from


def canonical(snapshot: dict[str, Any]) -> bytes:
    """The bytes the hash is taken over (the stored JSON reads back to the same bytes)."""
    return json.dumps(snapshot, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def snapshot_sha256(snapshot: dict[str, Any]) -> str:
    """The SHA-256 of a snapshot (hex)."""
    return hashlib.sha256(canonical(snapshot)).hexdigest()


def _iso(at: datetime | None) -> str | None:
    return at.isoformat(timespec="milliseconds").replace("+00:00", "Z") if at else None


def _message(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "seq": row.seq,
        "sender_id": row.sender_id,
        "sender_nickname": row.sender_nickname,
        "text": row.text,
        "created_at": _iso(row.created_at),
    }


def _visible() -> Any:
    """Messages members see: published (with a sequence number) and not deleted."""
    return (messages.c.seq.is_not(None)) & (messages.c.deleted_at.is_(None))


async def group_profile(uow: UnitOfWork, group_id: int) -> dict[str, Any]:
    """A group's profile as it stands: what its info page and chat header show."""
    g = (await uow.conn.execute(select(groups).where(groups.c.id == group_id))).one()
    owner = (await uow.conn.execute(select(users.c.nickname).where(users.c.id == g.owner_id))).scalar_one()
    return {
        "id": g.id,
        "code": g.code,
        "name": g.name,
        "category": g.category,
        "description": g.description,
        "announcement": g.announcement,
        "member_count": g.member_count,
        "owner_id": g.owner_id,
        "owner_nickname": owner,
        "status": g.status,
    }


async def message_snapshot(uow: UnitOfWork, row: Any, *, taken_at: datetime) -> dict[str, Any]:
    """A reported message (a `messages` row), the messages around it, its group's profile and its sender."""
    around = select(messages).where(messages.c.group_id == row.group_id, _visible())
    before = await uow.conn.execute(
        around.where(messages.c.seq < row.seq).order_by(messages.c.seq.desc()).limit(CONTEXT_EACH_SIDE)
    )
    after = await uow.conn.execute(
        around.where(messages.c.seq > row.seq).order_by(messages.c.seq.asc()).limit(CONTEXT_EACH_SIDE)
    )
    sender = (await uow.conn.execute(select(users.c.nickname).where(users.c.id == row.sender_id))).scalar_one()
    return {
        "kind": "message",
        "taken_at": _iso(taken_at),
        "message": _message(row),
        "before": [_message(m) for m in reversed(list(before))],
        "after": [_message(m) for m in after],
        "group": await group_profile(uow, row.group_id),
        "sender": {"id": row.sender_id, "nickname": sender, "nickname_at_time": row.sender_nickname},
    }


async def group_snapshot(uow: UnitOfWork, group_id: int, *, member: bool, taken_at: datetime) -> dict[str, Any]:
    """A reported group's profile and, when the reporter is a member, its last messages."""
    recent: list[dict[str, Any]] = []
    if member:
        rows = await uow.conn.execute(
            select(messages)
            .where(messages.c.group_id == group_id, _visible())
            .order_by(messages.c.seq.desc())
            .limit(RECENT)
        )
        recent = [_message(m) for m in reversed(list(rows))]
    return {"kind": "group", "taken_at": _iso(taken_at), "group": await group_profile(uow, group_id),
            "recent": recent}  # fmt: skip


async def user_snapshot(uow: UnitOfWork, user_id: int, *, group_id: int | None, taken_at: datetime) -> dict[str, Any]:
    """A reported user's public profile and, in the group they were reported from, their role and last messages."""
    u = (await uow.conn.execute(select(users).where(users.c.id == user_id))).one()
    snapshot: dict[str, Any] = {
        "kind": "user",
        "taken_at": _iso(taken_at),
        "user": {
            "id": u.id,
            "nickname": u.nickname,
            "verification_level": u.verification_level,
            "created_at": _iso(u.created_at),
        },
        "group": None,
        "role": None,
        "recent": [],
    }
    if group_id is not None:
        role = (
            await uow.conn.execute(
                select(memberships.c.role).where(memberships.c.group_id == group_id, memberships.c.user_id == user_id)
            )
        ).scalar_one_or_none()
        rows = await uow.conn.execute(
            select(messages)
            .where(messages.c.group_id == group_id, messages.c.sender_id == user_id, _visible())
            .order_by(messages.c.seq.desc())
            .limit(BY_USER)
        )
        snapshot |= {
            "group": await group_profile(uow, group_id),
            "role": role,
            "recent": [_message(m) for m in reversed(list(rows))],
        }
    return snapshot


def text_snapshot(text: str, *, taken_at: datetime, group: dict[str, Any] | None = None) -> dict[str, Any]:
    """A public-form report naming someone or something by words alone (and the group it names, if found)."""
    return {"kind": "text", "taken_at": _iso(taken_at), "text": text, "group": group}
