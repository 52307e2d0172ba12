"""What a blacklist change does to the accounts it touches, in the change's transaction (services/blacklist.py).

The accounts an entry touches: an account entry its account; an identity entry every account verified with that
mobile or ID number; a group entry none (its owner is bound at creation, services/blacklist_gate.py). For each,
`users.blacklist_level` is recomputed from every active entry; an account raised to a level that signs out
(SEVERE, BANNED) loses its sessions, and at BANNED the gate of domain/restrictions.py treats it as suspended. Each
touched account gets a notice with the entry's reason, level, dates and the appeal route (agreement §6.7, §8).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from qunzu.domain import blacklist as rules
from qunzu.domain.blacklist import SubjectType
from qunzu.services.blacklist_gate import accounts_of_identity, identity_hmacs, open_at, recompute_levels
from qunzu.services.events import SessionsEnded
from qunzu.services.notices import add_notice
from qunzu.storage.tables import auth_tokens, blacklist_entries
from qunzu.storage.uow import UnitOfWork


@dataclass(slots=True)
class Outcome:
    """What one action did: the entries written, the accounts touched and those signed out (the caller evicts their
    cached sessions after commit)."""

    entry_ids: list[int] = field(default_factory=list)
    accounts: list[int] = field(default_factory=list)
    signed_out: list[int] = field(default_factory=list)

    def merge(self, other: Outcome) -> None:
        self.entry_ids += [i for i in other.entry_ids if i not in self.entry_ids]
        self.accounts += [i for i in other.accounts if i not in self.accounts]
        self.signed_out += [i for i in other.signed_out if i not in self.signed_out]


async def touched_accounts(uow: UnitOfWork, row: Any) -> list[int]:
    """The accounts whose level an entry counts in."""
    if row.subject_type == SubjectType.ACCOUNT:
        return [int(row.subject_key)]
    if row.subject_type == SubjectType.IDENTITY:
        return await accounts_of_identity(uow, row.subject_key)
    return []


def notice_details(row: Any, *, change: rules.Change, reason: str) -> dict[str, Any]:
    """What the notice says (services/notices.py; the text is i18n/blacklist_texts.py)."""
    owner = (row.evidence or {}).get("owner") or {}
    return {
        "entry_id": row.id,
        "change": change.value,
        "subject": row.subject_type,
        "level": row.severity,
        "effects": [e.value for e in rules.effects(row.severity)],
        "reason": reason,  # the entry's reason when it is added, else the change's
        "starts_at": _iso(row.starts_at),
        "review_at": _iso(row.review_at),
        "ends_at": _iso(row.ends_at),
        "group_name": owner.get("group_name"),
    }


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


async def apply_levels(uow: UnitOfWork, row: Any, *, change: rules.Change, reason: str, now: datetime) -> Outcome:
    """Recompute the levels of the accounts the entry touches, sign out those raised to SEVERE or BANNED, and leave
    each touched account (or a group entry's owner) a notice."""
    accounts = await touched_accounts(uow, row)
    changed = await recompute_levels(uow, accounts, now=now)
    signed_out = [u for u, (before, after) in changed.items() if after > before and rules.signs_out(after)]
    if signed_out:
        await uow.conn.execute(
            update(auth_tokens)
            .where(auth_tokens.c.user_id.in_(signed_out), auth_tokens.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        for user_id in signed_out:  # their open sockets close too, in every server process
            uow.collect(SessionsEnded(user_id, "blacklisted", int(now.timestamp() * 1000)))
    told = list(accounts)
    owner = ((row.evidence or {}).get("owner") or {}).get("user_id")
    if row.subject_type == SubjectType.GROUP and isinstance(owner, int):
        told.append(owner)
    for user_id in told:
        await add_notice(
            uow,
            user_id=user_id,
            kind=f"blacklist_{change.value}",
            details=notice_details(row, change=change, reason=reason),
            now=now,
        )
    return Outcome(entry_ids=[row.id], accounts=accounts, signed_out=signed_out)


async def on_identity_bound(uow: UnitOfWork, *, user_id: int, now: datetime) -> int:
    """After an account binds a mobile or ID number (in that transaction): its level from the identity's entries, so
    a new account of a blacklisted identity is restricted from its first action (R-11.3-1), told why. Its level."""
    changed = await recompute_levels(uow, [user_id], now=now)
    if user_id not in changed or changed[user_id][1] <= changed[user_id][0]:
        return changed.get(user_id, (0, 0))[1]
    hmacs = await identity_hmacs(uow, user_id)
    row = (
        await uow.conn.execute(
            select(blacklist_entries)
            .where(
                blacklist_entries.c.subject_type == SubjectType.IDENTITY.value,
                blacklist_entries.c.subject_key.in_(hmacs),
                open_at(now),
            )
            .order_by(blacklist_entries.c.severity.desc(), blacklist_entries.c.id)
        )
    ).first()
    if row is not None:
        details = notice_details(row, change=rules.Change.ADDED, reason=row.reason)
        await add_notice(uow, user_id=user_id, kind="blacklist_added", details=details, now=now)
    return changed[user_id][1]
