"""A user's standing as a verified identity: the verification record, a lapse (R-6.1-5), release on cancellation.

The level itself is granted by the flows (phone.py for L1, id_check.py for L2); every change of it writes its
record here, in the same transaction (house rule 3).
"""

from __future__ import annotations

from datetime import datetime

from qunzu import netlog
from qunzu.context import Ctx
from qunzu.domain.identity import Level
from qunzu.domain.staff import LAPSE_DECIDERS, require_staff_role
from qunzu.errors import NotFound, ValidationFailed
from qunzu.netlog import Target
from qunzu.services.identity.slots import release_slot, slots_of
from qunzu.services.views import UserView
from qunzu.storage.identity import accounts, identities, verifications
from qunzu.storage.uow import Database, UnitOfWork


def aad(field: str, user_id: int) -> str:
    """The associated data that binds an encrypted `identities` field to its row (storage/crypto.py)."""
    return f"identities.{field}:{user_id}"


async def record_verification(
    uow: UnitOfWork,
    user_id: int,
    *,
    level: int,
    method: str,
    result: str,
    authoritative: bool,
    txn: str | None,
    ctx: Ctx,
    reason: str | None = None,
    decided_by: int | None = None,
    submission_id: int | None = None,
) -> None:
    """The record of a verification: method, level, result, transaction id, time — never the vendor's response."""
    await verifications.add(
        uow.conn,
        user_id=user_id,
        level=level,
        method=method,
        result=result,
        authoritative=authoritative,
        vendor_txn=txn,
        reason=reason,
        created_at=ctx.now,
        decided_by=decided_by,
        submission_id=submission_id,
    )
    await netlog.record(
        uow,
        ctx,
        f"identity.verify.{result}",
        Target.user(user_id),
        actor=decided_by or user_id,
        level=int(level),
        method=method,
    )


async def mark_lapsed(db: Database, *, staff: UserView, user_id: int, reason: str, ctx: Ctx) -> None:
    """An administrator marks a user's verification as no longer valid (e.g. the number was recycled)."""
    require_staff_role(staff.staff_role, LAPSE_DECIDERS)
    if len(reason.strip()) < 4:
        raise ValidationFailed("Give the reason", details={"field": "reason"})
    async with db.uow() as uow:
        ident = await identities.row(uow.conn, user_id)
        if ident is None:
            raise NotFound("This user has no verified identity")
        await identities.mark_lapsed(uow.conn, user_id, now=ctx.now)
        await accounts.set_verification_level(uow.conn, user_id, Level.NONE)
        await record_verification(
            uow,
            user_id,
            level=0,
            method="lapse",
            result="lapsed",
            authoritative=True,
            txn=None,
            ctx=ctx,
            reason=reason.strip()[:200],
            decided_by=staff.id,
        )
        await netlog.record(
            uow,
            ctx,
            "identity.lapse",
            Target.user(user_id),
            actor=staff.id,
            reason=reason.strip()[:200],
        )
        await uow.commit()


async def release_identity(uow: UnitOfWork, user_id: int, *, purge_after: datetime) -> None:
    """On account cancellation: the identity no longer counts towards its cap; its encrypted copy waits for purge."""
    for slot in await slots_of(uow, user_id):
        await release_slot(uow, slot)
    await identities.release(uow.conn, user_id, purge_after=purge_after)
