"""Staff API of lawful requests (R-13.1-1): record an authority's request, another officer approves or refuses it,
build the signed answer, mark it delivered. Administrators and compliance officers act; the regulator role reads.
The answer's package downloads through the disclosure register (`/api/v1/staff/reports/{id}/download`)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path
from pydantic import AwareDatetime, BaseModel, Field

from qunzu.api.deps import ContainerDep, CtxDep, UserDep
from qunzu.api.responses import AUTHED, errors
from qunzu.api.schemas import OneLineOrBlank, Strict, TextOrBlank
from qunzu.api.schemas_reports import PackageOut
from qunzu.domain import lawful_requests as lr
from qunzu.services import lawful_answer, lawful_requests
from qunzu.services.lawful_requests import RequestView
from qunzu.services.report_keys import signing_key

router = APIRouter(prefix="/api/v1/staff/lawful-requests", tags=["lawful requests"])
RequestId = Annotated[int, Path(ge=1, le=2**53 - 1, description="the lawful request")]
Subject = Annotated[str, Field(max_length=64)]


class LawfulIn(Strict):
    authority: OneLineOrBlank = Field(max_length=lr.AUTHORITY_MAX, examples=["某市公安局网络安全保卫支队"])
    document_number: OneLineOrBlank = Field(max_length=lr.DOCUMENT_NUMBER_MAX, examples=["某公网调〔2026〕15号"])
    legal_basis: OneLineOrBlank = Field(max_length=lr.LEGAL_BASIS_MAX, examples=["《网络安全法》第二十八条"])
    reason: TextOrBlank = Field(max_length=lr.REASON_MAX, description="what the authority asks for, and why")
    period_from: AwareDatetime
    period_to: AwareDatetime = Field(description="the first instant NOT covered; at most 366 days after period_from")
    group_codes: list[Subject] = Field(default_factory=list, max_length=lr.SUBJECTS_MAX)
    accounts: list[Subject] = Field(default_factory=list, max_length=lr.SUBJECTS_MAX, description="usernames or ids")
    addresses: list[Subject] = Field(
        default_factory=list, max_length=lr.SUBJECTS_MAX, description='"203.0.113.7" or "203.0.113.7:50123"'
    )
    include_identity: bool = Field(False, description="reveal real identities (recorded per person); else masked")


class DecisionIn(Strict):
    reason: TextOrBlank = Field("", max_length=lr.REASON_MAX, description="required to refuse")


class LawfulOut(BaseModel):
    id: int
    authority: str
    document_number: str
    legal_basis: str
    reason: str
    scope: dict[str, Any] = Field(description="groups [{id, code}], accounts [{id, username}], addresses [{ip, port}]")
    include_identity: bool
    period_from: datetime
    period_to: datetime
    status: str = Field(description="pending | approved | refused | answered")
    requested_by: int
    requester: str | None
    requested_at: datetime
    decided_by: int | None
    decider: str | None
    decided_at: datetime | None
    decision_reason: str | None
    register_id: int | None = Field(description="the disclosure-register entry of the answer")
    answered_at: datetime | None
    counts: dict[str, int] | None
    delivered_at: datetime | None
    download: str | None

    @staticmethod
    def of(v: RequestView) -> LawfulOut:
        return LawfulOut(
            id=v.id, authority=v.authority, document_number=v.document_number, legal_basis=v.legal_basis,
            reason=v.reason, scope=v.scope, include_identity=v.include_identity, period_from=v.period_from,
            period_to=v.period_to, status=v.status, requested_by=v.requested_by, requester=v.requester,
            requested_at=v.requested_at, decided_by=v.decided_by, decider=v.decider, decided_at=v.decided_at,
            decision_reason=v.decision_reason, register_id=v.register_id, answered_at=v.answered_at,
            counts=v.counts, delivered_at=v.delivered_at,
            download=f"/api/v1/staff/reports/{v.register_id}/download" if v.register_id else None,
        )  # fmt: skip


class AnswerOut(BaseModel):
    request: LawfulOut
    package: PackageOut


@router.get("", response_model=list[LawfulOut], responses=errors(*AUTHED, 403))
async def list_requests(
    user: UserDep, c: ContainerDep, status: Literal["pending", "approved", "refused", "answered"] | None = None
) -> list[LawfulOut]:
    """The requests, newest first; `status` narrows to pending, approved, refused or answered."""
    return [LawfulOut.of(v) for v in await lawful_requests.list_requests(c.db, staff=user, status=status)]


@router.post("", status_code=201, response_model=LawfulOut, responses=errors(*AUTHED, 403, 404))
async def record(body: LawfulIn, user: UserDep, c: ContainerDep, ctx: CtxDep) -> LawfulOut:
    """Record an authority's request (pending until another officer decides it); `lawful.request`."""
    spec = lr.RequestSpec(
        authority=body.authority, document_number=body.document_number, legal_basis=body.legal_basis,
        reason=body.reason, period_from=body.period_from, period_to=body.period_to,
        group_codes=tuple(body.group_codes), accounts=tuple(body.accounts), addresses=tuple(body.addresses),
        include_identity=body.include_identity,
    )  # fmt: skip
    return LawfulOut.of(await lawful_requests.record_request(c.db, staff=user, spec=spec, ctx=ctx))


@router.get("/{request_id}", response_model=LawfulOut, responses=errors(*AUTHED, 403, 404))
async def get(request_id: RequestId, user: UserDep, c: ContainerDep) -> LawfulOut:
    return LawfulOut.of(await lawful_requests.get_request(c.db, staff=user, request_id=request_id))


@router.post("/{request_id}/approve", response_model=LawfulOut, responses=errors(*AUTHED, 403, 404, 409))
async def approve(
    request_id: RequestId, user: UserDep, c: ContainerDep, ctx: CtxDep, body: DecisionIn | None = None
) -> LawfulOut:
    """Approve a pending request recorded by another officer (four eyes); `lawful.approve`."""
    view = await lawful_requests.decide_request(
        c.db, staff=user, request_id=request_id, approve=True, reason=body.reason if body else "", ctx=ctx
    )
    return LawfulOut.of(view)


@router.post("/{request_id}/refuse", response_model=LawfulOut, responses=errors(*AUTHED, 403, 404, 409))
async def refuse(
    request_id: RequestId, user: UserDep, c: ContainerDep, ctx: CtxDep, body: DecisionIn | None = None
) -> LawfulOut:
    """Refuse a pending request recorded by another officer, saying why; `lawful.refuse`."""
    view = await lawful_requests.decide_request(
        c.db, staff=user, request_id=request_id, approve=False, reason=body.reason if body else "", ctx=ctx
    )
    return LawfulOut.of(view)


@router.post("/{request_id}/answer", status_code=201, response_model=AnswerOut,
             responses=errors(*AUTHED, 403, 404, 409))  # fmt: skip
async def answer(request_id: RequestId, user: UserDep, c: ContainerDep, ctx: CtxDep) -> AnswerOut:
    """Build, sign and register the answer to an approved request; `lawful.answer`."""
    info = await lawful_answer.answer_request(
        c.db, c.keys, staff=user, request_id=request_id, key=signing_key(c.settings.report_key_path),
        out_dir=c.settings.report_dir, ctx=ctx,
    )  # fmt: skip
    view = await lawful_requests.get_request(c.db, staff=user, request_id=request_id)
    return AnswerOut(request=LawfulOut.of(view), package=PackageOut.of(info))


@router.post("/{request_id}/delivered", response_model=LawfulOut, responses=errors(*AUTHED, 403, 404, 409))
async def delivered(request_id: RequestId, user: UserDep, c: ContainerDep, ctx: CtxDep) -> LawfulOut:
    """Note that the answer's package was handed to the authority; `lawful.deliver`."""
    return LawfulOut.of(await lawful_requests.mark_delivered(c.db, staff=user, request_id=request_id, ctx=ctx))
