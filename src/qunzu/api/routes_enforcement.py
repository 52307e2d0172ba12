"""Platform measures over the API (Art. 11 ¶1–2): staff apply, list, read and lift them; a user reads the measures
on them and on groups they own or manage, and an owner answers a warning (D12)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query

from qunzu.api.deps import ContainerDep, CtxDep, UserDep
from qunzu.api.responses import AUTHED, errors
from qunzu.api.schemas import MAX_ID, OneLine
from qunzu.api.schemas_enforcement import LiftIn, MeasureIn, MyRecordOut, RecordOut, WarningResponseIn
from qunzu.domain.enforcement import MeasureKind
from qunzu.services import measures

router = APIRouter(prefix="/api/v1", tags=["measures"])
RecordId = Annotated[int, Path(ge=1, le=MAX_ID)]
Code = Annotated[OneLine, Path(min_length=1, max_length=32, description="group code, 10 digits")]


@router.post("/staff/measures", response_model=RecordOut, status_code=201, responses=errors(*AUTHED, 403, 404, 409))
async def apply_measure(body: MeasureIn, user: UserDep, c: ContainerDep, ctx: CtxDep) -> RecordOut:
    """Apply a measure to a group, a user or a message (admin, reviewer, compliance officer). Validated (a period
    where the measure needs one, a rectification for a warning), recorded with its clause, law and evidence, the
    subject told live (`measure` frame) and by an account notice."""
    target_id = await measures.resolve_target(c.db, staff=user, kind=body.kind, target=body.target)
    view = await measures.apply(c.db, staff=user, spec=body.spec(target_id), ctx=ctx)
    if view.measure is MeasureKind.USER_SUSPEND:  # signed out at once in this process too
        c.tokens.evict_user(view.target_id)
    return RecordOut.of(view, ctx.language)


@router.get("/staff/measures", response_model=list[RecordOut], responses=errors(*AUTHED, 403))
async def list_measures(
    user: UserDep,
    c: ContainerDep,
    ctx: CtxDep,
    target_type: Annotated[str | None, Query(pattern="^(group|user|message)$")] = None,
    target_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    measure: MeasureKind | None = None,
    status: Annotated[str | None, Query(pattern="^(active|resolved|lifted|expired|overdue)$")] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[RecordOut]:
    """Enforcement records, newest first, by target, measure, status and period (the regulator role reads too)."""
    filters = measures.RecordFilter(
        target_type=target_type, target_id=target_id, measure=measure.value if measure else None, status=status,
        since=since, until=until,
    )  # fmt: skip
    views = await measures.list_records(c.db, staff=user, filters=filters, limit=limit, offset=offset)
    return [RecordOut.of(v, ctx.language) for v in views]


@router.get("/staff/measures/{record_id}", response_model=RecordOut, responses=errors(*AUTHED, 403, 404))
async def get_measure(record_id: RecordId, user: UserDep, c: ContainerDep, ctx: CtxDep) -> RecordOut:
    """One record with all its fields, the notices it caused and whether its evidence still matches its hashes."""
    view = await measures.record_detail(c.db, staff=user, record_id=record_id)
    notices = await measures.notices_sent(c.db, staff=user, record=view)
    return RecordOut.of(view, ctx.language, notices=notices)


@router.post("/staff/measures/{record_id}/lift", response_model=RecordOut, responses=errors(*AUTHED, 403, 404, 409))
async def lift_measure(record_id: RecordId, body: LiftIn, user: UserDep, c: ContainerDep, ctx: CtxDep) -> RecordOut:
    """Lift a measure in force (`lifted`), or mark a warning rectified (`resolved`), with the reason; the state is
    recomputed from the records still active and the subject told."""
    view = await measures.lift(c.db, staff=user, record_id=record_id, reason=body.reason, ctx=ctx, status=body.status)
    return RecordOut.of(view, ctx.language)


@router.get("/me/measures", response_model=list[MyRecordOut], responses=errors(*AUTHED))
async def my_measures(user: UserDep, c: ContainerDep, ctx: CtxDep) -> list[MyRecordOut]:
    """The measures on me, my messages and the groups I own or manage, with the reason, rule, period and where
    to appeal."""
    return [MyRecordOut.of(v, ctx.language) for v in await measures.my_measures(c.db, actor=user.id)]


@router.get("/me/measures/{record_id}", response_model=MyRecordOut, responses=errors(*AUTHED, 404))
async def my_measure(record_id: RecordId, user: UserDep, c: ContainerDep, ctx: CtxDep) -> MyRecordOut:
    """One of my measures (another's answers `measure_not_found`)."""
    return MyRecordOut.of(await measures.my_measure(c.db, actor=user.id, record_id=record_id), ctx.language)


@router.post(
    "/groups/{code}/warnings/{record_id}/response",
    response_model=MyRecordOut,
    responses=errors(*AUTHED, 404, 409),
)
async def respond_to_warning(
    code: Code, record_id: RecordId, body: WarningResponseIn, user: UserDep, c: ContainerDep, ctx: CtxDep
) -> MyRecordOut:
    """The owner or a manager says what was done about a warning (D12); staff then mark it resolved."""
    view = await measures.respond_to_warning(
        c.db, actor=user.id, code=code, record_id=record_id, text=body.text, ctx=ctx
    )
    return MyRecordOut.of(view, ctx.language)
