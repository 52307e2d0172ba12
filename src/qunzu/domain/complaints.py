"""Complaints and reports (Art. 12, R-12.1-1, R-12.1-2, D14): categories, deadlines, priority and the ticket's states.

The categories are the published report guide's (投诉举报指引 §二), with its first item split so that the high-risk
illegal content of §四.2 and D14 has codes of its own: terrorism and extremism, violence and threats to life,
incitement to crime; fraud (in progress) and harm to minors are high-risk too. High-risk tickets jump the queue and
are decided within 1 hour when received in staffed hours, within 24 hours otherwise; the others within 3 working
days; the reporter is told within 15 working days (all configurable within those ceilings).

A ticket moves received → in_review (claimed by one handler) → upheld | rejected, and the reporter is told
(`feedback_at`). Each transition is one function here with its own error code. Pure: time, configuration and the
loaded state come in as arguments.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from qunzu.domain.rules import rule
from qunzu.domain.text import clean_line, clean_text
from qunzu.domain.workdays import is_working_day, working_deadline
from qunzu.errors import Conflict, ErrorCode, NotFound, RateLimited, ValidationFailed

BEIJING = ZoneInfo("Asia/Shanghai")


class ReportCategory(StrEnum):
    """What can be reported, in the order of the report guide §二 (stable codes: stored on tickets, counted in the
    supervision figures)."""

    TERRORISM = "terrorism"  # §二.1: 宣扬恐怖主义、极端主义 (high risk)
    VIOLENCE = "violence"  # §二.1: 暴力、危害人身安全 (high risk)
    INCITEMENT = "incitement"  # §二.1: 煽动违法犯罪、危害国家安全 (high risk)
    ILLEGAL = "illegal"  # §二.1: other illegal information (色情、赌博、谣言…)
    UNDESIRABLE = "undesirable"  # §二.2: 不良信息
    FRAUD = "fraud"  # §二.3: 诈骗、传销、非法集资… (high risk: a fraud may be in progress)
    CYBER_VIOLENCE = "cyber_violence"  # §二.4: 网络暴力
    MINORS = "minors"  # §二.5: 侵害未成年人权益 (high risk)
    PRIVACY = "privacy"  # §二.6: 侵犯个人信息和隐私
    RIGHTS = "rights"  # §二.7: 侵犯名誉权、肖像权、知识产权等
    GROUP_VIOLATION = "group_violation"  # §二.8: 群组违规
    ACCOUNT_VIOLATION = "account_violation"  # §二.9: 账号违规
    PI_COMPLAINT = "pi_complaint"  # §二.10: 对个人信息处理方式的投诉


HIGH_RISK = frozenset(
    {
        ReportCategory.TERRORISM,
        ReportCategory.VIOLENCE,
        ReportCategory.INCITEMENT,
        ReportCategory.FRAUD,
        ReportCategory.MINORS,
    }
)
# The item of the report guide §二 each category belongs to.
GUIDE_ITEM = {c: n for n, cs in enumerate(
    [("terrorism", "violence", "incitement", "illegal"), ("undesirable",), ("fraud",), ("cyber_violence",), ("minors",),
     ("privacy",), ("rights",), ("group_violation",), ("account_violation",), ("pi_complaint",)], start=1)
    for c in cs}  # fmt: skip


class TargetType(StrEnum):
    MESSAGE = "message"
    USER = "user"
    GROUP = "group"


class TicketStatus(StrEnum):
    RECEIVED = "received"
    IN_REVIEW = "in_review"
    UPHELD = "upheld"
    REJECTED = "rejected"


OPEN = frozenset({TicketStatus.RECEIVED.value, TicketStatus.IN_REVIEW.value})
DECIDED = frozenset({TicketStatus.UPHELD.value, TicketStatus.REJECTED.value})
DESCRIPTION_MAX = 1000
REASON_MAX = 1000


def parse_category(raw: str) -> ReportCategory:
    """A report category from its code; anything else is refused naming the field."""
    try:
        return ReportCategory(raw)
    except ValueError:
        raise ValidationFailed(
            "Unknown report category", details={"field": "category", "allowed": [c.value for c in ReportCategory]}
        ) from None


def is_high_risk(category: ReportCategory) -> bool:
    """Whether reports of this category jump the queue and run on the 1 h / 24 h clock (D14)."""
    return category in HIGH_RISK


def target_key(target_type: TargetType, target_id: str | int) -> str:
    """The key tickets on one target share ("message:42"): they are grouped in the queue and decided together."""
    return f"{target_type.value}:{target_id}"


# --- deadlines (D14) ----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ComplaintSla:
    """The handling times the operator publishes (config section `complaints`)."""

    staffed_from: time = time(8, 0)
    staffed_to: time = time(22, 0)
    staffed_every_day: bool = True
    holidays: frozenset[date] = field(default_factory=frozenset)
    workdays: frozenset[date] = field(default_factory=frozenset)
    high_risk_staffed: timedelta = timedelta(hours=1)
    high_risk_other: timedelta = timedelta(hours=24)
    decide_working_days: int = 3
    feedback_working_days: int = 15

    def staffed(self, at: datetime) -> bool:
        """Whether `at` falls in staffed hours (Beijing time; on working days only unless staffed every day)."""
        local = at.astimezone(BEIJING)
        if not self.staffed_every_day and not is_working_day(
            local.date(), holidays=self.holidays, workdays=self.workdays
        ):
            return False
        return self.staffed_from <= local.time().replace(tzinfo=None) < self.staffed_to

    def due(self, category: ReportCategory, received: datetime) -> datetime:
        """When a ticket of `category` received at `received` must be decided."""
        if is_high_risk(category):
            return received + (self.high_risk_staffed if self.staffed(received) else self.high_risk_other)
        return working_deadline(
            received, self.decide_working_days, holidays=self.holidays, workdays=self.workdays
        ).astimezone(received.tzinfo)

    def feedback_due(self, received: datetime) -> datetime:
        """When the reporter must have been told the result (15 working days from receipt)."""
        return working_deadline(
            received, self.feedback_working_days, holidays=self.holidays, workdays=self.workdays
        ).astimezone(received.tzinfo)


def overdue(*, due_at: datetime, decided_at: datetime | None, now: datetime) -> bool:
    """An open ticket past its deadline, or one decided after it."""
    return (decided_at or now) > due_at


# --- priority -----------------------------------------------------------------------------------------------------

HIGH_RISK_BONUS = 1000  # above any sum of reporter weights: a high-risk target always comes first
PRIORITY_CAP = HIGH_RISK_BONUS - 1


@dataclass(frozen=True, slots=True)
class Reporter:
    """One reporter of a target: an account with its credit level (0–5), or a public-form report (no account)."""

    account: int | None
    credit_level: int = 0


def priority(reporters: Iterable[Reporter], *, high_risk: bool) -> int:
    """A target's place in the queue: each distinct account reporting it weighs 1 + its credit level (C0 → 1, C5 →
    6), each public-form report 1; the sum is capped at 999, and a high-risk category adds 1000 so it comes first.

    More reporters, and more trusted ones, raise a target; one account reporting many times counts once."""
    seen: dict[int, int] = {}
    anonymous = 0
    for r in reporters:
        if r.account is None:
            anonymous += 1
        else:
            seen[r.account] = max(seen.get(r.account, 0), max(0, min(5, r.credit_level)))
    weight = min(PRIORITY_CAP, anonymous + sum(1 + level for level in seen.values()))
    return weight + (HIGH_RISK_BONUS if high_risk else 0)


# --- reporting ----------------------------------------------------------------------------------------------------


@rule("R-12.1-1", ErrorCode.REPORT_LIMIT)
def check_report_limit(filed_last_day: int, *, limit: int) -> None:
    """One account files at most `limit` reports in 24 hours: the channel stays open to all, not a tool to flood."""
    if filed_last_day >= limit:
        raise RateLimited(
            "You have filed the most reports allowed in a day", code=ErrorCode.REPORT_LIMIT, details={"limit": limit}
        )


def clean_description(raw: str, *, max_length: int = DESCRIPTION_MAX) -> str:
    """The reporter's optional words: trimmed, NFC, at most `max_length` characters."""
    text = unicodedata.normalize("NFC", clean_text(raw or "", field="description")).strip()
    if len(text) > max_length:
        raise ValidationFailed(
            f"At most {max_length} characters", details={"field": "description", "max_length": max_length}
        )
    return text


@dataclass(frozen=True, slots=True)
class FormTarget:
    """What a public-form reporter names: a message (group code + message id), a group (its code), or free text (a
    nickname or anything else the reporter can tell us)."""

    kind: TargetType
    group_code: str | None = None
    message_id: int | None = None
    text: str = ""


_LINK = re.compile(r"/g/(\d{10})(?:/?(?:[#?&]m(?:sg)?=?|/m/|/messages/)(\d{1,18}))?")
_CODE = re.compile(r"^\d{10}$")


@rule("R-12.1-1", ErrorCode.REPORT_TARGET_INVALID)
def parse_form_target(raw: str) -> FormTarget:
    """The public form's target: a message link (…/g/<code>#m<id>), a group link or 10-digit group code (spaces and
    dashes allowed), or a nickname or description of who or what is reported (at most 100 characters)."""
    text = unicodedata.normalize("NFKC", clean_line(raw or "", field="target", required=False)).strip()
    if not text:
        raise ValidationFailed(
            "Say what you are reporting", code=ErrorCode.REPORT_TARGET_INVALID, details={"field": "target"}
        )
    link = _LINK.search(text)
    if link:
        if link.group(2):
            return FormTarget(TargetType.MESSAGE, group_code=link.group(1), message_id=int(link.group(2)))
        return FormTarget(TargetType.GROUP, group_code=link.group(1))
    compact = re.sub(r"[\s-]", "", text)
    if _CODE.match(compact):
        return FormTarget(TargetType.GROUP, group_code=compact)
    if len(text) > 100:
        raise ValidationFailed(
            "Name the target in at most 100 characters",
            code=ErrorCode.REPORT_TARGET_INVALID,
            details={"field": "target", "max_length": 100},
        )
    return FormTarget(TargetType.USER, text=text)


# --- the ticket's states --------------------------------------------------------------------------------------------


def ticket_not_found() -> NotFound:
    return NotFound("No such ticket", code=ErrorCode.TICKET_NOT_FOUND)


def _already_decided() -> Conflict:
    return Conflict("This ticket has already been decided", code=ErrorCode.ALREADY_DECIDED)


@rule("R-12.1-2", ErrorCode.TICKET_CLAIMED)
def check_claim(*, status: str, claimed_by: int | None, actor: int) -> bool:
    """Claim a ticket for review (received → in_review); one handler at a time. False: already the actor's."""
    if status in DECIDED:
        raise _already_decided()
    if status == TicketStatus.IN_REVIEW and claimed_by not in (None, actor):
        raise Conflict("Another handler has claimed this ticket", code=ErrorCode.TICKET_CLAIMED,
                       details={"claimed_by": claimed_by})  # fmt: skip
    return not (status == TicketStatus.IN_REVIEW and claimed_by == actor)


@rule("R-12.1-2", ErrorCode.TICKET_NOT_CLAIMED)
def check_release(*, status: str, claimed_by: int | None, actor: int, override: bool = False) -> None:
    """Give a claimed ticket back to the queue (in_review → received): its claimant, or an administrator."""
    if status in DECIDED:
        raise _already_decided()
    if status != TicketStatus.IN_REVIEW or claimed_by is None:
        raise Conflict("This ticket is not claimed", code=ErrorCode.TICKET_NOT_CLAIMED)
    if claimed_by != actor and not override:
        raise Conflict("Another handler has claimed this ticket", code=ErrorCode.TICKET_CLAIMED,
                       details={"claimed_by": claimed_by})  # fmt: skip


@rule("R-12.1-2", ErrorCode.REASON_REQUIRED)
def check_decision(*, status: str, claimed_by: int | None, actor: int, outcome: str, reason: str) -> str:
    """Decide a ticket (→ upheld | rejected) with a reason; a ticket claimed by someone else is theirs to decide.
    Returns the cleaned reason."""
    if status in DECIDED:
        raise _already_decided()
    if status == TicketStatus.IN_REVIEW and claimed_by not in (None, actor):
        raise Conflict("Another handler has claimed this ticket", code=ErrorCode.TICKET_CLAIMED,
                       details={"claimed_by": claimed_by})  # fmt: skip
    if outcome not in DECIDED:
        raise ValidationFailed("The outcome is upheld or rejected", details={"field": "outcome"})
    clean = unicodedata.normalize("NFC", clean_text(reason or "", field="reason")).strip()
    if not clean:
        raise ValidationFailed("Give the reason for this decision", code=ErrorCode.REASON_REQUIRED,
                               details={"field": "reason"})  # fmt: skip
    if len(clean) > REASON_MAX:
        raise ValidationFailed(
            f"A reason has at most {REASON_MAX} characters", details={"field": "reason", "max_length": REASON_MAX}
        )
    return clean


def stage(status: str, feedback_at: datetime | None) -> str:
    """Where a ticket stands as its reporter reads it: received, in_review, upheld, rejected, or told (a decided
    ticket whose reporter has been told the result)."""
    return "told" if status in DECIDED and feedback_at is not None else status


def check_lookup(found: bool) -> None:
    """A public status lookup: a wrong number and a wrong code answer alike (nothing can be probed)."""
    if not found:
        raise ticket_not_found()
