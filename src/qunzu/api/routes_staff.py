"""Staff console API: masked user identity, reveals, manual reviews, lapses, documents, the development outbox."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from qunzu.api.deps import ContainerDep, CtxDep, UserDep
from qunzu.api.responses import AUTHED, errors
from qunzu.api.routes_documents import Kind, out
from qunzu.api.routes_identity import identity_out
from qunzu.api.schemas import (
    MAX_ID,
    AccessRecordOut,
    DecideIn,
    DocumentOut,
    DocumentPublishIn,
    IdentityOut,
    LapseIn,
    OneLine,
    OutboxOut,
    PendingReviewOut,
    RevealIn,
    RevealOut,
    StaffUserOut,
)
from qunzu.errors import NotFound
from qunzu.services import documents, identity, pii_access

router = APIRouter(prefix="/api/v1/staff", tags=["staff"])
UserId = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.get("/users", response_model=list[StaffUserOut], responses=errors(*AUTHED, 403))
async def find_users(
    user: UserDep, c: ContainerDep, q: Annotated[OneLine, Query(min_length=1, max_length=64)]
) -> list[StaffUserOut]:
    """Find accounts by id, username or nickname."""
    return [StaffUserOut(**r) for r in await identity.find_users(c.db, staff=user, query=q)]


@router.get("/users/{user_id}/identity", response_model=IdentityOut, responses=errors(*AUTHED, 403, 404))
async def user_identity(user_id: UserId, user: UserDep, c: ContainerDep) -> IdentityOut:
    """A user's identity as staff see it: masked."""
    return identity_out(await identity.staff_identity(c.db, c.keys, staff=user, user_id=user_id))


@router.post("/users/{user_id}/reveal", response_model=RevealOut, responses=errors(*AUTHED, 403, 404))
async def reveal(user_id: UserId, body: RevealIn, user: UserDep, c: ContainerDep, ctx: CtxDep) -> RevealOut:
    """Compliance officers: reveal named fields with a purpose and a case number (recorded, append-only)."""
    r = await pii_access.reveal_identity(
        c.db,
        c.keys,
        staff=user,
        user_id=user_id,
        fields=list(body.fields),
        purpose=body.purpose,
        case_number=body.case_number,
        ctx=ctx,
    )
    return RevealOut(user_id=r.user_id, values=r.values, record_id=r.record_id, at=r.at)


@router.get("/pii-access", response_model=list[AccessRecordOut], responses=errors(*AUTHED, 403))
async def access_record(
    user: UserDep,
    c: ContainerDep,
    user_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> list[AccessRecordOut]:
    """Who revealed whose personal data, which fields, why and when."""
    rows = await pii_access.access_log(c.db, staff=user, user_id=user_id)
    return [
        AccessRecordOut(
            id=r.id,
            ts=r.ts,
            staff_id=r.staff_id,
            staff_role=r.staff_role,
            subject_user_id=r.subject_user_id,
            fields=list(r.fields),
            purpose=r.purpose,
            case_number=r.case_number,
            src_ip=r.src_ip,
            src_port=r.src_port,
            row_hash=r.row_hash,
        )
        for r in rows
    ]


@router.get("/verifications/pending", response_model=list[PendingReviewOut], responses=errors(*AUTHED, 403))
async def pending(user: UserDep, c: ContainerDep) -> list[PendingReviewOut]:
    """Manual verifications waiting for a decision."""
    return [PendingReviewOut(**p) for p in await identity.pending_reviews(c.db, c.keys, staff=user)]


@router.get(
    "/verifications/{submission_id}/document",
    responses={200: {"content": {"image/png": {}, "image/jpeg": {}}}} | errors(*AUTHED, 403, 404),
)
async def document(submission_id: UserId, user: UserDep, c: ContainerDep, ctx: CtxDep) -> Response:
    """The submitted ID card photo (viewing it is recorded)."""
    raw, media = await identity.submission_document(c.db, c.keys, staff=user, submission_id=submission_id, ctx=ctx)
    return Response(raw, media_type=media, headers={"Cache-Control": "no-store"})


@router.post("/verifications/{submission_id}/decide", status_code=204, responses=errors(*AUTHED, 403, 404))
async def decide(submission_id: UserId, body: DecideIn, user: UserDep, c: ContainerDep, ctx: CtxDep) -> Response:
    """Approve or reject a manual verification."""
    await identity.decide_review(
        c.db,
        c.keys,
        staff=user,
        submission_id=submission_id,
        approve=body.approve,
        reason=body.reason,
        ctx=ctx,
        settings=c.settings.identity,
    )
    return Response(status_code=204)


@router.post("/users/{user_id}/lapse", status_code=204, responses=errors(*AUTHED, 403, 404))
async def lapse(user_id: UserId, body: LapseIn, user: UserDep, c: ContainerDep, ctx: CtxDep) -> Response:
    """Mark a verification as lapsed (number recycled): posting waits for re-verification."""
    await identity.mark_lapsed(c.db, staff=user, user_id=user_id, reason=body.reason, ctx=ctx)
    c.tokens.evict_user(user_id)
    return Response(status_code=204)


@router.post("/documents/{kind}", status_code=201, response_model=DocumentOut, responses=errors(*AUTHED, 403, 404))
async def publish(kind: Kind, body: DocumentPublishIn, user: UserDep, c: ContainerDep, ctx: CtxDep) -> DocumentOut:
    """Administrators publish a new version of a document."""
    view = await documents.publish_document(c.db, staff=user, kind=kind, ctx=ctx, **body.model_dump())
    return out(view, ctx.language)


@router.get("/sms-outbox", response_model=list[OutboxOut], responses=errors(*AUTHED, 403, 404))
async def outbox(
    user: UserDep, c: ContainerDep, user_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None
) -> list[OutboxOut]:
    """Development only: the one-time codes the console SMS sender 'sent' (newest first; `user_id` filters)."""
    if not c.sms.keeps_outbox:
        raise NotFound("There is no outbox: a real SMS gateway is configured")
    rows = await identity.outbox_messages(c.db, staff=user, user_id=user_id)
    return [OutboxOut(id=r.id, created_at=r.created_at, phone=r.phone_masked, body=r.body) for r in rows]
