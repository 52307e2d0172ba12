"""The group's operation log (R-9.3-1 "每次使用管理功能…记录"): what the owner, the managers and the members did
in the group, newest first, for the owner and managers to read.

Entries come from the operation log (`netlog.records_of_group`), the one place every tool writes its record: time,
who (nickname and role at the time, when the record noted it), what (the action code; the adapters label it), to
whom, and the details (a mute's period, a profile field's old and new value). Source IPs and ports are not shown
here: they stay in the log for inspection (Art. 13).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from qunzu import netlog
from qunzu.domain import roles
from qunzu.domain.roles import GroupAction
from qunzu.services.access import access_group_as_member
from qunzu.storage.tables import memberships, users
from qunzu.storage.uow import Database

PAGE_MAX = 100
HIDDEN = frozenset({"actor_role", "offer", "members"})  # bookkeeping, not for the owner's view


@dataclass(frozen=True, slots=True)
class LogEntry:
    id: int
    at: datetime
    action: str  # the record's action code, e.g. "group.mute"
    actor: dict[str, Any] | None  # {"id", "nickname", "role"}
    target: dict[str, Any] | None  # {"id", "nickname"} for a person, {"id", "type"} otherwise
    result: str
    changes: list[dict[str, Any]] = field(default_factory=list)  # [{"field", "old", "new"}]
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class LogPage:
    entries: list[LogEntry]
    next_before: int | None  # pass as `before` for the next (older) page; None: this is the oldest


async def group_log(db: Database, *, actor: int, code: str, before: int | None = None, limit: int = 50) -> LogPage:
    """One page of a group's operation log for its owner and managers (members: `forbidden_role`)."""
    limit = max(1, min(limit, PAGE_MAX))
    async with db.uow(write=False) as uow:
        access = await access_group_as_member(uow.conn, actor=actor, code=code)
        roles.check_may(access.require_member(), GroupAction.VIEW_LOG)
        rows = list(await netlog.records_of_group(uow, access.id, before_id=before, limit=limit + 1))
        more = len(rows) > limit
        rows = rows[:limit]
        people = {r.actor_id for r in rows if r.actor_id is not None} | {
            int(r.target_id) for r in rows if r.target_type == "user" and (r.target_id or "").isdigit()
        }
        names: dict[int, str] = {}
        current: dict[int, str] = {}
        if people:
            names = dict(
                (await uow.conn.execute(select(users.c.id, users.c.nickname).where(users.c.id.in_(people)))).all()
            )
            current = dict(
                (
                    await uow.conn.execute(
                        select(memberships.c.user_id, memberships.c.role).where(
                            memberships.c.group_id == access.id, memberships.c.user_id.in_(people)
                        )
                    )
                ).all()
            )
    entries = [_entry(r, names, current) for r in rows]
    return LogPage(entries=entries, next_before=rows[-1].id if more and rows else None)


def _entry(r: Any, names: dict[int, str], current: dict[int, str]) -> LogEntry:
    raw: dict[str, Any] = dict(r.details or {})
    actor = None
    if r.actor_id is not None:
        role = raw.get("actor_role") or current.get(r.actor_id)
        actor = {"id": r.actor_id, "nickname": names.get(r.actor_id, ""), "role": role}
    target: dict[str, Any] | None = None
    if r.target_type == "user" and (r.target_id or "").isdigit():
        tid = int(r.target_id)
        target = {"id": tid, "type": "user", "nickname": names.get(tid, "")}
    elif r.target_type == "message" and r.target_id:
        target = {"id": r.target_id, "type": "message"}
    changes = [
        {"field": k, "old": v.get("old"), "new": v.get("new")}
        for k, v in raw.items()
        if isinstance(v, dict) and set(v) == {"old", "new"}
    ]
    changed = {c["field"] for c in changes}
    details = {k: v for k, v in raw.items() if k not in HIDDEN and k not in changed}
    return LogEntry(
        id=r.id, at=r.ts, action=r.action, actor=actor, target=target, result=r.result, changes=changes,
        details=details,
    )  # fmt: skip
