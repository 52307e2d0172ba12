"""The blacklist where other actions meet it (Art. 11 ¶2, D11): an account's level, the identity at verification,
the owner of a blacklisted group at creation.

Reads and writes only storage, so the identity and group services can call it without importing the blacklist's
actions (services/blacklist.py, which calls the enforcement service):

    await check_identity_may_verify(uow, hmac, now=ctx.now)   # before binding a mobile or ID number: BANNED refuses
    await check_identity_may_change(uow, old, new, now=ctx.now)  # nor may a blacklisted number be swapped away
    await recompute_levels(uow, [user_id], now=ctx.now)       # after binding it: the account's level from its entries
    await check_owner_may_create(uow, actor=..., name=..., now=ctx.now)  # create_group: D11
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select, update

from qunzu.domain import blacklist as rules
from qunzu.domain.blacklist import EntryFacts, SubjectType
from qunzu.storage.tables import blacklist_entries, identities, users
from qunzu.storage.uow import UnitOfWork


def facts(row: Any) -> EntryFacts:
    """The rules' view of an entry row."""
    return EntryFacts(
        subject_type=SubjectType(row.subject_type),
        subject_key=row.subject_key,
        severity=row.severity,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        removed_at=row.removed_at,
    )


def open_at(now: datetime) -> Any:
    """Entries not removed and not past their end (the rules decide the rest)."""
    return and_(
        blacklist_entries.c.removed_at.is_(None),
        or_(blacklist_entries.c.ends_at.is_(None), blacklist_entries.c.ends_at > now),
    )


async def identity_hmacs(uow: UnitOfWork, user_id: int) -> list[str]:
    """The HMACs of the mobile number and ID number the account verified with (none before verification)."""
    row = (
        await uow.conn.execute(
            select(identities.c.phone_hmac, identities.c.id_hmac).where(identities.c.user_id == user_id)
        )
    ).one_or_none()
    return [h for h in (row.phone_hmac, row.id_hmac) if h] if row is not None else []


async def accounts_of_identity(uow: UnitOfWork, hmac: str) -> list[int]:
    """Every account bound to an identity (by its mobile number or its ID number)."""
    rows = await uow.conn.execute(
        select(identities.c.user_id)
        .where(or_(identities.c.phone_hmac == hmac, identities.c.id_hmac == hmac))
        .order_by(identities.c.user_id)
    )
    return [r.user_id for r in rows]


async def level_of(uow: UnitOfWork, user_id: int, *, now: datetime) -> int:
    """The account's blacklist level from its active entries and its identity's."""
    hmacs = await identity_hmacs(uow, user_id)
    keys = [and_(blacklist_entries.c.subject_type == "account", blacklist_entries.c.subject_key == str(user_id))]
    if hmacs:
        keys.append(and_(blacklist_entries.c.subject_type == "identity", blacklist_entries.c.subject_key.in_(hmacs)))
    rows = await uow.conn.execute(select(blacklist_entries).where(open_at(now), or_(*keys)))
    return int(rules.effective_level([facts(r) for r in rows], user_id=user_id, identity_hmacs=hmacs, now=now))


async def recompute_levels(uow: UnitOfWork, user_ids: Iterable[int], *, now: datetime) -> dict[int, tuple[int, int]]:
    """Set `users.blacklist_level` of each account from its entries; the changed ones as {user_id: (before, after)}."""
    changed: dict[int, tuple[int, int]] = {}
    for user_id in sorted(set(user_ids)):
        before = (
            await uow.conn.execute(select(users.c.blacklist_level).where(users.c.id == user_id).with_for_update())
        ).scalar_one_or_none()
        if before is None:
            continue
        after = await level_of(uow, user_id, now=now)
        if after != before:
            await uow.conn.execute(update(users).where(users.c.id == user_id).values(blacklist_level=after))
            changed[user_id] = (before, after)
    return changed


async def identity_level(uow: UnitOfWork, hmac: str, *, now: datetime) -> int:
    """The highest severity of the active entries on one identity (0: none)."""
    rows = await uow.conn.execute(
        select(blacklist_entries).where(
            open_at(now), blacklist_entries.c.subject_type == "identity", blacklist_entries.c.subject_key == hmac
        )
    )
    return int(rules.effective_level([facts(r) for r in rows], user_id=0, identity_hmacs=[hmac], now=now))


async def check_identity_may_verify(uow: UnitOfWork, hmac: str, *, now: datetime) -> None:
    """Refuse (`blacklisted`) to bind a mobile or ID number whose identity is blacklisted at the highest level."""
    rules.check_identity_may_verify(await identity_level(uow, hmac, now=now))


async def check_identity_may_change(uow: UnitOfWork, old: str | None, new: str, *, now: datetime) -> None:
    """Refuse (`blacklisted`) to replace a verified number that is blacklisted with another one."""
    if old and old != new:
        rules.check_identity_may_change(await identity_level(uow, old, now=now))


def same_name(a: str, b: str) -> bool:
    """Group names compared as people read them (Unicode NFKC, case and surrounding spaces ignored)."""
    return unicodedata.normalize("NFKC", a).strip().casefold() == unicodedata.normalize("NFKC", b).strip().casefold()


async def check_owner_may_create(uow: UnitOfWork, *, actor: int, name: str, now: datetime) -> None:
    """D11: while a group's entry holds, its owner (the account, or anyone verified with the owner's identity) may
    not create a group, and so may not re-create it under the same name (`blacklisted`)."""
    mine = set(await identity_hmacs(uow, actor))
    rows = await uow.conn.execute(
        select(blacklist_entries).where(open_at(now), blacklist_entries.c.subject_type == "group")
    )
    for row in rows:
        if not rules.is_active(facts(row), now=now):
            continue
        owner = (row.evidence or {}).get("owner") or {}
        if owner.get("user_id") == actor or mine & set(owner.get("identity") or []):
            rules.check_owner_may_create(
                blacklisted_owner=True, same_name=same_name(str(owner.get("group_name") or ""), name)
            )
