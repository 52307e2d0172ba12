"""Schemas of the appeals API (R-11-x)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from qunzu.api.schemas import MAX_ID, AnyText, OneLine, Strict
from qunzu.domain.appeals import DECISION_REASON_MAX, STATEMENT_MAX
from qunzu.services.appeals import AppealView


class AppealIn(Strict):
    """Appeal one measure (`record_id`, an enforcement record), one credit deduction (`credit_event_id`) or one
    blacklist entry (`blacklist_entry_id`)."""

    record_id: int | None = Field(None, ge=1, le=MAX_ID)
    credit_event_id: int | None = Field(None, ge=1, le=MAX_ID)
    blacklist_entry_id: int | None = Field(None, ge=1, le=MAX_ID)
    statement: AnyText = Field(min_length=1, max_length=STATEMENT_MAX, description="why you disagree (5–2000)")

    @model_validator(mode="after")
    def _one(self) -> AppealIn:
        if sum(i is not None for i in (self.record_id, self.credit_event_id, self.blacklist_entry_id)) != 1:
            raise ValueError("give one of record_id, credit_event_id, blacklist_entry_id")
        return self


class IllegalIn(Strict):
    """A staff member confirms a message illegal on their own finding (R-10-3), e.g. from a ticket or a measure."""

    category: OneLine = Field(min_length=1, max_length=32, description="a reason code or an illegal taxonomy code")
    reason: AnyText = Field(min_length=1, max_length=2000, description="told to the author with the measure")
    source: Literal["platform", "complaint", "authority"] = "platform"
    source_ref: OneLine | None = Field(None, max_length=100, description="the ticket or the authority's document")


class IllegalOut(BaseModel):
    record_id: int
    category: str


class AppealCreated(BaseModel):
    id: int
    status: str
    due_at: datetime


class AppealDecisionIn(Strict):
    decision: Literal["uphold", "reject"]
    reason: AnyText = Field(min_length=1, max_length=DECISION_REASON_MAX, description="told to the appellant")


class AppealOut(BaseModel):
    id: int
    subject: str = Field(description="measure | credit | blacklist")
    record_id: int | None
    credit_event_id: int | None
    blacklist_entry_id: int | None = None
    appellant_id: int
    appellant_nickname: str
    statement: str
    status: str = Field(description="pending | upheld | rejected")
    created_at: datetime
    due_at: datetime = Field(description="the decision is due (15 working days, D14)")
    overdue: bool
    decided_at: datetime | None
    decided_by: int | None
    decision_reason: str | None
    group_code: str | None
    record: dict[str, Any] | None = Field(None, description="the measure appealed (its evidence for staff only)")
    event: dict[str, Any] | None = Field(None, description="the credit deduction appealed, or the measure's")
    original_decider: int | None = Field(None, description="staff only: who decided what is appealed")
    entry: dict[str, Any] | None = Field(None, description="the blacklist entry appealed (masked label, no HMAC)")

    @staticmethod
    def of(v: AppealView, *, staff: bool) -> AppealOut:
        return AppealOut(
            id=v.id, subject=v.subject.value, record_id=v.record_id, credit_event_id=v.credit_event_id,
            appellant_id=v.appellant_id, appellant_nickname=v.appellant_nickname, statement=v.statement,
            status=v.status, created_at=v.created_at, due_at=v.due_at, overdue=v.overdue, decided_at=v.decided_at,
            decided_by=v.decided_by if staff else None, decision_reason=v.decision_reason, group_code=v.group_code,
            record=v.record, event=v.event, original_decider=v.original_decider if staff else None,
            blacklist_entry_id=v.blacklist_entry_id, entry=v.entry,
        )  # fmt: skip
