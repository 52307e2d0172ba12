"""Shapes of reports (举报) and the staff ticket desk (Art. 12, R-12.1-1, R-12.1-2)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, Field

from qunzu.api.schemas import MAX_ID, OneLine, OneLineOrBlank, Strict, TextOrBlank
from qunzu.domain.complaints import GUIDE_ITEM, ReportCategory, is_high_risk
from qunzu.services.complaint_desk import MeasureRequest, QueueEntry, TicketDetail
from qunzu.services.complaints import Receipt, ReportStatus, category_text


class CategoryOut(BaseModel):
    code: str
    label: str
    high_risk: bool = Field(description="jumps the queue; decided within 1 h in staffed hours, else 24 h (D14)")
    guide_item: int = Field(description="the item of the report guide §二 it belongs to")


def categories_out(language: str) -> list[CategoryOut]:
    return [
        CategoryOut(
            code=c.value,
            label=category_text(c.value, language),
            high_risk=is_high_risk(c),
            guide_item=GUIDE_ITEM[c.value],
        )
        for c in ReportCategory
    ]


class ReportIn(Strict):
    """A report in the app: a message (group_code + message_id), a member (group_code + user_id) or a group."""

    target_type: Literal["message", "user", "group"]
    group_code: OneLine = Field(min_length=1, max_length=32, description="the group it happens in, 10 digits")
    message_id: int | None = Field(None, ge=1, le=MAX_ID)
    user_id: int | None = Field(None, ge=1, le=MAX_ID)
    category: OneLine = Field(min_length=1, max_length=32, description="a code of GET /api/v1/reports/categories")
    description: TextOrBlank = Field("", max_length=1000, description="optional: what is wrong")


class PublicReportIn(Strict):
    """A report through the public form (no account)."""

    target: OneLine = Field(
        min_length=1, max_length=500, description="a message link (…/g/<code>#m<id>), a group code, or a nickname"
    )
    category: OneLine = Field(min_length=1, max_length=32)
    description: TextOrBlank = Field("", max_length=1000)
    contact: OneLineOrBlank = Field("", max_length=200, description="optional; without it no result is sent to you")


class ReceiptOut(BaseModel):
    number: str = Field(description="the ticket number, shown to the reporter")
    category: str
    category_label: str
    high_risk: bool
    received_at: datetime
    due_at: datetime = Field(description="decided by then (D14)")
    feedback_due: datetime = Field(description="the reporter is told by then (15 working days)")
    existing: bool = Field(description="true: your open report on this target, not a new one")
    lookup_code: str | None = Field(None, description="public form only: shown once, with the number it checks status")

    @classmethod
    def of(cls, r: Receipt, language: str) -> ReceiptOut:
        return cls(
            number=r.number, category=r.category, category_label=category_text(r.category, language),
            high_risk=r.high_risk, received_at=r.received_at, due_at=r.due_at, feedback_due=r.feedback_due,
            existing=r.existing, lookup_code=r.lookup_code,
        )  # fmt: skip


class ReportStatusOut(BaseModel):
    number: str
    channel: str
    target_type: str
    target_label: str
    category: str
    category_label: str
    stage: Literal["received", "in_review", "upheld", "rejected", "told"]
    outcome: Literal["upheld", "rejected"] | None
    received_at: datetime
    due_at: datetime
    decided_at: datetime | None
    feedback_at: datetime | None

    @classmethod
    def of(cls, s: ReportStatus, language: str, *, with_target: bool = True) -> ReportStatusOut:
        return cls(
            number=s.number, channel=s.channel, target_type=s.target_type,
            target_label=s.target_label if with_target else "", category=s.category,
            category_label=category_text(s.category, language), stage=s.stage, outcome=s.outcome,  # type: ignore[arg-type]
            received_at=s.received_at, due_at=s.due_at, decided_at=s.decided_at, feedback_at=s.feedback_at,
        )  # fmt: skip


class QueueEntryOut(BaseModel):
    ticket_id: int
    target_key: str
    target_type: str
    label: str
    group_code: str | None
    tickets: int
    reporters: int
    categories: list[str]
    high_risk: bool
    priority: int
    received_at: datetime
    due_at: datetime
    overdue: bool
    claimed_by: int | None

    @classmethod
    def of(cls, e: QueueEntry) -> QueueEntryOut:
        return cls(
            ticket_id=e.ticket_id, target_key=e.target_key, target_type=e.target_type, label=e.label,
            group_code=e.group_code, tickets=e.tickets, reporters=e.reporters, categories=list(e.categories),
            high_risk=e.high_risk, priority=e.priority, received_at=e.received_at, due_at=e.due_at,
            overdue=e.overdue, claimed_by=e.claimed_by,
        )  # fmt: skip


class TicketReportOut(BaseModel):
    id: int
    number: str
    channel: str
    reporter_id: int | None
    reporter_nickname: str | None
    reporter_credit_level: int | None
    has_contact: bool
    category: str
    description: str
    status: str
    received_at: datetime


class TicketOut(BaseModel):
    id: int
    number: str
    target_type: str
    target_id: str
    target_key: str
    group_code: str | None
    category: str
    high_risk: bool
    priority: int
    status: str
    snapshot: dict[str, Any] = Field(description="the reported content and its context when reported")
    snapshot_sha256: str
    hash_matches: bool
    received_at: datetime
    due_at: datetime
    feedback_due: datetime
    overdue: bool
    claimed_by: int | None
    decided_at: datetime | None
    decided_by: int | None
    decision_reason: str | None
    record_id: int | None
    feedback_at: datetime | None
    reports: list[TicketReportOut]

    @classmethod
    def of(cls, d: TicketDetail) -> TicketOut:
        return cls(
            id=d.id, number=d.number, target_type=d.target_type, target_id=d.target_id, target_key=d.target_key,
            group_code=d.group_code, category=d.category, high_risk=d.high_risk, priority=d.priority,
            status=d.status, snapshot=d.snapshot, snapshot_sha256=d.snapshot_sha256, hash_matches=d.hash_matches,
            received_at=d.received_at, due_at=d.due_at, feedback_due=d.feedback_due, overdue=d.overdue,
            claimed_by=d.claimed_by, decided_at=d.decided_at, decided_by=d.decided_by,
            decision_reason=d.decision_reason, record_id=d.record_id, feedback_at=d.feedback_at,
            reports=[
                TicketReportOut(
                    id=r.id, number=r.number, channel=r.channel, reporter_id=r.reporter_id,
                    reporter_nickname=r.reporter_nickname, reporter_credit_level=r.reporter_credit_level,
                    has_contact=r.has_contact, category=r.category, description=r.description, status=r.status,
                    received_at=r.received_at,
                )
                for r in d.reports
            ],
        )  # fmt: skip


class MeasureIn(Strict):
    kind: OneLine = Field(min_length=1, max_length=32, description="domain/enforcement.py::MeasureKind")
    reason_code: OneLine = Field(min_length=1, max_length=32, description="the content taxonomy's category")
    duration_hours: int | None = Field(None, ge=1, le=365 * 24)
    rectification: TextOrBlank = Field("", max_length=2000, description="a warning: what must be fixed")
    stars: int | None = Field(None, ge=1, le=5, description="group_stars: the level it lowers the group to (2–4)")

    def request(self) -> MeasureRequest:
        return MeasureRequest(
            kind=self.kind, reason_code=self.reason_code,
            duration=timedelta(hours=self.duration_hours) if self.duration_hours else None,
            rectification=self.rectification or None, stars=self.stars,
        )  # fmt: skip


class DecisionIn(Strict):
    outcome: Literal["upheld", "rejected"]
    reason: TextOrBlank = Field("", max_length=1000, description="required")
    measure: MeasureIn | None = Field(None, description="upheld only: apply this measure in the same transaction")
    record_id: int | None = Field(None, ge=1, le=MAX_ID, description="upheld only: link a measure already applied")


class TicketStateOut(BaseModel):
    id: int
    status: str
    record_id: int | None = None
