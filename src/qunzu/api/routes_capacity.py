"""Staff API of the review team's capacity (Art. 5, R-5.1-1): the figures against their targets, and shifts.

Administrators, compliance officers and reviewers read the figures and go on and off shift; the regulator role does
neither (a regulator reviews nothing)."""

from __future__ import annotations

from datetime import date, datetime

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from qunzu.api.deps import ContainerDep, CtxDep, UserDep
from qunzu.api.responses import AUTHED, errors
from qunzu.domain.capacity import Backlog
from qunzu.services import capacity
from qunzu.services.capacity import CapacityStatus, ShiftView

router = APIRouter(prefix="/api/v1/staff", tags=["capacity"])


class ShiftOut(BaseModel):
    id: int
    user_id: int
    username: str
    started_at: datetime
    ends_by: datetime = Field(description="when the shift ends by itself (capacity.max_shift_hours) unless ended")

    @staticmethod
    def of(s: ShiftView) -> ShiftOut:
        return ShiftOut(id=s.id, user_id=s.user_id, username=s.username, started_at=s.started_at, ends_by=s.ends_by)


class BacklogOut(BaseModel):
    open: int
    oldest_at: datetime | None
    oldest_age_seconds: int | None
    overdue: int = Field(description="past the review SLA (review) or past their deadline (tickets, appeals)")


class CheckOut(BaseModel):
    key: str = Field(description="review_sla | tickets_overdue | appeals_overdue | nobody_on_shift | "
                     "backlog_per_reviewer")  # fmt: skip
    value: float | None
    target: float
    ok: bool


class ReviewerOut(BaseModel):
    user_id: int
    username: str | None
    per_day: list[int] = Field(description="decisions on each of `days`, oldest first")
    by_queue: dict[str, int]
    total: int
    per_day_average: float


class CapacityOut(BaseModel):
    now: datetime
    alert: bool
    breaches: list[str]
    review: BacklogOut
    tickets: BacklogOut
    appeals: BacklogOut
    on_shift: list[ShiftOut]
    reviewers_on_shift: int
    backlog_per_reviewer: float | None = Field(description="items waiting (all queues) per reviewer on shift")
    checks: list[CheckOut]
    targets: dict[str, float]
    days: list[date] = Field(description="the last 7 Beijing calendar days, oldest first")
    reviewers: list[ReviewerOut]

    @staticmethod
    def of(s: CapacityStatus) -> CapacityOut:
        def backlog(b: Backlog) -> BacklogOut:
            age = b.oldest_age(s.now)
            return BacklogOut(open=b.open, oldest_at=b.oldest_at, overdue=b.overdue,
                              oldest_age_seconds=None if age is None else int(age.total_seconds()))  # fmt: skip

        f = s.figures
        return CapacityOut(
            now=s.now, alert=s.alert, breaches=[b.value for b in s.breaches], review=backlog(f.review),
            tickets=backlog(f.tickets), appeals=backlog(f.appeals), on_shift=[ShiftOut.of(x) for x in s.on_shift],
            reviewers_on_shift=f.on_shift, backlog_per_reviewer=f.backlog_per_reviewer(),
            checks=[CheckOut(key=c.key.value, value=c.value, target=c.target, ok=c.ok) for c in s.checks],
            targets={
                "review_sla_seconds": s.targets.review_sla.total_seconds(),
                "backlog_per_reviewer": s.targets.backlog_per_reviewer,
                "max_shift_seconds": s.targets.max_shift.total_seconds(),
            },
            days=s.days,
            reviewers=[
                ReviewerOut(user_id=o.reviewer_id, username=s.names.get(o.reviewer_id), per_day=list(o.per_day),
                            by_queue=o.by_queue, total=o.total, per_day_average=round(o.per_day_average, 2))
                for o in s.throughput
            ],
        )  # fmt: skip


@router.get("/capacity", response_model=CapacityOut, responses=errors(*AUTHED, 403))
async def read_capacity(user: UserDep, c: ContainerDep) -> CapacityOut:
    """The review, ticket and appeal backlogs, the reviewers on shift and the items each decided per day, each
    figure against its target; `alert` while any is missed."""
    status = await capacity.read_capacity(c.db, staff=user, now=c.clock.now(), settings=c.settings)
    if c.capacity is not None:
        c.capacity.update(status)
    return CapacityOut.of(status)


@router.get("/shift", response_model=ShiftOut | None, responses=errors(*AUTHED, 403))
async def my_shift(user: UserDep, c: ContainerDep) -> ShiftOut | None:
    """The caller's shift in force, or null."""
    found = await capacity.my_shift(c.db, staff=user, now=c.clock.now(), settings=c.settings)
    return ShiftOut.of(found) if found else None


@router.post("/shift/start", response_model=ShiftOut, status_code=201, responses=errors(*AUTHED, 403))
async def start_shift(user: UserDep, c: ContainerDep, ctx: CtxDep, response: Response) -> ShiftOut:
    """Go on shift (recorded as `staff.shift_start`): 201 with the new shift, or 200 with the one already running."""
    shift, began = await capacity.start_shift(c.db, staff=user, settings=c.settings, ctx=ctx)
    if not began:
        response.status_code = 200
    return ShiftOut.of(shift)


@router.post("/shift/end", response_model=ShiftOut, responses=errors(*AUTHED, 403, 409))
async def end_shift(user: UserDep, c: ContainerDep, ctx: CtxDep) -> ShiftOut:
    """Go off shift (recorded as `staff.shift_end`); 409 `not_on_shift` without a shift to end."""
    return ShiftOut.of(await capacity.end_shift(c.db, staff=user, settings=c.settings, ctx=ctx))
