"""What staff read of the blacklist (Art. 11 ¶2–3): the entries with the review queue first, one entry with the
accounts it touches and its full change history. Identities appear by their masked label only: the HMAC an entry
keys on is never shown."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, select

from qunzu.domain import blacklist as rules
from qunzu.domain.blacklist import SubjectType
from qunzu.domain.staff import BLACKLIST_READERS, require_staff_role
from qunzu.errors import ErrorCode, NotFound, ValidationFailed
from qunzu.services.blacklist_effects import touched_accounts
from qunzu.services.blacklist_gate import facts, open_at
from qunzu.services.views import UserView
from qunzu.storage.tables import blacklist_changes, blacklist_entries, groups, users
from qunzu.storage.uow import Database

STATUSES = ("active", "due", "ended", "all")
LIST_MAX = 200


@dataclass(frozen=True, slots=True)
class EntryView:
    id: int
    subject_type: str
    label: str
    severity: int
    source: str
    authority_ref: str | None
    reason: str
    evidence: dict[str, Any]
    record_id: int | None
    starts_at: datetime
    review_at: datetime
    ends_at: datetime | None
    removed_at: datetime | None
    created_by: int | None
    created_at: datetime
    status: str  # active | removed | expired
    due: bool  # active and its review date has come
    group_code: str | None = None
    accounts: tuple[tuple[int, str], ...] = ()  # the accounts it touches: (id, username)


@dataclass(frozen=True, slots=True)
class ChangeView:
    id: int
    change: str
    actor_id: int | None
    actor: str | None  # the staff member's username; None: the scheduled job
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    diff: dict[str, Any]
    reason: str
    at: datetime
    reported_at: datetime | None


def _status(row: Any, now: datetime) -> str:
    if rules.is_active(facts(row), now=now):
        return "active"
    if row.ends_at is not None and row.ends_at <= (row.removed_at or now):
        return "expired"
    return "removed"


def _evidence(raw: Any) -> dict[str, Any]:
    """The evidence as staff see it: the owner's identity HMACs left out."""
    shown = dict(raw or {})
    if isinstance(shown.get("owner"), dict):
        shown["owner"] = {k: v for k, v in shown["owner"].items() if k != "identity"}
    return shown


def _view(row: Any, now: datetime, **more: Any) -> EntryView:
    status = _status(row, now)
    return EntryView(
        id=row.id,
        subject_type=row.subject_type,
        label=row.label,
        severity=row.severity,
        source=row.source,
        authority_ref=row.authority_ref,
        reason=row.reason,
        evidence=_evidence(row.evidence),
        record_id=row.record_id,
        starts_at=row.starts_at,
        review_at=row.review_at,
        ends_at=row.ends_at,
        removed_at=row.removed_at,
        created_by=row.created_by,
        created_at=row.created_at,
        status=status,
        due=status == "active" and row.review_at <= now,
        **more,
    )


async def list_entries(
    db: Database,
    *,
    staff: UserView,
    now: datetime,
    status: str = "active",
    subject_type: str | None = None,
    severity: int | None = None,
    q: str | None = None,
    limit: int = LIST_MAX,
) -> list[EntryView]:
    """The entries by status (active: those due for review first, by review date; ended: newest first), filtered by
    subject type, severity and a part of the label (a group's name or code, a username, a masked number)."""
    require_staff_role(staff.staff_role, BLACKLIST_READERS)
    if status not in STATUSES:
        raise ValidationFailed("Unknown status", details={"field": "status", "allowed": list(STATUSES)})
    if subject_type is not None and subject_type not in {t.value for t in SubjectType}:
        raise ValidationFailed("Unknown subject type", details={"field": "subject_type"})
    stmt = select(blacklist_entries)
    active = open_at(now)
    if status == "active":
        stmt = stmt.where(active).order_by(
            case((blacklist_entries.c.review_at <= now, 0), else_=1), blacklist_entries.c.review_at
        )
    elif status == "due":
        stmt = stmt.where(active, blacklist_entries.c.review_at <= now).order_by(blacklist_entries.c.review_at)
    elif status == "ended":
        stmt = stmt.where(~active).order_by(blacklist_entries.c.id.desc())
    else:
        stmt = stmt.order_by(blacklist_entries.c.id.desc())
    if subject_type is not None:
        stmt = stmt.where(blacklist_entries.c.subject_type == subject_type)
    if severity is not None:
        stmt = stmt.where(blacklist_entries.c.severity == severity)
    text = (q or "").strip()[:64]
    if text:
        escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(blacklist_entries.c.label.ilike(f"%{escaped}%", escape="\\"))
    async with db.uow(write=False) as uow:
        rows = (await uow.conn.execute(stmt.limit(max(1, min(limit, LIST_MAX))))).all()
        codes = await _group_codes(uow, rows)
    return [_view(r, now, group_code=codes.get(r.id)) for r in rows]


async def _group_codes(uow: Any, rows: Sequence[Any]) -> dict[int, str]:
    ids = {r.id: int(r.subject_key) for r in rows if r.subject_type == "group" and r.subject_key.isdigit()}
    if not ids:
        return {}
    found = dict(
        (await uow.conn.execute(select(groups.c.id, groups.c.code).where(groups.c.id.in_(ids.values())))).all()
    )
    return {entry: found[g] for entry, g in ids.items() if g in found}


async def entry_detail(
    db: Database, *, staff: UserView, entry_id: int, now: datetime
) -> tuple[EntryView, list[ChangeView]]:
    """One entry, the accounts it touches now, and every change to it, oldest first (R-11.3-3)."""
    require_staff_role(staff.staff_role, BLACKLIST_READERS)
    if not 1 <= entry_id < 2**63:
        raise NotFound("No such blacklist entry", code=ErrorCode.BLACKLIST_ENTRY_NOT_FOUND)
    async with db.uow(write=False) as uow:
        row = (
            await uow.conn.execute(select(blacklist_entries).where(blacklist_entries.c.id == entry_id))
        ).one_or_none()
        if row is None:
            raise NotFound("No such blacklist entry", code=ErrorCode.BLACKLIST_ENTRY_NOT_FOUND)
        ids = await touched_accounts(uow, row)
        names = (
            dict((await uow.conn.execute(select(users.c.id, users.c.username).where(users.c.id.in_(ids)))).all())
            if ids
            else {}
        )
        codes = await _group_codes(uow, [row])
        changes = (
            await uow.conn.execute(
                select(blacklist_changes, users.c.username)
                .join(users, users.c.id == blacklist_changes.c.actor_id, isouter=True)
                .where(blacklist_changes.c.entry_id == entry_id)
                .order_by(blacklist_changes.c.id)
            )
        ).all()
    accounts = tuple((i, names[i]) for i in ids if i in names)
    view = _view(row, now, group_code=codes.get(row.id), accounts=accounts)
    history = [
        ChangeView(
            id=c.id,
            change=c.change,
            actor_id=c.actor_id,
            actor=c.username,
            before=c.before,
            after=c.after,
            diff=rules.diff(c.before, c.after),
            reason=c.reason,
            at=c.at,
            reported_at=c.reported_at,
        )
        for c in changes
    ]
    return view, history
