"""Staff API of regulators' inspection access (R-3-1, R-13.1-4): administrators issue and revoke a regulator's
access; regulators (within their scope), compliance officers and administrators read groups, members over time,
messages (deleted and held ones included), measures, the complaint figures and the operation log. Every read is
itself an operation record (`inspect.view`, `inspect.download`)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field
from starlette.responses import Response

from qunzu.api.deps import ContainerDep, CtxDep, UserDep
from qunzu.api.responses import AUTHED, errors
from qunzu.api.schemas import OneLine, OneLineOrBlank, Strict
from qunzu.domain.complaint_figures import FigureRow
from qunzu.services import inspection, regulators
from qunzu.services.inspection import GroupFile, InspectGroup, LogRow
from qunzu.services.regulators import RegulatorSpec, RegulatorView

router = APIRouter(prefix="/api/v1", tags=["inspection"])
UserId = Annotated[int, Path(ge=1, le=2**53 - 1)]


class RegulatorIn(Strict):
    username: OneLine = Field(min_length=3, max_length=32, description="the sign-in name of the new account")
    official_name: OneLine = Field(min_length=1, max_length=100, description="the named official it is issued to")
    organisation: OneLine = Field(min_length=1, max_length=200)
    document_number: OneLineOrBlank = Field("", max_length=100, description="the letter that asked for the access")
    group_codes: list[OneLine] = Field(default_factory=list, max_length=200, description="groups in scope")
    categories: list[OneLine] = Field(default_factory=list, max_length=50, description="group categories in scope")
    region: OneLineOrBlank = Field("", max_length=64, description="kept; not enforced until records carry a location")
    window_from: datetime = Field(description="the records shown: from (inclusive)")
    window_to: datetime = Field(description="the records shown: to (exclusive)")
    expires_at: datetime = Field(description="sign-in refused from then on (access_expired)")


class RegulatorOut(BaseModel):
    user_id: int
    username: str
    official_name: str
    organisation: str
    document_number: str | None
    group_ids: list[int]
    categories: list[str]
    region: str | None
    window_from: datetime
    window_to: datetime
    expires_at: datetime
    created_at: datetime
    revoked_at: datetime | None

    @staticmethod
    def of(v: RegulatorView) -> RegulatorOut:
        return RegulatorOut.model_validate(v, from_attributes=True)


class IssuedOut(BaseModel):
    regulator: RegulatorOut
    initial_password: str = Field(description="shown this once; give it to the official in person")


@router.post(
    "/staff/regulators", status_code=201, response_model=IssuedOut, responses=errors(*AUTHED, 403, 404, 409, 422)
)
async def create(body: RegulatorIn, user: UserDep, c: ContainerDep, ctx: CtxDep) -> IssuedOut:
    """Issue a regulator's access (admin): the account, its scope and expiry. Recorded as `regulator.create`."""
    spec = RegulatorSpec(
        username=body.username, official_name=body.official_name, organisation=body.organisation,
        document_number=body.document_number or None, group_codes=body.group_codes, categories=body.categories,
        region=body.region or None, window_from=body.window_from, window_to=body.window_to,
        expires_at=body.expires_at,
    )  # fmt: skip
    issued = await regulators.create_regulator(
        c.db, c.passwords, staff=user, spec=spec, known_categories=c.settings.groups.categories, ctx=ctx,
        password_min_length=c.settings.auth.password_min_length,
    )  # fmt: skip
    return IssuedOut(regulator=RegulatorOut.of(issued.regulator), initial_password=issued.password)


@router.get("/staff/regulators", response_model=list[RegulatorOut], responses=errors(*AUTHED, 403))
async def list_all(user: UserDep, c: ContainerDep) -> list[RegulatorOut]:
    """Every access issued, current, expired and revoked (admin)."""
    return [RegulatorOut.of(v) for v in await regulators.list_regulators(c.db, staff=user)]


@router.post(
    "/staff/regulators/{user_id}/revoke", response_model=RegulatorOut, responses=errors(*AUTHED, 403, 404, 409)
)
async def revoke(user_id: UserId, user: UserDep, c: ContainerDep, ctx: CtxDep) -> RegulatorOut:
    """End an access now (admin): its sessions stop at their next request. Recorded as `regulator.revoke`."""
    view = await regulators.revoke_regulator(c.db, staff=user, user_id=user_id, ctx=ctx)
    c.tokens.evict_user(user_id)
    return RegulatorOut.of(view)


@router.get("/inspect/groups", response_model=list[InspectGroup], responses=errors(*AUTHED, 403))
async def groups(user: UserDep, c: ContainerDep, ctx: CtxDep) -> list[InspectGroup]:
    """The groups in the caller's inspection scope."""
    return await inspection.list_groups(c.db, staff=user, ctx=ctx)


@router.get("/inspect/groups/{code}/{view}", response_model=GroupFile, responses=errors(*AUTHED, 403, 404))
async def group_file(
    code: Annotated[str, Path(max_length=20)],
    view: Literal["members", "messages", "measures"],
    user: UserDep,
    c: ContainerDep,
    ctx: CtxDep,
) -> GroupFile:
    """One group in scope: members (now, and the join/leave records over time), messages (deleted and held ones
    included, marked by `deleted_at` and `review_state`), or measures; within the scope's window."""
    return await inspection.group_file(c.db, staff=user, code=code, view=view, ctx=ctx)


class LogQuery(BaseModel):
    actor_id: int | None = Field(None, ge=1, le=2**53 - 1)
    ip: str | None = Field(None, max_length=64)
    group: str | None = Field(None, max_length=20)
    since: datetime | None = None
    until: datetime | None = None


async def _log(q: LogQuery, user: UserDep, c: ContainerDep, ctx: CtxDep, *, download: bool) -> list[LogRow]:
    return await inspection.search_log(
        c.db, staff=user, actor_id=q.actor_id, ip=q.ip or None, group_code=q.group or None, since=q.since,
        until=q.until, ctx=ctx, download=download,
    )  # fmt: skip


@router.get("/inspect/log", response_model=list[LogRow], responses=errors(*AUTHED, 403, 404, 422))
async def log(q: Annotated[LogQuery, Query()], user: UserDep, c: ContainerDep, ctx: CtxDep) -> list[LogRow]:
    """Operation records by account, source IP, group and time (a regulator: groups in scope, within the window)."""
    return await _log(q, user, c, ctx, download=False)


@router.get("/inspect/log.csv", responses=errors(*AUTHED, 403, 404, 422))
async def log_csv(q: Annotated[LogQuery, Query()], user: UserDep, c: ContainerDep, ctx: CtxDep) -> Response:
    """The same search as a CSV download (UTF-8 with BOM); recorded as `inspect.download`."""
    body = inspection.log_as_csv(await _log(q, user, c, ctx, download=True))
    return Response(body, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="operation-log.csv"'})  # fmt: skip


@router.get("/inspect/figures", response_model=list[FigureRow], responses=errors(*AUTHED, 403, 422))
async def figures(
    user: UserDep, c: ContainerDep, ctx: CtxDep, period_from: Annotated[datetime, Query(alias="from")],
    period_to: Annotated[datetime, Query(alias="to")],
) -> list[FigureRow]:  # fmt: skip
    """Complaint supervision figures (R-12.1-3) of [from, to), narrowed to a regulator's window."""
    return await inspection.figures(c.db, staff=user, period_from=period_from, period_to=period_to, ctx=ctx)
