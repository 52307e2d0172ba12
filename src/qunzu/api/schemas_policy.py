"""Request and response shapes of the group policy endpoints (Art. 7 ¶1, Art. 8 ¶1; api/routes_policy.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from qunzu.api.schemas import OneLine, OneLineOrBlank
from qunzu.domain.policy import HARD_CAP_CEILING
from qunzu.services.policy_admin import CapRequestView, FilingStatus, VersionView

MAX_VERSION = 2**31 - 1


class PolicyFilingOut(BaseModel):
    running_version: int
    filed_version: int | None = Field(description="the newest version filed with the CAC office")
    differs: bool = Field(description="the version in force is not the last one filed (the console warns)")


class PolicyOut(BaseModel):
    """The version in force: its number, date, filing and the whole table (`policy`, as domain/policy.py)."""

    version: int
    created_at: datetime
    filed_at: datetime | None
    filed_ref: str | None
    filing: PolicyFilingOut
    policy: dict[str, Any]


class PolicyVersionOut(BaseModel):
    version: int
    created_at: datetime
    created_by: int | None
    author: str | None
    note: str
    changes: list[dict[str, Any]] = Field(description='[{"path", "old", "new"}] against the version before')
    filed_at: datetime | None
    filed_ref: str | None
    filed_by: int | None
    policy: dict[str, Any]


class PolicyWriteIn(BaseModel):
    base_version: int = Field(ge=1, le=MAX_VERSION, description="the version the edit started from")
    body: dict[str, Any] = Field(description="the whole edited table (as `policy` in GET /api/v1/policy)")
    note: OneLineOrBlank = Field(default="", max_length=500)


class FilingIn(BaseModel):
    ref: OneLine = Field(min_length=1, max_length=100, description="the CAC office's filing reference")


class CapRequestIn(BaseModel):
    value: int = Field(ge=2, le=HARD_CAP_CEILING, description="the proposed global hard cap")
    reason: OneLine = Field(min_length=1, max_length=500)


class CapDecisionIn(BaseModel):
    approve: bool
    note: OneLineOrBlank = Field(default="", max_length=500)


class CapRequestOut(BaseModel):
    id: int
    value: int
    reason: str
    requested_by: int
    requester: str | None
    requested_at: datetime
    status: Literal["pending", "approved", "refused", "withdrawn"]
    decided_by: int | None
    decider: str | None
    decided_at: datetime | None
    decision_note: str | None
    policy_version: int | None


def filing_out(f: FilingStatus) -> PolicyFilingOut:
    return PolicyFilingOut(
        running_version=f.running.version, filed_version=f.filed.version if f.filed else None, differs=f.differs
    )


def version_out(v: VersionView) -> PolicyVersionOut:
    return PolicyVersionOut(
        version=v.version, created_at=v.created_at, created_by=v.created_by, author=v.author, note=v.note,
        changes=v.changes, filed_at=v.filed_at, filed_ref=v.filed_ref, filed_by=v.filed_by, policy=v.body,
    )  # fmt: skip


def cap_out(r: CapRequestView) -> CapRequestOut:
    return CapRequestOut(
        id=r.id, value=r.value, reason=r.reason, requested_by=r.requested_by, requester=r.requester,
        requested_at=r.requested_at, status=r.status, decided_by=r.decided_by, decider=r.decider,  # type: ignore[arg-type]
        decided_at=r.decided_at, decision_note=r.decision_note, policy_version=r.policy_version,
    )  # fmt: skip
