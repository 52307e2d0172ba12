"""L1: a mainland mobile number by one-time code (R-6.1-2): codes expire, wrong tries lock, resending is throttled,
and the number's slot counts towards the accounts one identity may hold (R-6.1-6)."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from qunzu import netlog
from qunzu.config import IdentitySettings
from qunzu.context import Ctx
from qunzu.domain import identity as rules
from qunzu.domain.identity import Level
from qunzu.errors import ErrorCode, Forbidden, QunzuError, RateLimited, ValidationFailed
from qunzu.services import blacklist_gate
from qunzu.services.blacklist_effects import on_identity_bound
from qunzu.services.identity.outbox import keep_in_outbox
from qunzu.services.identity.slots import IdentitySlot, check_slot, claim_slot, phone_slot, release_slot
from qunzu.services.identity.standing import aad, record_verification
from qunzu.services.identity.views import IdentityView, PhoneChallengeView, my_identity
from qunzu.services.throttle import Throttle
from qunzu.services.verifiers import SmsSender
from qunzu.storage.crypto import KeyRing
from qunzu.storage.identity import accounts, identities, phone_challenges
from qunzu.storage.uow import Database


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
    slot = phone_slot(keys, e164)
    code = f"{secrets.randbelow(1_000_000):06d}"
    async with db.uow() as uow:
        last = await phone_challenges.last_sent_at(uow.conn, actor)
        if last is not None and ctx.now < last + timedelta(seconds=settings.resend_seconds):
            wait = int((last + timedelta(seconds=settings.resend_seconds) - ctx.now).total_seconds()) + 1
            raise RateLimited(
                f"Wait {wait} s before asking for another code",
                code=ErrorCode.RESEND_TOO_SOON,
                details={"retry_after": wait},
            )
        await check_slot(uow, slot, actor=actor, cap=settings.accounts_per_identity)
        await blacklist_gate.check_identity_may_verify(uow, slot.hmac, now=ctx.now)  # R-11.3-2: no code to a banned one
        held = await identities.row(uow.conn, actor)
        await blacklist_gate.check_identity_may_change(uow, held.phone_hmac if held else None, slot.hmac, now=ctx.now)
        if throttle is not None:  # counted only when a code would really be sent
            await throttle.phone_code(user_id=actor, ip=ctx.ip, now=ctx.now)
        expires = ctx.now + timedelta(seconds=settings.code_ttl_seconds)
        await phone_challenges.add(
            uow.conn,
            user_id=actor,
            phone_ct=keys.encrypt(e164, aad=f"phone_challenges.phone:{actor}"),
            phone_hmac=slot.hmac,
            code_hash=keys.blind_index("otp", f"{actor}:{code}"),
            created_at=ctx.now,
            expires_at=expires,
        )
        text = settings.sms_http.template.format(code=code, minutes=settings.code_ttl_seconds // 60)
        if sms.keeps_outbox:
            await keep_in_outbox(uow, keys, user_id=actor, e164=e164, text=text, now=ctx.now)
        await sms.send(e164, text)  # before commit: if the gateway fails, no challenge is left behind
        await netlog.record(uow, ctx, "identity.phone_code_sent", actor=actor)
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
        ch = await phone_challenges.newest_unused(uow.conn, actor)
        if ch is None:
            raise ValidationFailed("Ask for a code first", code=ErrorCode.CODE_INVALID)
        if ch.locked_at is not None:
            raise Forbidden("Too many wrong codes; ask for a new code", code=ErrorCode.CODE_LOCKED)
        if ctx.now >= ch.expires_at:
            raise ValidationFailed("This code has expired; ask for a new one", code=ErrorCode.CODE_EXPIRED)
        if not secrets.compare_digest(keys.blind_index("otp", f"{actor}:{code}"), ch.code_hash):
            attempts = ch.attempts + 1
            locked = attempts >= settings.code_max_attempts
            await phone_challenges.count_wrong_try(
                uow.conn, ch.id, attempts=attempts, locked_at=ctx.now if locked else None
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
            ident = await identities.row(uow.conn, actor)
            # R-11.3-2: a banned identity binds no account; refused before anything is written
            await blacklist_gate.check_identity_may_verify(uow, ch.phone_hmac, now=ctx.now)
            old = ident.phone_hmac if ident is not None else None
            await blacklist_gate.check_identity_may_change(uow, old, ch.phone_hmac, now=ctx.now)
            if ident is None or ident.phone_hmac != ch.phone_hmac:
                await claim_slot(uow, IdentitySlot("phone", ch.phone_hmac), cap=settings.accounts_per_identity)
                if ident is not None and ident.phone_hmac:
                    await release_slot(uow, IdentitySlot("phone", ident.phone_hmac))
            level = max(Level.L1, ident.level if ident is not None and ident.lapsed_at is None else 0)
            values: dict[str, Any] = {
                "phone_ct": keys.encrypt(e164, aad=aad("phone", actor)),
                "phone_hmac": ch.phone_hmac,
                "phone_verified_at": ctx.now,
                "lapsed_at": None,
                "level": level,
            }
            await identities.upsert(uow.conn, actor, values)
            await phone_challenges.mark_used(uow.conn, ch.id, now=ctx.now)
            await accounts.set_verification_level(uow.conn, actor, level)
            await on_identity_bound(uow, user_id=actor, now=ctx.now)  # a blacklisted identity: restricted at once
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
