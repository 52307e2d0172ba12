"""Staff API for the group creation-review queue (R-8.3-1): XL and sensitive-category groups wait here."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from qunzu.api.deps import ContainerDep, CtxDep, UserDep
from qunzu.api.responses import AUTHED, errors
from qunzu.api.schemas import OneLine
from qunzu.api.schemas_creation import GroupReviewDecisionIn, GroupReviewDecisionOut, PendingGroupOut
from qunzu.domain.groupcode import parse_group_code
from qunzu.services import creation_review

router = APIRouter(prefix="/api/v1/staff", tags=["review"])
Code = Annotated[OneLine, Path(min_length=1, max_length=32, description="group code, 10 digits")]


@router.get("/group-reviews", response_model=list[PendingGroupOut], responses=errors(*AUTHED, 403))
async def queue(user: UserDep, c: ContainerDep, ctx: CtxDep) -> list[PendingGroupOut]:
    """Groups waiting for creation review, oldest first, with their creator's verification level and credit."""
    pending = await creation_review.pending_groups(c.db, staff=user, now=ctx.now)
    return [PendingGroupOut.of(p, ctx.language) for p in pending]


@router.post(
    "/group-reviews/{code}/decision", response_model=GroupReviewDecisionOut, responses=errors(*AUTHED, 403, 404, 409)
)
async def decide(
    code: Code, body: GroupReviewDecisionIn, user: UserDep, c: ContainerDep, ctx: CtxDep
) -> GroupReviewDecisionOut:
    """Approve (the group opens) or refuse with a reason (the group is gone, its code kept; the creator gets back
    the places it took). Recorded as `group.review_decision`; the creator is told live and by an account notice."""
    parsed = parse_group_code(code)
    status = await creation_review.decide_group(
        c.db, staff=user, code=parsed, approve=body.decision == "approve", reason=body.reason, ctx=ctx
    )
    return GroupReviewDecisionOut(code=parsed, status=status)
