"""The blacklist's actions (Art. 11 ¶2–3, D11): add, change, review and remove entries; expire them at their end.

Each action is one transaction that writes the entry, its `blacklist_changes` row (before, after, reason, actor:
R-11.3-3, reportable) and the operation record, then recomputes the level of every account the entry touches
(services/blacklist_effects.py). A group entry closes the group through the one measures function
(services/enforcement.py::apply_measure, source "blacklist") and binds its owner: while the entry holds, neither the
owner's account nor anyone verified with the owner's identity may create a group (services/blacklist_gate.py).

Identity entries are taken from an account: staff choose the account, never type an ID number; one entry is written
for each of the account's verified numbers (mobile, ID), labelled masked. Reads are in services/blacklist_views.py.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update

from qunzu import netlog
from qunzu.context import Ctx
from qunzu.domain import blacklist as rules
from qunzu.domain.blacklist import Change, ReviewOutcome, SubjectType
from qunzu.domain.staff import BLACKLIST_KEEPERS, require_staff_role
from qunzu.errors import ErrorCode, NotFound, ValidationFailed
from qunzu.netlog import Target
from qunzu.services.blacklist_effects import Outcome, apply_levels
from qunzu.services.blacklist_gate import facts
from qunzu.services.blacklist_subjects import (
    account_by_username,
    add_group,
    already_listed,
    entry_row,
    identity_subjects,
    insert_entry,
    listed,
)
from qunzu.services.views import UserView
from qunzu.storage.crypto import KeyRing
from qunzu.storage.tables import blacklist_changes, blacklist_entries
from qunzu.storage.uow import Database, UnitOfWork

ACTIONS = {
    Change.ADDED: "blacklist.add",
    Change.CHANGED: "blacklist.change",
    Change.REVIEWED: "blacklist.review",
    Change.REMOVED: "blacklist.remove",
    Change.EXPIRED: "blacklist.expire",
}
EXPIRED_REASON = "The entry reached its end"


def _target(entry_id: int) -> Target:
    return Target("blacklist", entry_id)


async def _write_change(
    uow: UnitOfWork,
    *,
    entry_id: int,
    change: Change,
    actor: int | None,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    reason: str,
    now: datetime,
) -> None:
    await uow.conn.execute(
        insert(blacklist_changes).values(
            entry_id=entry_id, change=change.value, actor_id=actor, before=before, after=after, reason=reason, at=now
        )
    )


async def add_entry(
    db: Database,
    keys: KeyRing,
    *,
    staff: UserView,
    subject_type: str,
    subject: str,
    severity: Any,
    source: str,
    authority_ref: str | None,
    reason: str,
    review_at: datetime | None,
    ends_at: datetime | None,
    record_id: int | None = None,
    message_ids: tuple[int, ...] = (),
    reason_code: str = "other",
    ctx: Ctx,
) -> Outcome:
    """Put a group (by code), an account (by username) or an account's identity on the blacklist (R-11.3-1).

    A group is closed by a measure and its owner bound (D11); an identity entry touches every account verified with
    it. The entry, its `added` change and the operation record are written together."""
    require_staff_role(staff.staff_role, BLACKLIST_KEEPERS)
    try:
        kind = SubjectType(subject_type)
    except ValueError:
        raise ValidationFailed("Choose a group, an account or an identity", details={"field": "subject_type"}) from None
    terms = rules.check_terms(
        severity=severity,
        source=source,
        authority_ref=authority_ref,
        reason=reason,
        review_at=review_at,
        ends_at=ends_at,
        now=ctx.now,
    )
    proof = rules.evidence(record_id=record_id, message_ids=message_ids)
    outcome = Outcome()
    async with db.uow() as uow:
        if kind is SubjectType.GROUP:
            row = await add_group(
                uow, staff=staff, code=subject, terms=terms, proof=proof, reason_code=reason_code, ctx=ctx
            )
            rows = [row]
        else:
            account = await account_by_username(uow, subject)
            if kind is SubjectType.ACCOUNT:
                subjects = [(str(account.id), "account", f"@{account.username}")]
            else:
                subjects = [(h, k, label) for h, k, label in await identity_subjects(uow, keys, account)]
            subjects = [s for s in subjects if not await listed(uow, kind, s[0], ctx.now)]
            if not subjects:
                raise already_listed()
            rows = []
            for key, which, label in subjects:
                evidence = {**proof, "from_account": account.id} | (
                    {"identity_kind": which} if which != "account" else {}
                )
                rows.append(
                    await insert_entry(
                        uow,
                        subject_type=kind,
                        subject_key=key,
                        label=label,
                        terms=terms,
                        evidence=evidence,
                        record_id=record_id,
                        actor=staff.id,
                        now=ctx.now,
                    )
                )
        for row in rows:
            await _write_change(
                uow,
                entry_id=row.id,
                change=Change.ADDED,
                actor=staff.id,
                before=None,
                after=rules.snapshot(row._mapping),
                reason=terms.reason,
                now=ctx.now,
            )
            await netlog.record(
                uow,
                ctx,
                ACTIONS[Change.ADDED],
                _target(row.id),
                actor=staff.id,
                subject_type=row.subject_type,
                severity=row.severity,
                source=row.source,
            )
            outcome.merge(await apply_levels(uow, row, change=Change.ADDED, reason=terms.reason, now=ctx.now))
        await uow.commit()
    return outcome


async def _update(
    uow: UnitOfWork,
    row: Any,
    *,
    change: Change,
    actor: int | None,
    reason: str,
    values: dict[str, Any],
    ctx: Ctx,
    outcome: str | None = None,
) -> Outcome:
    """Write new values of an entry with its change row, operation record and the accounts' levels."""
    before = rules.snapshot(row._mapping)
    await uow.conn.execute(update(blacklist_entries).where(blacklist_entries.c.id == row.id).values(**values))
    new = await entry_row(uow, row.id)
    after = rules.snapshot(new._mapping) | ({"review_outcome": outcome} if outcome else {})
    await _write_change(
        uow, entry_id=row.id, change=change, actor=actor, before=before, after=after, reason=reason, now=ctx.now
    )
    await netlog.record(
        uow,
        ctx,
        ACTIONS[change],
        _target(row.id),
        actor=actor,
        changed=sorted(rules.diff(before, after)),
    )
    return await apply_levels(uow, new, change=change, reason=reason, now=ctx.now)


def _reason(reason: str) -> str:
    text = reason.strip()
    if not text:
        raise ValidationFailed("State the reason", details={"field": "reason", "reason": "required"})
    if len(text) > rules.REASON_MAX:
        raise ValidationFailed("The reason is too long", details={"field": "reason", "reason": "too_long"})
    return text


async def _open_entry(uow: UnitOfWork, staff: UserView, entry_id: int, now: datetime) -> Any:
    require_staff_role(staff.staff_role, BLACKLIST_KEEPERS)
    if not 1 <= entry_id < 2**63:
        raise NotFound("No such blacklist entry", code=ErrorCode.BLACKLIST_ENTRY_NOT_FOUND)
    row = await entry_row(uow, entry_id, lock=True)
    rules.check_open(facts(row), now=now)
    return row


def _changed_terms(
    row: Any,
    *,
    severity: Any,
    review_at: datetime | None,
    ends_at: datetime | None,
    keep_end: bool,
    reason: str,
    now: datetime,
) -> dict[str, Any]:
    """The new severity, review date and end, checked as a new entry's would be."""
    end = row.ends_at if keep_end else ends_at
    if review_at is None:
        review_at = row.review_at if row.review_at > now else rules.default_review(now, end)
    terms = rules.check_terms(
        severity=row.severity if severity is None else severity,
        source=row.source,
        authority_ref=row.authority_ref,
        reason=reason,
        review_at=review_at,
        ends_at=end,
        now=now,
    )
    return {"severity": int(terms.severity), "review_at": terms.review_at, "ends_at": terms.ends_at}


async def change_entry(
    db: Database,
    *,
    staff: UserView,
    entry_id: int,
    reason: str,
    severity: Any = None,
    review_at: datetime | None = None,
    ends_at: datetime | None = None,
    keep_end: bool = True,
    ctx: Ctx,
) -> Outcome:
    """Change an entry's severity, review date or end (`keep_end` False: the end given, None = until removed)."""
    text = _reason(reason)
    async with db.uow() as uow:
        row = await _open_entry(uow, staff, entry_id, ctx.now)
        values = _changed_terms(
            row, severity=severity, review_at=review_at, ends_at=ends_at, keep_end=keep_end, reason=text, now=ctx.now
        )
        outcome = await _update(uow, row, change=Change.CHANGED, actor=staff.id, reason=text, values=values, ctx=ctx)
        await uow.commit()
    return outcome


async def remove_entry(db: Database, *, staff: UserView, entry_id: int, reason: str, ctx: Ctx) -> Outcome:
    """Take an entry off the blacklist; the accounts it touched are recomputed. A closed group stays closed."""
    text = _reason(reason)
    async with db.uow() as uow:
        row = await _open_entry(uow, staff, entry_id, ctx.now)
        outcome = await _update(
            uow,
            row,
            change=Change.REMOVED,
            actor=staff.id,
            reason=text,
            values={"removed_at": ctx.now, "removed_by": staff.id},
            ctx=ctx,
        )
        await uow.commit()
    return outcome


async def remove_in(uow: UnitOfWork, row: Any, *, actor: int, reason: str, ctx: Ctx) -> Outcome:
    """The core of `remove_entry` in the caller's transaction (an upheld appeal, services/appeals.py): the entry
    must still hold; its `removed` change, operation record and the accounts' levels are written with it."""
    rules.check_open(facts(row), now=ctx.now)
    values = {"removed_at": ctx.now, "removed_by": actor}
    return await _update(uow, row, change=Change.REMOVED, actor=actor, reason=reason, values=values, ctx=ctx)


async def review_entry(
    db: Database,
    *,
    staff: UserView,
    entry_id: int,
    outcome: str,
    reason: str,
    severity: Any = None,
    review_at: datetime | None = None,
    ends_at: datetime | None = None,
    keep_end: bool = True,
    ctx: Ctx,
) -> Outcome:
    """The review on (or before) an entry's review date: keep it with a new review date (default 90 days on),
    change it, or remove it; always with a reason."""
    text = _reason(reason)
    try:
        decided = ReviewOutcome(outcome)
    except ValueError:
        raise ValidationFailed("Keep, change or remove", details={"field": "outcome", "reason": "invalid"}) from None
    async with db.uow() as uow:
        row = await _open_entry(uow, staff, entry_id, ctx.now)
        if decided is ReviewOutcome.REMOVE:
            values: dict[str, Any] = {"removed_at": ctx.now, "removed_by": staff.id}
            change = Change.REMOVED
        else:
            if decided is ReviewOutcome.KEEP:
                severity, keep_end = None, True
            values = _changed_terms(
                row,
                severity=severity,
                review_at=review_at or rules.default_review(ctx.now, row.ends_at),
                ends_at=ends_at,
                keep_end=keep_end,
                reason=text,
                now=ctx.now,
            )
            change = Change.REVIEWED
        done = await _update(
            uow, row, change=change, actor=staff.id, reason=text, values=values, ctx=ctx, outcome=decided.value
        )
        await uow.commit()
    return done


async def expire_entries(db: Database, *, now: datetime, limit: int = 100) -> int:
    """The scheduled job: end the entries past their end (change `expired`), recompute the accounts' levels."""
    async with db.uow() as uow:
        rows = (
            await uow.conn.execute(
                select(blacklist_entries)
                .where(
                    blacklist_entries.c.removed_at.is_(None),
                    blacklist_entries.c.ends_at.is_not(None),
                    blacklist_entries.c.ends_at <= now,
                )
                .order_by(blacklist_entries.c.ends_at, blacklist_entries.c.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        ).all()
        ctx = Ctx.system(now)
        for row in rows:
            await _update(
                uow, row, change=Change.EXPIRED, actor=None, reason=EXPIRED_REASON, values={"removed_at": now}, ctx=ctx
            )
        await uow.commit()
    return len(rows)
