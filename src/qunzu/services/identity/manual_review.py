"""Staff review of `manual` ID verifications (R-6.1-1): the queue with the submitted data masked, the ID card photo
for the reviewer deciding it, and the decision, after which the submitted copies are erased."""

from __future__ import annotations

import base64
from typing import Any

from qunzu import netlog
from qunzu.config import IdentitySettings
from qunzu.context import Ctx
from qunzu.domain import identity as rules
from qunzu.domain.identity import Level
from qunzu.domain.staff import VERIFICATION_REVIEWERS, require_staff_role
from qunzu.errors import NotFound, ValidationFailed
from qunzu.netlog import Target
from qunzu.services.identity.id_check import grant_l2, today
from qunzu.services.identity.slots import id_slot
from qunzu.services.identity.standing import record_verification
from qunzu.services.views import UserView
from qunzu.storage.crypto import KeyRing
from qunzu.storage.identity import manual_submissions
from qunzu.storage.uow import Database


async def pending_reviews(db: Database, keys: KeyRing, *, staff: UserView) -> list[dict[str, Any]]:
    """Manual verifications waiting for staff, with the submitted data masked."""
    require_staff_role(staff.staff_role, VERIFICATION_REVIEWERS)
    async with db.uow(write=False) as uow:
        rows = await manual_submissions.pending_with_nickname(uow.conn)
    return [
        {
            "id": r.id,
            "user_id": r.user_id,
            "nickname": r.nickname,
            "submitted_at": r.created_at,
            "name": rules.mask_name(keys.decrypt(r.name_ct, aad=f"manual_submissions.name:{r.user_id}")),
            "id_number": rules.mask_id_number(
                keys.decrypt(r.id_number_ct, aad=f"manual_submissions.id_number:{r.user_id}")
            ),
            "document_type": r.document_type,
        }
        for r in rows
    ]


async def submission_document(
    db: Database, keys: KeyRing, *, staff: UserView, submission_id: int, ctx: Ctx
) -> tuple[bytes, str]:
    """The ID card photo of a pending submission, for the reviewer deciding it (the view is recorded)."""
    require_staff_role(staff.staff_role, VERIFICATION_REVIEWERS)
    async with db.uow() as uow:
        row = await manual_submissions.pending(uow.conn, submission_id)
        if row is None or row.document_ct is None:
            raise NotFound("No pending submission with this number")
        await netlog.record(uow, ctx, "identity.review_document_viewed", Target.user(row.user_id), actor=staff.id)
        await uow.commit()
    raw = base64.b64decode(keys.decrypt(row.document_ct, aad=f"manual_submissions.document:{row.user_id}"))
    return raw, row.document_type or "application/octet-stream"


async def decide_review(
    db: Database,
    keys: KeyRing,
    *,
    staff: UserView,
    submission_id: int,
    approve: bool,
    reason: str,
    ctx: Ctx,
    settings: IdentitySettings,
) -> None:
    """A reviewer approves or rejects a manual verification; the submitted copies are then erased."""
    require_staff_role(staff.staff_role, VERIFICATION_REVIEWERS)
    reason = reason.strip()
    if not reason and not approve:
        raise ValidationFailed("Give the reason for the rejection", details={"field": "reason"})
    async with db.uow() as uow:
        row = await manual_submissions.pending(uow.conn, submission_id)
        if row is None:
            raise NotFound("No pending submission with this number")
        actor = row.user_id
        if approve:
            name = keys.decrypt(row.name_ct, aad=f"manual_submissions.name:{actor}")
            rid = rules.parse_resident_id(
                keys.decrypt(row.id_number_ct, aad=f"manual_submissions.id_number:{actor}"), today=today(ctx)
            )
            await grant_l2(
                uow,
                keys,
                actor,
                name,
                rid,
                id_slot(keys, rid.number),
                cap=settings.accounts_per_identity,
                ctx=ctx,
                method="id:manual",
                authoritative=True,
                txn=f"manual-{submission_id}",
                decided_by=staff.id,
                submission_id=submission_id,
            )
        else:
            await record_verification(
                uow,
                actor,
                level=Level.L2,
                method="id:manual",
                result="rejected",
                authoritative=True,
                txn=f"manual-{submission_id}",
                ctx=ctx,
                reason=reason[:200],
                decided_by=staff.id,
                submission_id=submission_id,
            )
        await manual_submissions.close(uow.conn, submission_id)
        await netlog.record(
            uow,
            ctx,
            "identity.review_approve" if approve else "identity.review_reject",
            Target.user(actor),
            actor=staff.id,
            reason=reason[:200],
        )
        await uow.commit()
