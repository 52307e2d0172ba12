"""L2: real name + resident ID number (R-6.1-1, R-6.1-2): checked locally (GB 11643), then by the configured
verifier; with the `manual` verifier the submission waits for staff (manual_review.py). L2 needs L1 first."""

from __future__ import annotations

import base64
from datetime import date
from zoneinfo import ZoneInfo

from qunzu.config import IdentitySettings
from qunzu.context import Ctx
from qunzu.domain import identity as rules
from qunzu.domain.identity import Level
from qunzu.errors import Conflict, ErrorCode, Forbidden, ValidationFailed
from qunzu.services import blacklist_gate
from qunzu.services.blacklist_effects import on_identity_bound
from qunzu.services.identity.slots import IdentitySlot, check_slot, claim_slot, id_slot, release_slot
from qunzu.services.identity.standing import aad, record_verification
from qunzu.services.identity.views import IdentityView, my_identity
from qunzu.services.verifiers import IdVerifier
from qunzu.storage.crypto import KeyRing
from qunzu.storage.identity import accounts, identities, manual_submissions
from qunzu.storage.uow import Database, UnitOfWork

CHINA = ZoneInfo("Asia/Shanghai")


def today(ctx: Ctx) -> date:
    """Today's date in China, for the age and validity rules of an ID number."""
    return ctx.now.astimezone(CHINA).date()


async def verify_id(
    db: Database,
    keys: KeyRing,
    verifier: IdVerifier,
    *,
    actor: int,
    name: str,
    id_number: str,
    ctx: Ctx,
    settings: IdentitySettings,
    document: bytes | None = None,
    document_type: str | None = None,
) -> IdentityView:
    """Check name + ID number: locally (GB 11643), then by the configured verifier (or staff, for `manual`)."""
    clean_name = rules.normalise_name(name)
    rid = rules.parse_resident_id(id_number, today=today(ctx))
    slot = id_slot(keys, rid.number)
    async with db.uow(write=False) as uow:
        ident = await identities.row(uow.conn, actor)
        if ident is None or ident.phone_verified_at is None or ident.lapsed_at is not None:
            raise Forbidden(
                "Verify your mobile number first",
                code=ErrorCode.VERIFICATION_LEVEL_REQUIRED,
                details={"required_level": 1},
            )
        if ident.level >= Level.L2 and ident.id_hmac == slot.hmac:
            raise Conflict("This identity is already verified", code=ErrorCode.VALIDATION_FAILED)
        await check_slot(uow, slot, actor=actor, cap=settings.accounts_per_identity)
        await blacklist_gate.check_identity_may_verify(uow, slot.hmac, now=ctx.now)  # R-11.3-2
        await blacklist_gate.check_identity_may_change(uow, ident.id_hmac, slot.hmac, now=ctx.now)  # R-11.3-1
        if await manual_submissions.has_pending(uow.conn, actor):
            raise Conflict("Your submission is waiting for review", code=ErrorCode.VERIFICATION_PENDING)
    if verifier.name == "manual":
        if document is None:
            raise ValidationFailed("Attach a photo of the ID card for staff review", details={"field": "document"})
        if len(document) > settings.document_max_bytes or document_type not in ("image/jpeg", "image/png"):
            raise ValidationFailed(
                f"The document must be a JPEG or PNG image of at most {settings.document_max_bytes // 1024 // 1024} MB",
                details={"field": "document"},
            )
    result = await verifier.verify(name=clean_name, id_number=rid.number)  # outside any transaction: a network call
    async with db.uow() as uow:
        if result.outcome == "pending":
            sub_id = await manual_submissions.add_pending(
                uow.conn,
                user_id=actor,
                created_at=ctx.now,
                name_ct=keys.encrypt(clean_name, aad=f"manual_submissions.name:{actor}"),
                id_number_ct=keys.encrypt(rid.number, aad=f"manual_submissions.id_number:{actor}"),
                document_ct=keys.encrypt(
                    base64.b64encode(document or b"").decode(), aad=f"manual_submissions.document:{actor}"
                ),
                document_type=document_type,
            )
            await record_verification(
                uow,
                actor,
                level=Level.L2,
                method=f"id:{verifier.name}",
                result="pending",
                authoritative=verifier.authoritative,
                txn=result.txn_id,
                ctx=ctx,
                submission_id=sub_id,
            )
        elif result.outcome == "match":
            await grant_l2(
                uow,
                keys,
                actor,
                clean_name,
                rid,
                slot,
                cap=settings.accounts_per_identity,
                ctx=ctx,
                method=f"id:{verifier.name}",
                authoritative=verifier.authoritative,
                txn=result.txn_id,
                decided_by=None,
            )
        else:
            await record_verification(
                uow,
                actor,
                level=Level.L2,
                method=f"id:{verifier.name}",
                result="failed",
                authoritative=verifier.authoritative,
                txn=result.txn_id,
                ctx=ctx,
                reason=result.reason,
            )
        await uow.commit()
    if result.outcome == "mismatch":
        raise ValidationFailed(
            "The name and ID number do not match the verifier's records", code=ErrorCode.IDENTITY_MISMATCH
        )
    return await my_identity(db, keys, actor=actor)


async def grant_l2(
    uow: UnitOfWork,
    keys: KeyRing,
    actor: int,
    name: str,
    rid: rules.ResidentId,
    slot: IdentitySlot,
    *,
    cap: int,
    ctx: Ctx,
    method: str,
    authoritative: bool,
    txn: str | None,
    decided_by: int | None,
    submission_id: int | None = None,
) -> None:
    """Make a checked name + ID number the user's L2 identity: its slot claimed (a previous one released), recorded."""
    ident = await identities.row(uow.conn, actor)
    assert ident is not None
    await blacklist_gate.check_identity_may_verify(uow, slot.hmac, now=ctx.now)  # before anything is written
    await blacklist_gate.check_identity_may_change(uow, ident.id_hmac, slot.hmac, now=ctx.now)
    if ident.id_hmac != slot.hmac:
        await claim_slot(uow, slot, cap=cap)
        if ident.id_hmac:
            await release_slot(uow, IdentitySlot("id", ident.id_hmac))
    await identities.upsert(
        uow.conn,
        actor,
        {
            "name_ct": keys.encrypt(name, aad=aad("name", actor)),
            "id_number_ct": keys.encrypt(rid.number, aad=aad("id_number", actor)),
            "id_hmac": slot.hmac,
            "birth_year": rid.birth_date.year,
            "id_verified_at": ctx.now,
            "level": int(Level.L2),
        },
    )
    await accounts.set_verification_level(uow.conn, actor, Level.L2)
    await on_identity_bound(uow, user_id=actor, now=ctx.now)  # a blacklisted identity: restricted at once
    await record_verification(
        uow,
        actor,
        level=Level.L2,
        method=method,
        result="passed",
        authoritative=authoritative,
        txn=txn,
        ctx=ctx,
        decided_by=decided_by,
        submission_id=submission_id,
    )
