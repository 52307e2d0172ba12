"""Staff API of legal holds (R-13.1-3): list, place, release. Administrators and compliance officers place and
release holds; the regulator role reads them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from qunzu.api.deps import ContainerDep, CtxDep, UserDep
from qunzu.api.responses import AUTHED, errors
from qunzu.api.schemas import OneLine, OneLineOrBlank, Strict, Text
from qunzu.domain.legal_holds import HoldSpec
from qunzu.services import legal_holds
from qunzu.services.legal_holds import HoldView

router = APIRouter(prefix="/api/v1/staff/holds", tags=["legal holds"])
HoldId = Annotated[int, Path(ge=1, le=2**53 - 1)]


class HoldIn(Strict):
    subject_type: Literal["user", "group", "period"]
    subject: OneLineOrBlank = Field(
        "", max_length=64, description="a username (or id) or a group code; blank for a period"
    )
    starts_at: datetime | None = Field(None, description="the window held (required for a period)")
    ends_at: datetime | None = None
    authority: OneLine = Field(min_length=1, max_length=200, description="who asked for the hold")
    document_number: OneLineOrBlank = Field("", max_length=100)
    reason: Text = Field(min_length=1, max_length=2000)


class ReleaseIn(Strict):
    reason: Text = Field(min_length=1, max_length=2000)


class HoldOut(BaseModel):
    id: int
    subject_type: str
    subject_id: int | None
    label: str
    starts_at: datetime | None
    ends_at: datetime | None
    authority: str
    document_number: str | None
    reason: str
    created_by: int | None
    created_by_name: str | None
    created_at: datetime
    active: bool
    released_at: datetime | None
    release_reason: str | None
    records_held: int = Field(description="operation records it covers now")

    @staticmethod
    def of(v: HoldView) -> HoldOut:
        return HoldOut(
            id=v.id, subject_type=v.subject_type, subject_id=v.subject_id, label=v.label, starts_at=v.starts_at,
            ends_at=v.ends_at, authority=v.authority, document_number=v.document_number, reason=v.reason,
            created_by=v.created_by, created_by_name=v.created_by_name, created_at=v.created_at, active=v.active,
            released_at=v.released_at, release_reason=v.release_reason, records_held=v.records_held,
        )  # fmt: skip


@router.get("", response_model=list[HoldOut], responses=errors(*AUTHED, 403))
async def list_holds(user: UserDep, c: ContainerDep, active: bool = False) -> list[HoldOut]:
    """Holds, active ones first; `active=true` for those in force only."""
    return [HoldOut.of(v) for v in await legal_holds.list_holds(c.db, staff=user, active_only=active)]


@router.post("", status_code=201, response_model=HoldOut, responses=errors(*AUTHED, 403, 404, 422))
async def place(body: HoldIn, user: UserDep, c: ContainerDep, ctx: CtxDep) -> HoldOut:
    """Hold a user's records (those they made and those about their account), a group's, or everything in a period,
    past every purge until released. Recorded as `legal_hold.place`."""
    subject_id, label = None, None
    if body.subject_type != "period":
        subject_id, label = await legal_holds.resolve_subject(
            c.db, staff=user, subject_type=body.subject_type, subject=body.subject
        )
    spec = HoldSpec(
        subject_type=body.subject_type, subject_id=subject_id, authority=body.authority, reason=body.reason,
        document_number=body.document_number or None, starts_at=body.starts_at, ends_at=body.ends_at,
    )  # fmt: skip
    return HoldOut.of(await legal_holds.place_hold(c.db, staff=user, spec=spec, label=label, ctx=ctx))


@router.post("/{hold_id}/release", response_model=HoldOut, responses=errors(*AUTHED, 403, 404, 409, 422))
async def release(hold_id: HoldId, body: ReleaseIn, user: UserDep, c: ContainerDep, ctx: CtxDep) -> HoldOut:
    """Release a hold: what it kept goes with the next purge. Recorded as `legal_hold.release`."""
    return HoldOut.of(await legal_holds.release_hold(c.db, staff=user, hold_id=hold_id, reason=body.reason, ctx=ctx))
