"""Shapes of platform measures and their enforcement records (Art. 11 ¶1–2, R-11.1-*, R-11.2-*, R-11-x)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from qunzu.api.schemas import MAX_ID, OneLine, OneLineOrBlank, Strict, Text, TextOrBlank
from qunzu.domain.content import REASON_CODES
from qunzu.domain.credit import Severity
from qunzu.domain.enforcement import (
    EVIDENCE_MAX,
    MeasureKind,
    MeasureSpec,
    clause_text,
    legal_basis_text,
)
from qunzu.services.enforcement import appeal_link
from qunzu.services.measures import NoticeSent, RecordView


class MeasureIn(Strict):
    """A measure to apply. The target: a group by code (or id), a user by username (or id), a message by id."""

    kind: MeasureKind
    target: OneLine = Field(min_length=1, max_length=64, description="group code, username, or id")
    reason_code: Literal[REASON_CODES] = Field(description="the review reason codes")  # type: ignore[valid-type]
    reason: Text = Field(min_length=1, max_length=2000, description="shown to the subject")
    duration_hours: int | None = Field(
        None, ge=1, le=365 * 24, description="the period (a warning: the time to rectify); none: until lifted"
    )
    rectification: TextOrBlank = Field("", max_length=2000, description="a warning: what must be fixed")
    evidence_message_ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(
        default_factory=list, max_length=EVIDENCE_MAX, description="messages kept as evidence (copied with SHA-256)"
    )
    source: Literal["platform", "review", "complaint", "authority"] = "platform"
    source_ref: OneLineOrBlank = Field("", max_length=100, description="ticket, review item or authority document")
    clause: OneLineOrBlank = Field("", max_length=64, description="blank: the measure's clause of the agreement")
    legal_basis: OneLineOrBlank = Field("", max_length=200, description="blank: the measure's default law")
    credit_severity: Severity | None = Field(None, description="a deduction with it: minor 5, moderate 10, serious 20")
    stars: int | None = Field(None, ge=1, le=5, description="group_stars: the level it lowers the group to (2–4)")

    def spec(self, target_id: int) -> MeasureSpec:
        return MeasureSpec(
            kind=self.kind,
            target_id=target_id,
            reason_code=self.reason_code,
            reason=self.reason,
            duration=timedelta(hours=self.duration_hours) if self.duration_hours else None,
            rectification=self.rectification or None,
            evidence_message_ids=tuple(self.evidence_message_ids),
            source=self.source,
            source_ref=self.source_ref or None,
            clause=self.clause or None,
            legal_basis=self.legal_basis or None,
            credit_severity=self.credit_severity,
            stars=self.stars,
        )


class LiftIn(Strict):
    reason: Text = Field(min_length=1, max_length=200)
    status: Literal["lifted", "resolved"] = Field("lifted", description="resolved: a warning rectified")


class WarningResponseIn(Strict):
    text: Text = Field(min_length=1, max_length=2000, description="what the owner did about the warning")


class NoticeOut(BaseModel):
    user_id: int
    nickname: str
    kind: str
    created_at: datetime
    read_at: datetime | None

    @classmethod
    def of(cls, n: NoticeSent) -> NoticeOut:
        return cls(user_id=n.user_id, nickname=n.nickname, kind=n.kind, created_at=n.created_at, read_at=n.read_at)


class RecordOut(BaseModel):
    """An enforcement record: target, measure, reason, rule clause and law, evidence with hashes, decider, times,
    status, the owner's response to a warning, the credit event, notices and report status."""

    id: int
    measure: str
    target_type: str
    target_id: int
    target_label: str
    group_code: str | None
    reason_code: str
    reason: str
    clause: str
    clause_text: str
    legal_basis: str
    legal_basis_text: str
    rectification: str | None
    stars: int | None = Field(description="group_stars: the level the group is lowered to")
    source: str
    source_ref: str | None
    decided_by: int | None = Field(description="staff; null for the platform's own jobs")
    starts_at: datetime
    ends_at: datetime | None = Field(description="a warning: its deadline; null: until lifted")
    status: str = Field(description="active | resolved | lifted | expired | overdue")
    lifted_at: datetime | None
    lift_reason: str | None
    owner_response: str | None
    responded_at: datetime | None
    credit_event_id: int | None
    notified_at: datetime | None
    reported_at: datetime | None = Field(description="the report item: set when a report package carried it")
    appeal_status: str | None
    appeal: str = Field(description="where the subject appeals")
    evidence: list[dict[str, Any]]
    evidence_sha256: str
    evidence_intact: bool
    notices: list[NoticeOut] | None = None

    @classmethod
    def of(cls, v: RecordView, language: str, *, notices: list[NoticeSent] | None = None) -> RecordOut:
        return cls(
            id=v.id, measure=v.measure.value, target_type=v.target_type, target_id=v.target_id,
            target_label=v.target_label, group_code=v.group_code, reason_code=v.reason_code, reason=v.reason,
            clause=v.clause, clause_text=clause_text(v.clause, language), legal_basis=v.legal_basis,
            legal_basis_text=legal_basis_text(v.legal_basis, language), rectification=v.rectification,
            stars=v.stars, source=v.source, source_ref=v.source_ref, decided_by=v.decided_by, starts_at=v.starts_at,
            ends_at=v.ends_at, status=v.status, lifted_at=v.lifted_at, lift_reason=v.lift_reason,
            owner_response=v.owner_response, responded_at=v.responded_at, credit_event_id=v.credit_event_id,
            notified_at=v.notified_at, reported_at=v.reported_at, appeal_status=v.appeal_status,
            appeal=appeal_link(v.id), evidence=v.evidence, evidence_sha256=v.evidence_sha256,
            evidence_intact=v.evidence_intact,
            notices=[NoticeOut.of(n) for n in notices] if notices is not None else None,
        )  # fmt: skip


class MyRecordOut(BaseModel):
    """A measure on me or on a group I own or manage, as its subject reads it (no evidence of other people)."""

    id: int
    measure: str
    target_type: str
    target_label: str
    group_code: str | None
    reason_code: str
    reason: str
    clause_text: str
    legal_basis_text: str
    rectification: str | None
    stars: int | None
    starts_at: datetime
    ends_at: datetime | None
    status: str
    lift_reason: str | None
    owner_response: str | None
    responded_at: datetime | None
    appeal_status: str | None
    appeal: str

    @classmethod
    def of(cls, v: RecordView, language: str) -> MyRecordOut:
        return cls(
            id=v.id, measure=v.measure.value, target_type=v.target_type, target_label=v.target_label,
            group_code=v.group_code, reason_code=v.reason_code, reason=v.reason,
            clause_text=clause_text(v.clause, language), legal_basis_text=legal_basis_text(v.legal_basis, language),
            rectification=v.rectification, stars=v.stars, starts_at=v.starts_at, ends_at=v.ends_at,
            status=v.status, lift_reason=v.lift_reason, owner_response=v.owner_response, responded_at=v.responded_at,
            appeal_status=v.appeal_status, appeal=appeal_link(v.id),
        )  # fmt: skip
