"""The subjects of blacklist entries (services/blacklist.py): a group by its code, an account by its username, an
account's identity by the HMACs of its verified numbers (labelled masked); one entry in force per subject. A group's
entry closes it through services/enforcement.py::apply_measure and records its owner's account, identity HMACs and
group name, which bind the owner at creation (services/blacklist_gate.py::check_owner_may_create)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update

from qunzu.context import Ctx
from qunzu.domain.accounts import normalise_username
from qunzu.domain.blacklist import SubjectType, Terms
from qunzu.domain.enforcement import MeasureKind, MeasureSpec
from qunzu.domain.groupcode import parse_group_code
from qunzu.domain.identity import mask_id_number, mask_phone
from qunzu.errors import ErrorCode, NotFound, ValidationFailed
from qunzu.services.blacklist_gate import identity_hmacs, open_at
from qunzu.services.enforcement import apply_measure
from qunzu.services.identity import aad
from qunzu.services.views import UserView
from qunzu.storage.crypto import KeyRing
from qunzu.storage.tables import blacklist_entries, groups, identities, users
from qunzu.storage.uow import UnitOfWork

LABEL_MAX = 100


async def insert_entry(
    uow: UnitOfWork,
    *,
    subject_type: SubjectType,
    subject_key: str,
    label: str,
    terms: Terms,
    evidence: dict[str, Any],
    record_id: int | None,
    actor: int,
    now: datetime,
) -> Any:
    """Write a new entry starting now; its row."""
    entry_id = (
        await uow.conn.execute(
            insert(blacklist_entries)
            .values(
                subject_type=subject_type.value,
                subject_key=subject_key,
                label=label[:LABEL_MAX],
                severity=int(terms.severity),
                source=terms.source.value,
                authority_ref=terms.authority_ref,
                reason=terms.reason,
                evidence=evidence,
                record_id=record_id,
                starts_at=now,
                review_at=terms.review_at,
                ends_at=terms.ends_at,
                created_by=actor,
                created_at=now,
            )
            .returning(blacklist_entries.c.id)
        )
    ).scalar_one()
    return await entry_row(uow, entry_id)


async def entry_row(uow: UnitOfWork, entry_id: int, *, lock: bool = False) -> Any:
    """An entry's row (locked for a change), or `blacklist_entry_not_found`."""
    stmt = select(blacklist_entries).where(blacklist_entries.c.id == entry_id)
    row = (await uow.conn.execute(stmt.with_for_update() if lock else stmt)).one_or_none()
    if row is None:
        raise NotFound("No such blacklist entry", code=ErrorCode.BLACKLIST_ENTRY_NOT_FOUND)
    return row


async def account_by_username(uow: UnitOfWork, username: str) -> Any:
    """The account staff named; staff accounts are not blacklisted."""
    name = normalise_username(username)
    row = (await uow.conn.execute(select(users).where(func.lower(users.c.username) == name))).one_or_none()
    if row is None:
        raise ValidationFailed("No account has this username", details={"field": "subject", "reason": "not_found"})
    if row.staff_role is not None:
        raise ValidationFailed("Staff accounts are not blacklisted", details={"field": "subject", "reason": "staff"})
    return row


async def listed(uow: UnitOfWork, kind: SubjectType, key: str, now: datetime) -> bool:
    """Whether the subject already has an entry in force (change that one instead of adding another)."""
    stmt = select(blacklist_entries.c.id).where(
        open_at(now), blacklist_entries.c.subject_type == kind.value, blacklist_entries.c.subject_key == key
    )
    return (await uow.conn.execute(stmt)).first() is not None


def already_listed() -> ValidationFailed:
    """The refusal of a second entry on one subject."""
    return ValidationFailed(
        "This subject is already on the blacklist; change its entry instead",
        details={"field": "subject_listed", "reason": "already_listed"},
    )


async def identity_subjects(uow: UnitOfWork, keys: KeyRing, account: Any) -> list[tuple[str, str, str]]:
    """(HMAC, kind, masked label) of each number the account verified with; staff never see or type the numbers."""
    ident = (await uow.conn.execute(select(identities).where(identities.c.user_id == account.id))).one_or_none()
    found: list[tuple[str, str, str]] = []
    if ident is not None and ident.phone_hmac and ident.phone_ct:
        masked = mask_phone(keys.decrypt(ident.phone_ct, aad=aad("phone", account.id)))
        found.append((ident.phone_hmac, "phone", f"{masked} @{account.username}"))
    if ident is not None and ident.id_hmac and ident.id_number_ct:
        masked = mask_id_number(keys.decrypt(ident.id_number_ct, aad=aad("id_number", account.id)))
        found.append((ident.id_hmac, "id", f"{masked} @{account.username}"))
    if not found:
        raise ValidationFailed(
            "This account has no verified identity to blacklist", details={"field": "subject", "reason": "no_identity"}
        )
    return found


async def add_group(
    uow: UnitOfWork, *, staff: UserView, code: str, terms: Terms, proof: dict[str, Any], reason_code: str, ctx: Ctx
) -> Any:
    """A group entry: the group closed by a measure citing the entry, its owner's account and identity recorded."""
    parsed = parse_group_code(code)
    group = (await uow.conn.execute(select(groups).where(groups.c.code == parsed).with_for_update())).one_or_none()
    if group is None:
        raise ValidationFailed("No group has this code", details={"field": "subject", "reason": "not_found"})
    if await listed(uow, SubjectType.GROUP, str(group.id), ctx.now):
        raise already_listed()
    owner = {"user_id": group.owner_id, "identity": await identity_hmacs(uow, group.owner_id), "group_name": group.name}
    row = await insert_entry(
        uow,
        subject_type=SubjectType.GROUP,
        subject_key=str(group.id),
        label=f"{group.name} ({group.code})",
        terms=terms,
        evidence={**proof, "owner": owner},
        record_id=proof["record_id"],
        actor=staff.id,
        now=ctx.now,
    )
    if group.status != "closed":
        spec = MeasureSpec(
            kind=MeasureKind.GROUP_CLOSE,
            target_id=group.id,
            reason_code=reason_code,
            reason=terms.reason,
            evidence_message_ids=tuple(proof["message_ids"]),
            source="blacklist",
            source_ref=f"blacklist:{row.id}",
        )
        closed = await apply_measure(uow, spec=spec, decided_by=staff.id, ctx=ctx)
        await uow.conn.execute(
            update(blacklist_entries).where(blacklist_entries.c.id == row.id).values(record_id=closed)
        )
        row = await entry_row(uow, row.id)
    return row
