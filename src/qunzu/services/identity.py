"""Real identity: phone verification (L1), name + ID verification (L2), manual review, masked views (Art. 6).

后台实名、前台自愿: the real identity is verified and kept encrypted in the back end; other users see only the
nickname and a "verified" badge; the user sees their own data masked; staff see it masked unless a compliance officer
reveals it with a purpose and a case number (see services/pii_access.py).
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from qunzu.config import IdentitySettings
from qunzu.domain import identity as rules
from qunzu.domain.identity import Level
from qunzu.domain.staff import (
    ANY_STAFF,
    require_staff_role,
)
from qunzu.errors import Conflict, ErrorCode, Forbidden, NotFound, QunzuError, RateLimited, ValidationFailed
from qunzu.services.context import Ctx
from qunzu.services.sms_outbox import keep_in_outbox
from qunzu.services.throttle import Throttle
from qunzu.services.verifiers import IdVerifier, SmsSender
from qunzu.services.views import UserView
from qunzu.storage import oplog
from qunzu.storage.crypto import KeyRing
from qunzu.storage.tables import (
    identities,
    identity_slots,
    manual_submissions,
    phone_challenges,
    users,
    verifications,
)
from qunzu.storage.uow import Database, UnitOfWork

log = structlog.get_logger(__name__)
CHINA = ZoneInfo("Asia/Shanghai")


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
    phone: str  # masked
    expires_at: datetime
    resend_after: datetime
    sender: str
    authoritative: bool


def aad(field: str, user_id: int) -> str:
    return f"identities.{field}:{user_id}"


def today(ctx: Ctx) -> Any:
    return ctx.now.astimezone(CHINA).date()


# --- L1: mobile number by one-time code ---------------------------------------------------------------------------


async def start_phone_verification(
    db: Database,
    keys: KeyRing,
    sms: SmsSender,
    *,
    actor: int,
    phone: str,
    ctx: Ctx,
    settings: IdentitySettings,
    throttle: Throttle | None = None,
) -> PhoneChallengeView:
    """Send a one-time code to a mainland mobile number. Codes expire; resending is throttled, and with a
    `throttle` the codes sent per account and per source are limited (each one is an SMS that costs money)."""
    e164 = rules.normalise_mainland_mobile(phone)
    phone_hmac = keys.blind_index("phone", e164)
    code = f"{secrets.randbelow(1_000_000):06d}"
    async with db.uow() as uow:
        last = (
            await uow.conn.execute(
                select(phone_challenges.c.created_at)
                .where(phone_challenges.c.user_id == actor)
                .order_by(phone_challenges.c.id.desc())
                .limit(1)
            )
        ).scalar_one_or_none()
        if last is not None and ctx.now < last + timedelta(seconds=settings.resend_seconds):
            wait = int((last + timedelta(seconds=settings.resend_seconds) - ctx.now).total_seconds()) + 1
            raise RateLimited(
                f"Wait {wait} s before asking for another code",
                code=ErrorCode.RESEND_TOO_SOON,
                details={"retry_after": wait},
            )
        await _check_slot(
            uow, f"phone:{phone_hmac}", actor=actor, cap=settings.accounts_per_identity, kind="mobile number"
        )
        if throttle is not None:  # counted only when a code would really be sent
            await throttle.phone_code(user_id=actor, ip=ctx.ip, now=ctx.now)
        expires = ctx.now + timedelta(seconds=settings.code_ttl_seconds)
        await uow.conn.execute(
            insert(phone_challenges).values(
                user_id=actor,
                phone_ct=keys.encrypt(e164, aad=f"phone_challenges.phone:{actor}"),
                phone_hmac=phone_hmac,
                code_hash=keys.blind_index("otp", f"{actor}:{code}"),
                created_at=ctx.now,
                expires_at=expires,
            )
        )
        text = settings.sms_http.template.format(code=code, minutes=settings.code_ttl_seconds // 60)
        if sms.keeps_outbox:
            await keep_in_outbox(uow, keys, user_id=actor, e164=e164, text=text, now=ctx.now)
        await sms.send(e164, text)  # before commit: if the gateway fails, no challenge is left behind
        await oplog.append(
            uow.conn, ts=ctx.now, actor_id=actor, action="identity.phone_code_sent", ip=ctx.ip, port=ctx.port
        )
        await uow.commit()
    return PhoneChallengeView(
        phone=rules.mask_phone(e164),
        expires_at=expires,
        resend_after=ctx.now + timedelta(seconds=settings.resend_seconds),
        sender=sms.name,
        authoritative=sms.authoritative,
    )


async def confirm_phone_code(
    db: Database,
    keys: KeyRing,
    sms: SmsSender,
    *,
    actor: int,
    code: str,
    ctx: Ctx,
    settings: IdentitySettings,
    throttle: Throttle | None = None,
) -> IdentityView:
    """Check the code. Wrong codes count; after `code_max_attempts` the code is locked. With a `throttle`, the
    tries per account and per source are limited too (a new code per lock would otherwise reset the count)."""
    if throttle is not None:
        await throttle.phone_confirm(user_id=actor, ip=ctx.ip, now=ctx.now)
    code = code.strip()
    failure: QunzuError | None = None
    async with db.uow() as uow:
        ch = (
            await uow.conn.execute(
                select(phone_challenges)
                .where(phone_challenges.c.user_id == actor, phone_challenges.c.used_at.is_(None))
                .order_by(phone_challenges.c.id.desc())
                .limit(1)
            )
        ).one_or_none()
        if ch is None:
            raise ValidationFailed("Ask for a code first", code=ErrorCode.CODE_INVALID)
        if ch.locked_at is not None:
            raise Forbidden("Too many wrong codes; ask for a new code", code=ErrorCode.CODE_LOCKED)
        if ctx.now >= ch.expires_at:
            raise ValidationFailed("This code has expired; ask for a new one", code=ErrorCode.CODE_EXPIRED)
        if not secrets.compare_digest(keys.blind_index("otp", f"{actor}:{code}"), ch.code_hash):
            attempts = ch.attempts + 1
            locked = attempts >= settings.code_max_attempts
            await uow.conn.execute(
                update(phone_challenges)
                .where(phone_challenges.c.id == ch.id)
                .values(attempts=attempts, locked_at=ctx.now if locked else None)
            )
            await uow.commit()  # the wrong try is counted even though the request fails
            failure = (
                Forbidden("Too many wrong codes; ask for a new code", code=ErrorCode.CODE_LOCKED)
                if locked
                else ValidationFailed(
                    "That code is not right",
                    code=ErrorCode.CODE_INVALID,
                    details={"attempts_left": settings.code_max_attempts - attempts},
                )
            )
        else:
            e164 = keys.decrypt(ch.phone_ct, aad=f"phone_challenges.phone:{actor}")
            ident = await identity_row(uow, actor)
            if ident is None or ident.phone_hmac != ch.phone_hmac:
                await _claim_slot(
                    uow, f"phone:{ch.phone_hmac}", cap=settings.accounts_per_identity, kind="mobile number"
                )
                if ident is not None and ident.phone_hmac:
                    await _release_slot(uow, f"phone:{ident.phone_hmac}")
            level = max(Level.L1, ident.level if ident is not None and ident.lapsed_at is None else 0)
            values = {
                "phone_ct": keys.encrypt(e164, aad=aad("phone", actor)),
                "phone_hmac": ch.phone_hmac,
                "phone_verified_at": ctx.now,
                "lapsed_at": None,
                "level": level,
            }
            await _upsert_identity(uow, actor, values)
            await uow.conn.execute(
                update(phone_challenges).where(phone_challenges.c.id == ch.id).values(used_at=ctx.now)
            )
            await set_level(uow, actor, level)
            await record_verification(
                uow,
                actor,
                level=Level.L1,
                method=f"sms:{sms.name}",
                result="passed",
                authoritative=sms.authoritative,
                txn=None,
                ctx=ctx,
            )
            await uow.commit()
    if failure is not None:
        raise failure
    return await my_identity(db, keys, actor=actor)


# --- L2: real name + resident ID number ----------------------------------------------------------------------------


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
    id_hmac = keys.blind_index("id", rid.number)
    async with db.uow(write=False) as uow:
        ident = await identity_row(uow, actor)
        if ident is None or ident.phone_verified_at is None or ident.lapsed_at is not None:
            raise Forbidden(
                "Verify your mobile number first",
                code=ErrorCode.VERIFICATION_LEVEL_REQUIRED,
                details={"required_level": 1},
            )
        if ident.level >= Level.L2 and ident.id_hmac == id_hmac:
            raise Conflict("This identity is already verified", code=ErrorCode.VALIDATION_FAILED)
        await _check_slot(uow, f"id:{id_hmac}", actor=actor, cap=settings.accounts_per_identity, kind="ID number")
        pending = (
            await uow.conn.execute(
                select(manual_submissions.c.id).where(
                    manual_submissions.c.user_id == actor, manual_submissions.c.status == "pending"
                )
            )
        ).first()
        if pending is not None:
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
            sub_id = (
                await uow.conn.execute(
                    insert(manual_submissions)
                    .values(
                        user_id=actor,
                        status="pending",
                        created_at=ctx.now,
                        name_ct=keys.encrypt(clean_name, aad=f"manual_submissions.name:{actor}"),
                        id_number_ct=keys.encrypt(rid.number, aad=f"manual_submissions.id_number:{actor}"),
                        document_ct=keys.encrypt(
                            base64.b64encode(document or b"").decode(), aad=f"manual_submissions.document:{actor}"
                        ),
                        document_type=document_type,
                    )
                    .returning(manual_submissions.c.id)
                )
            ).scalar_one()
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
                id_hmac,
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
    id_hmac: str,
    *,
    cap: int,
    ctx: Ctx,
    method: str,
    authoritative: bool,
    txn: str | None,
    decided_by: int | None,
    submission_id: int | None = None,
) -> None:
    ident = await identity_row(uow, actor)
    assert ident is not None
    if ident.id_hmac != id_hmac:
        await _claim_slot(uow, f"id:{id_hmac}", cap=cap, kind="ID number")
        if ident.id_hmac:
            await _release_slot(uow, f"id:{ident.id_hmac}")
    await _upsert_identity(
        uow,
        actor,
        {
            "name_ct": keys.encrypt(name, aad=aad("name", actor)),
            "id_number_ct": keys.encrypt(rid.number, aad=aad("id_number", actor)),
            "id_hmac": id_hmac,
            "birth_year": rid.birth_date.year,
            "id_verified_at": ctx.now,
            "level": int(Level.L2),
        },
    )
    await set_level(uow, actor, Level.L2)
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


# --- views ---------------------------------------------------------------------------------------------------------


async def my_identity(db: Database, keys: KeyRing, *, actor: int) -> IdentityView:
    """The user's own identity, masked (138****1234, 110101**********1X, 张*)."""
    return await _masked(db, keys, user_id=actor)


async def staff_identity(db: Database, keys: KeyRing, *, staff: UserView, user_id: int) -> IdentityView:
    """Any staff member sees a user's identity masked; revealing it is services/pii_access.py."""
    require_staff_role(staff.staff_role, ANY_STAFF)
    return await _masked(db, keys, user_id=user_id)


async def _masked(db: Database, keys: KeyRing, *, user_id: int) -> IdentityView:
    async with db.uow(write=False) as uow:
        exists = (await uow.conn.execute(select(users.c.id).where(users.c.id == user_id))).scalar_one_or_none()
        if exists is None:
            raise NotFound("No such user")
        ident = await identity_row(uow, user_id)
        history = list(
            await uow.conn.execute(
                select(verifications).where(verifications.c.user_id == user_id).order_by(verifications.c.id.desc())
            )
        )
        pending = (
            await uow.conn.execute(
                select(manual_submissions.c.id).where(
                    manual_submissions.c.user_id == user_id, manual_submissions.c.status == "pending"
                )
            )
        ).first()
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
        return IdentityView(0, None, None, None, None, None, False, pending is not None, False, methods)
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
        pending_review=pending is not None,
        authoritative=all(bool(v.authoritative) for v in passed) if passed else False,
        methods=methods,
    )


# --- helpers ---------------------------------------------------------------------------------------------------------


async def identity_row(uow: UnitOfWork, user_id: int) -> Any:
    return (await uow.conn.execute(select(identities).where(identities.c.user_id == user_id))).one_or_none()


async def _upsert_identity(uow: UnitOfWork, user_id: int, values: dict[str, Any]) -> None:
    done = await uow.conn.execute(update(identities).where(identities.c.user_id == user_id).values(**values))
    if done.rowcount == 0:
        await uow.conn.execute(insert(identities).values(user_id=user_id, **values))


async def set_level(uow: UnitOfWork, user_id: int, level: int) -> None:
    await uow.conn.execute(update(users).where(users.c.id == user_id).values(verification_level=int(level)))


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
    await uow.conn.execute(
        insert(verifications).values(
            user_id=user_id,
            level=int(level),
            method=method,
            result=result,
            authoritative=1 if authoritative else 0,
            vendor_txn=txn,
            reason=reason,
            created_at=ctx.now,
            decided_by=decided_by,
            submission_id=submission_id,
        )
    )
    await oplog.append(
        uow.conn,
        ts=ctx.now,
        actor_id=decided_by or user_id,
        action=f"identity.verify.{result}",
        target_type="user",
        target_id=user_id,
        ip=ctx.ip,
        port=ctx.port,
        details={"level": int(level), "method": method},
    )


async def _check_slot(uow: UnitOfWork, subject: str, *, actor: int, cap: int, kind: str) -> None:
    """Early refusal when an identity is at its cap (the binding check is the conditional update in _claim_slot)."""
    count = (
        await uow.conn.execute(select(identity_slots.c.accounts).where(identity_slots.c.subject == subject))
    ).scalar_one_or_none()
    column = identities.c.phone_hmac if subject.startswith("phone:") else identities.c.id_hmac
    mine = (
        await uow.conn.execute(
            select(identities.c.user_id).where(identities.c.user_id == actor, column == subject.split(":", 1)[1])
        )
    ).first()
    if count is not None and count >= cap and mine is None:
        raise rules.identity_limit_error(cap=cap, kind=kind)


async def _claim_slot(uow: UnitOfWork, subject: str, *, cap: int, kind: str) -> None:
    """Count one more account for an identity, atomically under the cap (R-6.1-6)."""
    moved = await uow.conn.execute(
        update(identity_slots)
        .where(identity_slots.c.subject == subject, identity_slots.c.accounts < cap)
        .values(accounts=identity_slots.c.accounts + 1)
    )
    if moved.rowcount == 1:
        return
    exists = (
        await uow.conn.execute(select(identity_slots.c.accounts).where(identity_slots.c.subject == subject))
    ).scalar_one_or_none()
    if exists is not None:
        raise rules.identity_limit_error(cap=cap, kind=kind)
    try:
        async with uow.conn.begin_nested():
            await uow.conn.execute(insert(identity_slots).values(subject=subject, accounts=1))
    except IntegrityError:  # a concurrent first claim inserted it: count on the row it made
        await _claim_slot(uow, subject, cap=cap, kind=kind)


async def _release_slot(uow: UnitOfWork, subject: str) -> None:
    await uow.conn.execute(
        update(identity_slots)
        .where(identity_slots.c.subject == subject, identity_slots.c.accounts > 0)
        .values(accounts=identity_slots.c.accounts - 1)
    )


async def release_identity(uow: UnitOfWork, user_id: int, *, purge_after: datetime) -> None:
    """On account cancellation: the identity no longer counts towards its cap; its encrypted copy waits for purge."""
    ident = await identity_row(uow, user_id)
    if ident is None:
        return
    if ident.phone_hmac:
        await _release_slot(uow, f"phone:{ident.phone_hmac}")
    if ident.id_hmac:
        await _release_slot(uow, f"id:{ident.id_hmac}")
    await uow.conn.execute(
        update(identities)
        .where(identities.c.user_id == user_id)
        .values(level=0, purge_after=purge_after, phone_hmac=None, id_hmac=None)
    )
