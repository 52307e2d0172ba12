"""The user's identity and own data: verification, masked view, export, nickname, cancellation, agreements."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Response
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from qunzu.api.deps import ContainerDep, CtxDep, UserDep
from qunzu.api.responses import AUTHED, errors
from qunzu.api.schemas import (
    AcceptanceOut,
    AcceptIn,
    CancelIn,
    IdentityOut,
    IdVerifyIn,
    NicknameIn,
    PhoneChallengeOut,
    PhoneConfirmIn,
    PhoneStartIn,
    UserPublic,
    VerificationRecord,
)
from qunzu.domain.admission import allowances
from qunzu.errors import ValidationFailed
from qunzu.i18n import notice_text
from qunzu.services import account_data, credit, documents, identity, notices
from qunzu.services.identity import IdentityView
from qunzu.services.review import profile_screen

router = APIRouter(prefix="/api/v1/me", tags=["identity"])


def identity_out(v: IdentityView) -> IdentityOut:
    return IdentityOut(
        level=v.level,
        verified=v.level >= 1,
        phone=v.phone,
        name=v.name,
        id_number=v.id_number,
        phone_verified_at=v.phone_verified_at,
        id_verified_at=v.id_verified_at,
        lapsed=v.lapsed,
        pending_review=v.pending_review,
        authoritative=v.authoritative,
        history=[VerificationRecord(**m) for m in v.methods],
    )


@router.get("/identity", response_model=IdentityOut, responses=errors(*AUTHED))
async def my_identity(user: UserDep, c: ContainerDep) -> IdentityOut:
    """My verification level and my personal data, masked."""
    return identity_out(await identity.my_identity(c.db, c.keys, actor=user.id))


@router.post(
    "/verification/phone", status_code=202, response_model=PhoneChallengeOut, responses=errors(*AUTHED, 409, 429)
)
async def start_phone(body: PhoneStartIn, user: UserDep, c: ContainerDep, ctx: CtxDep) -> PhoneChallengeOut:
    """Send a one-time code to a mainland mobile number (L1). Codes expire after 5 minutes. Codes sent per account
    and per source are limited (429 `rate_limited` with `details.retry_after_ms` and `Retry-After`)."""
    ch = await identity.start_phone_verification(
        c.db,
        c.keys,
        c.sms,
        actor=user.id,
        phone=body.phone,
        ctx=ctx,
        settings=c.settings.identity,
        throttle=c.throttle,
    )
    return PhoneChallengeOut(
        phone=ch.phone,
        expires_at=ch.expires_at,
        resend_after=ch.resend_after,
        sender=ch.sender,
        development=not ch.authoritative,
    )


@router.post("/verification/phone/confirm", response_model=IdentityOut, responses=errors(*AUTHED, 403, 409, 429))
async def confirm_phone(body: PhoneConfirmIn, user: UserDep, c: ContainerDep, ctx: CtxDep) -> IdentityOut:
    """Confirm the code; five wrong tries lock it. Tries per account and per source are limited (429)."""
    view = await identity.confirm_phone_code(
        c.db,
        c.keys,
        c.sms,
        actor=user.id,
        code=body.code,
        ctx=ctx,
        settings=c.settings.identity,
        throttle=c.throttle,
    )
    c.tokens.evict_user(user.id)
    return identity_out(view)


@router.post("/verification/id", response_model=IdentityOut, responses=errors(*AUTHED, 403, 409))
async def verify_id(body: IdVerifyIn, user: UserDep, c: ContainerDep, ctx: CtxDep) -> IdentityOut:
    """Verify real name + resident ID number (L2): checked locally, then by the configured verifier."""
    document = None
    if body.document_base64 is not None:
        try:
            document = base64.b64decode(body.document_base64, validate=True)
        except (binascii.Error, ValueError):
            raise ValidationFailed(
                "document_base64 is not valid base64", details={"field": "document_base64"}
            ) from None
    view = await identity.verify_id(
        c.db,
        c.keys,
        c.verifier,
        actor=user.id,
        name=body.name,
        id_number=body.id_number,
        ctx=ctx,
        settings=c.settings.identity,
        document=document,
        document_type=body.document_type,
    )
    c.tokens.evict_user(user.id)
    return identity_out(view)


@router.patch("", response_model=UserPublic, responses=errors(*AUTHED))
async def change_nickname(body: NicknameIn, user: UserDep, c: ContainerDep, ctx: CtxDep) -> UserPublic:
    """Correct my nickname (checked again like at registration)."""
    view = await account_data.change_nickname(
        c.db,
        c.tokens,
        actor=user.id,
        nickname=body.nickname,
        reserved=c.settings.identity.reserved_nickname_words,
        max_length=c.settings.identity.nickname_max_length,
        ctx=ctx,
        screen=profile_screen(c.review),
    )
    return UserPublic.of(view)


@router.get("/export", responses={200: {"content": {"application/json": {}}}} | errors(*AUTHED))
async def export(user: UserDep, c: ContainerDep) -> Response:
    """All my data as a JSON file (personal data masked)."""
    data = await account_data.export_my_data(c.db, c.keys, actor=user.id)
    body = JSONResponse(jsonable_encoder(data)).body
    return Response(
        body,
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="qunzu-export-{user.id}.json"'},
    )


@router.post("/cancel", status_code=204, responses=errors(*AUTHED, 409))
async def cancel(body: CancelIn, user: UserDep, c: ContainerDep, ctx: CtxDep) -> Response:
    """Cancel my account. Groups I own must be transferred first."""
    await account_data.cancel_account(c.db, c.passwords, c.tokens, actor=user.id, password=body.password, ctx=ctx)
    return Response(status_code=204)


@router.get("/agreements", response_model=list[AcceptanceOut], responses=errors(*AUTHED))
async def my_agreements(user: UserDep, c: ContainerDep) -> list[AcceptanceOut]:
    """The documents I accepted: version, time, IP and port."""
    return [AcceptanceOut(**a) for a in await documents.my_acceptances(c.db, actor=user.id)]


@router.get("/agreements/pending", response_model=dict[str, int], responses=errors(*AUTHED))
async def pending_agreements(user: UserDep, c: ContainerDep) -> dict[str, int]:
    """Current versions I have not accepted yet (kind → version)."""
    return await documents.pending_acceptances(c.db, actor=user.id)


@router.post("/agreements", status_code=204, responses=errors(*AUTHED, 404))
async def accept(body: AcceptIn, user: UserDep, c: ContainerDep, ctx: CtxDep) -> Response:
    """Accept the current version of a document."""
    await documents.accept_document(c.db, actor=user.id, kind=body.kind, version=body.version, ctx=ctx)
    return Response(status_code=204)


class NoticeOut(BaseModel):
    id: int
    kind: str = Field(description="account_locked: the account was locked after repeated failed sign-ins")
    created_at: datetime
    read: bool
    message: str = Field(description="the notice in the request's language")
    details: dict[str, Any] = Field(description="account_locked: failures, ip (masked), locked_until")


@router.get("/notices", response_model=list[NoticeOut], responses=errors(*AUTHED))
async def my_notices(user: UserDep, c: ContainerDep, ctx: CtxDep) -> list[NoticeOut]:
    """Notices about my account (e.g. a lock after failed sign-ins), newest first."""
    views = await notices.my_notices(c.db, actor=user.id)
    return [
        NoticeOut(
            id=v.id,
            kind=v.kind,
            created_at=v.created_at,
            read=v.read_at is not None,
            message=notice_text(v.kind, v.details, ctx.language),
            details=v.details,
        )
        for v in views
    ]


@router.post("/notices/{notice_id}/read", status_code=204, responses=errors(*AUTHED, 404))
async def mark_notice_read(notice_id: int, user: UserDep, c: ContainerDep, ctx: CtxDep) -> Response:
    """Mark one of my notices read (404 `not_found` for a notice that is not mine)."""
    await notices.mark_notice_read(c.db, actor=user.id, notice_id=notice_id, ctx=ctx)
    return Response(status_code=204)


class CreditEventOut(BaseModel):
    kind: str = Field(description="violation | recovery | reversal | adjustment")
    delta: int
    at: datetime
    reason: str = Field(description="a violation's reason code, or what the event is")
    rule: str | None = Field(description="the requirement or platform rule the event rests on")


class AllowanceOut(BaseModel):
    name: str = Field(
        description="post | create_group | groups_owned | created_per_day | manage | invite | share_links | send_rate"
    )
    allowed: bool
    value: int | None = Field(description="the number, for groups_owned, created_per_day and send_rate (per minute)")
    tiers: list[str] = Field(description="create_group: the size tiers this level may create")
    unlock_score: int | None = Field(description="the score that unlocks it, or its next step")


class CreditOut(BaseModel):
    score: int = Field(description="0–120; a new account starts at 100")
    level: int = Field(description="0–5 (C0–C5); each level's entitlements are in docs/api.md")
    next_recovery_at: datetime | None = Field(description="when the next point comes back (+1 per 7 clean days)")
    events: list[CreditEventOut] = Field(description="newest first")
    allowances: list[AllowanceOut] = Field(description="what this score allows now, under the policy in force")


@router.get("/credit", response_model=CreditOut, responses=errors(*AUTHED))
async def my_credit(user: UserDep, c: ContainerDep, ctx: CtxDep) -> CreditOut:
    """My credit score and level, the events behind them, and when the next point comes back (R-7.2-3)."""
    view = await credit.my_credit(c.db, actor=user.id, now=ctx.now)
    allowed = allowances(
        await c.policy.policy(), credit.POLICY, score=view.score, verification_level=user.verification_level
    )
    return CreditOut(
        score=view.score,
        level=int(view.level),
        next_recovery_at=view.next_recovery_at,
        events=[
            CreditEventOut(kind=e.kind.value, delta=e.delta, at=e.at, reason=e.reason, rule=e.rule) for e in view.events
        ],
        allowances=[
            AllowanceOut(
                name=a.name,
                allowed=a.allowed,
                value=a.value,
                tiers=[t.value for t in a.tiers],
                unlock_score=a.unlock_score,
            )
            for a in allowed
        ],
    )
