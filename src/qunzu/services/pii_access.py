"""Revealing personal data (R-6.2-2): compliance officers only, with a purpose and a case number, always recorded.

The record is append-only (database triggers refuse UPDATE and DELETE) and hash-chained, so a removed or altered
row is detected by `verify_chain`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, text

from qunzu.context import Ctx
from qunzu.domain import identity as rules
from qunzu.domain.accounts import StaffRole
from qunzu.domain.staff import PII_RECORD_READERS, require_staff_role
from qunzu.errors import ErrorCode, Forbidden, NotFound
from qunzu.services.identity import aad
from qunzu.services.views import UserView
from qunzu.storage.crypto import KeyRing
from qunzu.storage.tables import identities, pii_access_log, users
from qunzu.storage.uow import Database, UnitOfWork

GENESIS = "0" * 64
CHAINED = ("ts", "staff_id", "staff_role", "subject_user_id", "purpose", "case_number", "src_ip", "src_port")
FIELD_COLUMNS = {"phone": "phone_ct", "name": "name_ct", "id_number": "id_number_ct"}


@dataclass(frozen=True, slots=True)
class Reveal:
    user_id: int
    values: dict[str, str | None]
    record_id: int
    at: datetime


def row_hash(prev: str, entry: dict[str, Any]) -> str:
    canonical = json.dumps(entry, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256((prev + canonical).encode()).hexdigest()


def _entry(**kw: Any) -> dict[str, Any]:
    kw["ts"] = kw["ts"].isoformat(timespec="milliseconds")
    return kw


async def reveal_identity(
    db: Database,
    keys: KeyRing,
    *,
    staff: UserView,
    user_id: int,
    fields: list[str],
    purpose: str,
    case_number: str,
    ctx: Ctx,
) -> Reveal:
    """Show a user's real data to a compliance officer, recording who, whose, which fields, why and when."""
    if staff.staff_role != StaffRole.COMPLIANCE_OFFICER.value:
        raise Forbidden(
            "Only compliance officers may reveal personal data",
            code=ErrorCode.FORBIDDEN,
            details={"required": StaffRole.COMPLIANCE_OFFICER.value},
        )
    purpose, case_number, chosen = rules.check_reveal_request(purpose=purpose, case_number=case_number, fields=fields)
    async with db.uow() as uow:
        if uow.dialect == "postgresql":
            await uow.conn.execute(text("SELECT pg_advisory_xact_lock(7306070001)"))  # one chain writer at a time
        ident = (await uow.conn.execute(select(identities).where(identities.c.user_id == user_id))).one_or_none()
        exists = (await uow.conn.execute(select(users.c.id).where(users.c.id == user_id))).scalar_one_or_none()
        if exists is None:
            raise NotFound("No such user")
        values: dict[str, str | None] = {}
        for f in chosen:
            ct = getattr(ident, FIELD_COLUMNS[f]) if ident is not None else None
            values[f] = keys.decrypt(ct, aad=aad(f, user_id)) if ct else None
        record_id = await append_record(
            uow, staff_id=staff.id, staff_role=staff.staff_role or "", subject_user_id=user_id, fields=chosen,
            purpose=purpose, case_number=case_number, ctx=ctx, locked=True,
        )  # fmt: skip
        await uow.commit()
    return Reveal(user_id=user_id, values=values, record_id=record_id, at=ctx.now)


async def append_record(
    uow: UnitOfWork,
    *,
    staff_id: int,
    staff_role: str,
    subject_user_id: int,
    fields: list[str],
    purpose: str,
    case_number: str,
    ctx: Ctx,
    locked: bool = False,
) -> int:
    """Append one reveal to the chained record in the caller's transaction (a staff reveal above; the identities an
    answered lawful request discloses, services/lawful_requests.py). `locked`: the caller holds the chain's lock."""
    if uow.dialect == "postgresql" and not locked:
        await uow.conn.execute(text("SELECT pg_advisory_xact_lock(7306070001)"))  # one chain writer at a time
    prev = (
        await uow.conn.execute(select(pii_access_log.c.row_hash).order_by(pii_access_log.c.id.desc()).limit(1))
    ).scalar_one_or_none() or GENESIS
    record = {
        "ts": ctx.now,
        "staff_id": staff_id,
        "staff_role": staff_role,
        "subject_user_id": subject_user_id,
        "fields": fields,
        "purpose": purpose,
        "case_number": case_number,
        "src_ip": ctx.ip,
        "src_port": ctx.port,
    }
    return int(
        (
            await uow.conn.execute(
                insert(pii_access_log)
                .values(**record, prev_hash=prev, row_hash=row_hash(prev, _entry(**record)))
                .returning(pii_access_log.c.id)
            )
        ).scalar_one()
    )


async def access_log(db: Database, *, staff: UserView, user_id: int | None = None, limit: int = 200) -> list[Any]:
    """The reveal record, newest first (compliance officers and administrators)."""
    require_staff_role(staff.staff_role, PII_RECORD_READERS)
    async with db.uow(write=False) as uow:
        stmt = select(pii_access_log).order_by(pii_access_log.c.id.desc()).limit(limit)
        if user_id is not None:
            stmt = stmt.where(pii_access_log.c.subject_user_id == user_id)
        return list(await uow.conn.execute(stmt))


async def verify_chain(db: Database) -> tuple[bool, int | None]:
    """Recompute the hash chain. Returns (intact, id of the first bad row)."""
    prev = GENESIS
    async with db.uow(write=False) as uow:
        rows = await uow.conn.execute(select(pii_access_log).order_by(pii_access_log.c.id))
        for r in rows:
            entry = _entry(**{k: getattr(r, k) for k in CHAINED}, fields=list(r.fields))
            if r.prev_hash != prev or r.row_hash != row_hash(prev, entry):
                return False, int(r.id)
            prev = r.row_hash
    return True, None
