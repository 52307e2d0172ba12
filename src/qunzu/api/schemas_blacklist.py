"""Shapes of the staff blacklist API (Art. 11 ¶2–3): entries, their changes, and the add, change, review and remove
requests."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, Field

from qunzu.api.schemas import MAX_ID, OneLine, OneLineOrBlank, Strict, Text
from qunzu.domain.blacklist import effects
from qunzu.i18n.blacklist_texts import effect_label, level_label
from qunzu.services.blacklist_effects import Outcome
from qunzu.services.blacklist_views import ChangeView, EntryView

Severity = Literal[1, 2, 3]


class BlacklistAddIn(Strict):
    subject_type: Literal["group", "account", "identity"] = Field(
        description="group: `subject` is its code; account: its username; identity: the username of an account whose "
        "verified mobile and ID numbers are blacklisted (one entry each, shown masked)"
    )
    subject: OneLine = Field(max_length=64)
    severity: Severity = Field(description="1 restricted, 2 severe (signed out), 3 banned (suspended; no new account)")
    source: Literal["platform", "authority"] = "platform"
    authority_ref: OneLineOrBlank | None = Field(None, max_length=100, description="the authority's document number")
    reason: Text = Field(max_length=2000)
    reason_code: Literal[
        "fraud", "gambling", "pornography", "violence", "illegal_goods", "advertising", "politics", "harassment",
        "privacy", "other",
    ] = Field("other", description="a group entry: the category the closure cites")  # fmt: skip
    review_at: AwareDatetime | None = Field(None, description="default: 90 days on (or the end, if sooner)")
    ends_at: AwareDatetime | None = Field(None, description="null: until removed")
    record_id: int | None = Field(None, ge=1, le=MAX_ID, description="the enforcement record it follows from")
    message_ids: list[int] = Field(default_factory=list, max_length=50)


class BlacklistChangeIn(Strict):
    reason: Text = Field(max_length=2000)
    severity: Severity | None = None
    review_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = Field(None, description="a new end; with clear_end true the entry has none")
    clear_end: bool = False


class BlacklistReviewIn(BlacklistChangeIn):
    outcome: Literal["keep", "change", "remove"] = Field(
        description="keep: a new review date (default 90 days on); change: the fields given; remove"
    )


class BlacklistRemoveIn(Strict):
    reason: Text = Field(max_length=2000)


class BlacklistEntryOut(BaseModel):
    id: int
    subject_type: str
    label: str = Field(description="a group's name and code, @username, or a masked number with its account")
    group_code: str | None
    severity: int
    severity_label: str
    effects: list[str] = Field(description="what the severity restricts, in the request's language")
    source: str
    authority_ref: str | None
    reason: str
    evidence: dict[str, Any]
    record_id: int | None = Field(description="the enforcement record (a group entry: the closure)")
    starts_at: datetime
    review_at: datetime
    ends_at: datetime | None
    removed_at: datetime | None
    status: str = Field(description="active | removed | expired")
    due_for_review: bool
    accounts: list[dict[str, Any]] = Field(default_factory=list, description="accounts it touches (entry page)")

    @classmethod
    def of(cls, v: EntryView, language: str) -> BlacklistEntryOut:
        return cls(
            id=v.id, subject_type=v.subject_type, label=v.label, group_code=v.group_code, severity=v.severity,
            severity_label=level_label(v.severity, language),
            effects=[effect_label(e.value, language) for e in effects(v.severity)] if v.subject_type != "group" else [],
            source=v.source, authority_ref=v.authority_ref, reason=v.reason, evidence=v.evidence,
            record_id=v.record_id, starts_at=v.starts_at, review_at=v.review_at, ends_at=v.ends_at,
            removed_at=v.removed_at, status=v.status, due_for_review=v.due,
            accounts=[{"id": i, "username": n} for i, n in v.accounts],
        )  # fmt: skip


class BlacklistChangeOut(BaseModel):
    id: int
    change: str = Field(description="added | changed | reviewed | removed | expired")
    actor_id: int | None = Field(description="null: the scheduled expiry")
    actor: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    diff: dict[str, Any] = Field(description="field → {before, after}")
    reason: str
    at: datetime
    reported_at: datetime | None

    @classmethod
    def of(cls, c: ChangeView) -> BlacklistChangeOut:
        return cls(
            id=c.id, change=c.change, actor_id=c.actor_id, actor=c.actor, before=c.before, after=c.after,
            diff=c.diff, reason=c.reason, at=c.at, reported_at=c.reported_at,
        )  # fmt: skip


class BlacklistDetailOut(BaseModel):
    entry: BlacklistEntryOut
    changes: list[BlacklistChangeOut]


class BlacklistOutcomeOut(BaseModel):
    entry_ids: list[int] = Field(description="the entries written (an identity: one per verified number)")
    accounts: list[int] = Field(description="the accounts whose level was recomputed")
    signed_out: list[int] = Field(description="accounts whose sessions ended")

    @classmethod
    def of(cls, o: Outcome) -> BlacklistOutcomeOut:
        return cls(entry_ids=o.entry_ids, accounts=o.accounts, signed_out=o.signed_out)
