"""Reports (举报) in the app and through the public form, 我的举报, and the staff ticket desk (Art. 12, R-12.1-1,
R-12.1-2)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from qunzu.api.deps import ContainerDep, CtxDep, UserDep
from qunzu.api.responses import AUTHED, errors
from qunzu.api.schemas import MAX_ID, OneLine
from qunzu.api.schemas_complaints import (
    CategoryOut,
    DecisionIn,
    PublicReportIn,
    QueueEntryOut,
    ReceiptOut,
    ReportIn,
    ReportStatusOut,
    TicketOut,
    TicketStateOut,
    categories_out,
)
from qunzu.errors import ValidationFailed
from qunzu.services import complaint_desk, complaints

router = APIRouter(tags=["reports"])
TicketId = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.get("/api/v1/reports/categories", response_model=list[CategoryOut], responses=errors())
async def categories(ctx: CtxDep) -> list[CategoryOut]:
    """What can be reported (the report guide §二), high-risk categories marked."""
    return categories_out(ctx.language)


@router.post("/api/v1/reports", response_model=ReceiptOut, status_code=201, responses=errors(*AUTHED, 403, 404, 429))
async def report(body: ReportIn, user: UserDep, c: ContainerDep, ctx: CtxDep, response: Response) -> ReceiptOut:
    """Report a message, a member or a group: a ticket at once, its number in the answer (200 instead of 201 when
    your report on the same target is still open: that ticket). The content and its context are snapshotted."""
    settings = c.settings.complaints
    if body.target_type == "message":
        if body.message_id is None:
            raise ValidationFailed("message_id is required", details={"field": "message_id"})
        receipt = await complaints.report_message(
            c.db, actor=user.id, code=body.group_code, message_id=body.message_id, category=body.category,
            description=body.description, settings=settings, ctx=ctx,
        )  # fmt: skip
    elif body.target_type == "user":
        if body.user_id is None:
            raise ValidationFailed("user_id is required", details={"field": "user_id"})
        receipt = await complaints.report_user(
            c.db, actor=user.id, user_id=body.user_id, code=body.group_code, category=body.category,
            description=body.description, settings=settings, ctx=ctx,
        )  # fmt: skip
    else:
        receipt = await complaints.report_group(
            c.db, actor=user.id, code=body.group_code, category=body.category, description=body.description,
            settings=settings, policy=await c.policy.policy(), ctx=ctx,
        )  # fmt: skip
    if receipt.existing:
        response.status_code = 200
    return ReceiptOut.of(receipt, ctx.language)


@router.get("/api/v1/me/reports", response_model=list[ReportStatusOut], responses=errors(*AUTHED))
async def my_reports(user: UserDep, c: ContainerDep, ctx: CtxDep) -> list[ReportStatusOut]:
    """我的举报: your reports, newest first, with where each stands and its outcome."""
    return [ReportStatusOut.of(s, ctx.language) for s in await complaints.my_reports(c.db, actor=user.id)]


@router.post("/api/v1/public/reports", response_model=ReceiptOut, status_code=201, responses=errors(429))
async def public_report(body: PublicReportIn, c: ContainerDep, ctx: CtxDep) -> ReceiptOut:
    """The public report form, no account needed: the answer carries the ticket number and a status code shown
    only this once. Limited per source address (`report_limit`)."""
    receipt = await complaints.report_by_form(
        c.db, target=body.target, category=body.category, description=body.description, contact=body.contact,
        keys=c.keys, throttle=c.throttle, settings=c.settings.complaints, ctx=ctx,
    )  # fmt: skip
    return ReceiptOut.of(receipt, ctx.language)


@router.get("/api/v1/public/reports/{number}", response_model=ReportStatusOut, responses=errors(404, 429))
async def public_status(
    number: Annotated[OneLine, Path(min_length=1, max_length=24)],
    code: Annotated[OneLine, Query(min_length=1, max_length=32)],
    c: ContainerDep,
    ctx: CtxDep,
) -> ReportStatusOut:
    """A public-form report's status by its number and code (a wrong pair: `ticket_not_found`)."""
    status = await complaints.report_status(
        c.db, number=number, code=code, throttle=c.throttle, settings=c.settings.complaints, ctx=ctx
    )
    return ReportStatusOut.of(status, ctx.language, with_target=False)


@router.get("/api/v1/staff/tickets", response_model=list[QueueEntryOut], responses=errors(*AUTHED, 403))
async def queue(user: UserDep, c: ContainerDep, ctx: CtxDep) -> list[QueueEntryOut]:
    """Open tickets grouped by target: high-risk first, then priority, then deadline; overdue ones marked."""
    return [QueueEntryOut.of(e) for e in await complaint_desk.ticket_queue(c.db, staff=user, now=ctx.now)]


@router.get("/api/v1/staff/tickets/{ticket_id}", response_model=TicketOut, responses=errors(*AUTHED, 403, 404))
async def ticket(ticket_id: TicketId, user: UserDep, c: ContainerDep, ctx: CtxDep) -> TicketOut:
    """One ticket: the snapshot with its SHA-256 (and whether it still matches), every report on the target."""
    detail = await complaint_desk.ticket_detail(
        c.db, staff=user, ticket_id=ticket_id, now=ctx.now, sla=complaints.sla_of(c.settings.complaints)
    )
    return TicketOut.of(detail)


@router.post(
    "/api/v1/staff/tickets/{ticket_id}/claim", response_model=TicketStateOut, responses=errors(*AUTHED, 403, 404, 409)
)
async def claim(ticket_id: TicketId, user: UserDep, c: ContainerDep, ctx: CtxDep) -> TicketStateOut:
    """Claim the target's open tickets for review (`ticket_claimed` when another handler has them)."""
    await complaint_desk.claim_ticket(c.db, staff=user, ticket_id=ticket_id, ctx=ctx)
    return TicketStateOut(id=ticket_id, status="in_review")


@router.post(
    "/api/v1/staff/tickets/{ticket_id}/release",
    response_model=TicketStateOut,
    responses=errors(*AUTHED, 403, 404, 409),
)
async def release(ticket_id: TicketId, user: UserDep, c: ContainerDep, ctx: CtxDep) -> TicketStateOut:
    """Give the target back to the queue (its claimant, or an administrator)."""
    await complaint_desk.release_ticket(c.db, staff=user, ticket_id=ticket_id, ctx=ctx)
    return TicketStateOut(id=ticket_id, status="received")


@router.post(
    "/api/v1/staff/tickets/{ticket_id}/decide",
    response_model=TicketStateOut,
    responses=errors(*AUTHED, 403, 404, 409),
)
async def decide(ticket_id: TicketId, body: DecisionIn, user: UserDep, c: ContainerDep, ctx: CtxDep) -> TicketStateOut:
    """Uphold or reject with a reason (`reason_required`); every open ticket on the target takes the outcome. An
    upheld decision may apply a measure in the same transaction or link a record; each reporter is told."""
    record = await complaint_desk.decide_ticket(
        c.db, staff=user, ticket_id=ticket_id, outcome=body.outcome, reason=body.reason, ctx=ctx,
        measure=body.measure.request() if body.measure else None, record_id=body.record_id,
    )  # fmt: skip
    return TicketStateOut(id=ticket_id, status=body.outcome, record_id=record)
