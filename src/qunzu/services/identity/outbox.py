"""The development SMS outbox: what the console sender 'sent' (one-time codes, lock notices), kept so that a
developer without a gateway can read it. Live codes: administrators only."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from qunzu.domain import identity as rules
from qunzu.domain.staff import OUTBOX_READERS, require_staff_role
from qunzu.services.views import UserView
from qunzu.storage.crypto import KeyRing
from qunzu.storage.identity import sms_outbox
from qunzu.storage.uow import Database, UnitOfWork


async def keep_in_outbox(uow: UnitOfWork, keys: KeyRing, *, user_id: int, e164: str, text: str, now: datetime) -> None:
    """Record a text message the development (console) sender 'sent': the number encrypted and masked."""
    await sms_outbox.add(
        uow.conn,
        created_at=now,
        user_id=user_id,
        phone_ct=keys.encrypt(e164, aad=f"sms_outbox.phone:{user_id}"),
        phone_masked=rules.mask_phone(e164),
        body=text,
    )


async def outbox_messages(db: Database, *, staff: UserView, user_id: int | None = None, limit: int = 100) -> list[Any]:
    """The development SMS outbox (console sender only): what was 'sent', phone masked; optionally for one user.

    Administrators only: it holds live one-time codes, which would let a reviewer verify any number as anyone."""
    require_staff_role(staff.staff_role, OUTBOX_READERS)
    async with db.uow(write=False) as uow:
        return await sms_outbox.newest(uow.conn, user_id=user_id, limit=limit)


async def dev_last_code(db: Database, *, actor: int) -> str | None:
    """Development only (console sender): the one-time code most recently 'sent' to this user, from the outbox."""
    async with db.uow(write=False) as uow:
        body = await sms_outbox.last_body(uow.conn, actor)
    found = re.search(r"(?<!\d)(\d{6})(?!\d)", body or "")
    return found.group(1) if found else None
