"""What people see of an identity (R-6.1-3, R-6.2-2): the user their own, masked (138****1234,
110101**********1X, 张*); staff anyone's, masked too. Revealing one is services/pii_access.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from qunzu.domain import identity as rules
from qunzu.domain.staff import ANY_STAFF, require_staff_role
from qunzu.errors import NotFound
from qunzu.services.identity.standing import aad
from qunzu.services.views import UserView
from qunzu.storage.crypto import KeyRing
from qunzu.storage.identity import accounts, identities, manual_submissions, verifications
from qunzu.storage.uow import Database


@dataclass(frozen=True, slots=True)
class IdentityView:
    """What the user (masked) or staff (masked) see of an identity."""

    level: int
    phone: str | None
    name: str | None
    id_number: str | None
    phone_verified_at: datetime | None
    id_verified_at: datetime | None
    lapsed: bool
    pending_review: bool
    authoritative: bool
    methods: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class PhoneChallengeView:
    """A code was sent: to which number (masked), until when it is valid, when another may be asked for, by whom."""

    phone: str  # masked
    expires_at: datetime
    resend_after: datetime
    sender: str
    authoritative: bool


async def my_identity(db: Database, keys: KeyRing, *, actor: int) -> IdentityView:
    """The user's own identity, masked (138****1234, 110101**********1X, 张*)."""
    return await _masked(db, keys, user_id=actor)


async def staff_identity(db: Database, keys: KeyRing, *, staff: UserView, user_id: int) -> IdentityView:
    """Any staff member sees a user's identity masked; revealing it is services/pii_access.py."""
    require_staff_role(staff.staff_role, ANY_STAFF)
    return await _masked(db, keys, user_id=user_id)


async def _masked(db: Database, keys: KeyRing, *, user_id: int) -> IdentityView:
    async with db.uow(write=False) as uow:
        if not await accounts.exists(uow.conn, user_id):
            raise NotFound("No such user")
        ident = await identities.row(uow.conn, user_id)
        history = await verifications.history(uow.conn, user_id)
        pending = await manual_submissions.has_pending(uow.conn, user_id)
    methods = [
        {
            "level": v.level,
            "method": v.method,
            "result": v.result,
            "authoritative": bool(v.authoritative),
            "at": v.created_at,
        }
        for v in history
    ]
    if ident is None:
        return IdentityView(0, None, None, None, None, None, False, pending, False, methods)
    passed = [v for v in history if v.result == "passed"]
    return IdentityView(
        level=ident.level,
        phone=rules.mask_phone(keys.decrypt(ident.phone_ct, aad=aad("phone", user_id))) if ident.phone_ct else None,
        name=rules.mask_name(keys.decrypt(ident.name_ct, aad=aad("name", user_id))) if ident.name_ct else None,
        id_number=(
            rules.mask_id_number(keys.decrypt(ident.id_number_ct, aad=aad("id_number", user_id)))
            if ident.id_number_ct
            else None
        ),
        phone_verified_at=ident.phone_verified_at,
        id_verified_at=ident.id_verified_at,
        lapsed=ident.lapsed_at is not None,
        pending_review=pending,
        authoritative=all(bool(v.authoritative) for v in passed) if passed else False,
        methods=methods,
    )
