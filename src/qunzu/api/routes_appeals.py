"""Appeals (R-11-x, D10; 用户服务协议 §8): the subject of a measure or a credit deduction appeals once; a staff member
other than the original decider upholds (the measure lifted, the credit restored) or rejects it, with a reason. And
a staff member's confirmation of illegal content outside the review queue (R-10-3), which such an appeal can undo."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query

from qunzu.api.deps import ContainerDep, CtxDep, UserDep
from qunzu.api.responses import AUTHED, errors
from qunzu.api.schemas import MAX_ID
from qunzu.api.schemas_appeals import AppealCreated, AppealDecisionIn, AppealIn, AppealOut, IllegalIn, IllegalOut
from qunzu.services import appeals, illegal_content

router = APIRouter(prefix="/api/v1", tags=["appeals"])
AppealId = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.post("/me/appeals", status_code=201, response_model=AppealCreated, responses=errors(*AUTHED, 403, 404, 409))
async def file_appeal(body: AppealIn, user: UserDep, c: ContainerDep, ctx: CtxDep) -> AppealCreated:
    """Appeal a measure taken against me (or a group I own), a credit deduction or a blacklist entry on my account,
    my identity or a group I owned when it was listed, once, within 60 days. Refused:
    `appeal_exists` (with the first appeal's id), `appeal_not_allowed` (not the subject, e.g. a manager of a
    measured group), `appeal_closed` (lifted, reversed or removed already, or the window passed), `measure_not_found`,
    `blacklist_entry_not_found`. The
    measure stays in force while the appeal waits; it is decided within 15 working days (`due_at`)."""
    cal = c.settings.complaints
    appeal_id = await appeals.file_appeal(
        c.db, actor=user, record_id=body.record_id, credit_event_id=body.credit_event_id,
        blacklist_entry_id=body.blacklist_entry_id, statement=body.statement, ctx=ctx, holidays=cal.holidays,
        workdays=cal.workdays,
    )  # fmt: skip
    mine = await appeals.my_appeals(c.db, actor=user.id, now=ctx.now)
    filed = next(a for a in mine if a.id == appeal_id)
    return AppealCreated(id=appeal_id, status=filed.status, due_at=filed.due_at)


@router.get("/me/appeals", response_model=list[AppealOut], responses=errors(*AUTHED))
async def my_appeals(user: UserDep, c: ContainerDep, ctx: CtxDep) -> list[AppealOut]:
    """My appeals, newest first, with what each is about and its outcome and reason."""
    return [AppealOut.of(a, staff=False) for a in await appeals.my_appeals(c.db, actor=user.id, now=ctx.now)]


@router.get("/staff/appeals", response_model=list[AppealOut], responses=errors(*AUTHED, 403))
async def queue(
    user: UserDep,
    c: ContainerDep,
    ctx: CtxDep,
    state: Annotated[Literal["pending", "decided"], Query()] = "pending",
) -> list[AppealOut]:
    """The appeals queue (admin, compliance officer, reviewer): pending ones by due date, overdue ones marked."""
    found = await appeals.appeal_queue(c.db, staff=user, now=ctx.now, state=state)
    return [AppealOut.of(a, staff=True) for a in found]


@router.get("/staff/appeals/{appeal_id}", response_model=AppealOut, responses=errors(*AUTHED, 403, 404))
async def detail(appeal_id: AppealId, user: UserDep, c: ContainerDep, ctx: CtxDep) -> AppealOut:
    """One appeal with the measure record, its evidence (message copies and their SHA-256) and the original decider."""
    return AppealOut.of(await appeals.appeal_detail(c.db, staff=user, appeal_id=appeal_id, now=ctx.now), staff=True)


@router.post("/staff/appeals/{appeal_id}/decision", response_model=AppealOut, responses=errors(*AUTHED, 403, 404, 409))
async def decide(appeal_id: AppealId, body: AppealDecisionIn, user: UserDep, c: ContainerDep, ctx: CtxDep) -> AppealOut:
    """Uphold (the measure is lifted, its credit event reversed, a content ban it raised withdrawn) or reject (the
    measure stays), with a reason told to the appellant by a notice and an `appeal_decided` frame. The decider of
    what is appealed may not decide (`appeal_same_decider`); a decided appeal answers `already_decided`."""
    view = await appeals.decide_appeal(
        c.db, staff=user, appeal_id=appeal_id, uphold=body.decision == "uphold", reason=body.reason, ctx=ctx
    )
    await c.review.refresh_bans()  # a withdrawn ban frees the text at once in this process
    for user_id in view.extra.get("accounts", []):
        c.tokens.evict_user(user_id)  # a blacklist entry removed: their level changed
    return AppealOut.of(view, staff=True)


@router.post(
    "/staff/messages/{message_id}/illegal",
    status_code=201,
    response_model=IllegalOut,
    responses=errors(*AUTHED, 403, 404, 422),
    tags=["review"],
)
async def confirm_illegal(
    message_id: Annotated[int, Path(ge=1, le=MAX_ID)], body: IllegalIn, user: UserDep, c: ContainerDep, ctx: CtxDep
) -> IllegalOut:
    """Confirm a message illegal outside the review queue (R-10-3; reviewers and admins): it is removed, its text
    banned everywhere (`content_rejected`), the author's credit deducted, and a `content_removal` record written
    (the report item) citing `source` and `source_ref`. The author may appeal it."""
    done = await illegal_content.confirm_message_illegal(
        c.db, staff=user, message_id=message_id, category=body.category, reason=body.reason, ctx=ctx,
        ban_digest=c.review.ban_digest, source=body.source, source_ref=body.source_ref,
    )  # fmt: skip
    await c.review.refresh_bans()
    return IllegalOut(record_id=done["record_id"], category=done["category"])
