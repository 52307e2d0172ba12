"""Appeals (R-11-x, D10; 用户服务协议 §8): who may appeal what, until when, and who may decide.

The subject of a measure (the person measured; for a group measure, the group's owner; for a removed message, its
author) or of a credit deduction appeals once, with a statement, within `APPEAL_WINDOW` of the decision. Someone
other than the original decider decides within 15 working days (D14); the measure stays in force meanwhile (§8.3).

Pure. services/appeals.py loads what is appealed into an `Appealable` and asks these rules.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from qunzu.domain.rules import rule
from qunzu.domain.workdays import working_deadline
from qunzu.errors import Conflict, ErrorCode, Forbidden, ValidationFailed

APPEAL_WINDOW = timedelta(days=60)  # from the decision; the record and the ledger are kept far longer (D6)
APPEAL_WORKING_DAYS = 15  # 用户服务协议 §8.2, D14
STATEMENT_MIN = 5
STATEMENT_MAX = 2000
DECISION_REASON_MAX = 2000


class AppealStatus(StrEnum):
    PENDING = "pending"
    UPHELD = "upheld"
    REJECTED = "rejected"


class Subject(StrEnum):
    MEASURE = "measure"  # an enforcement record
    CREDIT = "credit"  # a credit deduction (a ledger event of kind violation) that no measure carries
    BLACKLIST = "blacklist"  # a blacklist entry (agreement §6.4, §8.1)


@dataclass(frozen=True, slots=True)
class Appealable:
    """What an appeal is about, as the rules need it."""

    subject: Subject
    subject_user_id: int  # who may appeal
    decided_by: int | None  # the original decider (None: an automated decision)
    decided_at: datetime
    closed: bool  # nothing left to appeal: the measure was lifted already, the deduction reversed, the entry ended
    also_subjects: tuple[int, ...] = ()  # an identity entry: every account bound to that identity may appeal


def may_appeal(item: Appealable, actor: int) -> bool:
    return actor == item.subject_user_id or actor in item.also_subjects


def blacklist_appellants(
    subject_type: str, subject_key: str, evidence: Mapping[str, Any] | None, identity_accounts: Sequence[int]
) -> tuple[int, ...]:
    """Who may appeal a blacklist entry: an account entry its account; an identity entry every account bound to
    that identity; a group entry the group's owner when it was listed (recorded in the entry's evidence)."""
    if subject_type == "account":
        return (int(subject_key),) if subject_key.isdigit() else ()
    if subject_type == "identity":
        return tuple(identity_accounts)
    owner = ((evidence or {}).get("owner") or {}).get("user_id")
    return (owner,) if isinstance(owner, int) else ()


@rule("R-11-x", ErrorCode.APPEAL_NOT_ALLOWED)
def check_appellant(item: Appealable, *, actor: int) -> None:
    """Only the subject appeals: the person measured, a group's owner for the group, a message's author for its
    removal, the account the deduction was made from; for a blacklist entry, the account listed, every account bound
    to the identity listed, or the group's owner when it was listed."""
    if not may_appeal(item, actor):
        raise Forbidden(
            "Only the person this decision concerns may appeal it",
            code=ErrorCode.APPEAL_NOT_ALLOWED,
            details={"reason": "not_subject"},
        )


@rule("R-11-x", ErrorCode.APPEAL_EXISTS)
def check_first_appeal(existing_id: int | None) -> None:
    """One appeal per measure or deduction: a second is refused with the first one's id."""
    if existing_id is not None:
        raise Conflict(
            "This decision has been appealed already", code=ErrorCode.APPEAL_EXISTS, details={"appeal_id": existing_id}
        )


@rule("R-11-x", ErrorCode.APPEAL_CLOSED)
def check_open(item: Appealable, *, now: datetime, window: timedelta = APPEAL_WINDOW) -> None:
    """An appeal is filed within the window after the decision, and only while there is something to undo."""
    if item.closed:
        raise Conflict(
            "This decision has been undone already; there is nothing to appeal",
            code=ErrorCode.APPEAL_CLOSED,
            details={"reason": "undone"},
        )
    if now > item.decided_at + window:
        raise Conflict(
            "The time to appeal this decision has passed",
            code=ErrorCode.APPEAL_CLOSED,
            details={"reason": "window", "window_days": window.days},
        )


@rule("R-11-x", ErrorCode.APPEAL_SAME_DECIDER)
def check_decider(*, staff_id: int, original_decider: int | None, appellant_id: int) -> None:
    """Someone other than the original decider decides (D10, 用户服务协议 §8.2); nobody decides their own appeal."""
    if staff_id == original_decider or staff_id == appellant_id:
        raise Forbidden(
            "The decision appealed was yours: another staff member decides this appeal",
            code=ErrorCode.APPEAL_SAME_DECIDER,
            details={"reason": "own_appeal" if staff_id == appellant_id else "original_decider"},
        )


def check_statement(text: str) -> str:
    """The appellant says why (5–2000 characters)."""
    statement = text.strip()
    if len(statement) < STATEMENT_MIN:
        raise ValidationFailed(
            "Say why you disagree", details={"field": "statement", "reason": "too_short", "min": STATEMENT_MIN}
        )
    if len(statement) > STATEMENT_MAX:
        raise ValidationFailed(
            "The statement is too long", details={"field": "statement", "reason": "too_long", "max": STATEMENT_MAX}
        )
    return statement


def check_decision_reason(text: str) -> str:
    """A decision states its reason, upheld or rejected: the appellant is told it."""
    reason = text.strip()
    if not reason:
        raise ValidationFailed("State the reason for the decision", details={"field": "reason", "reason": "required"})
    if len(reason) > DECISION_REASON_MAX:
        raise ValidationFailed(
            "The reason is too long", details={"field": "reason", "reason": "too_long", "max": DECISION_REASON_MAX}
        )
    return reason


def appeal_due(received: datetime, *, holidays: Collection[date] = (), workdays: Collection[date] = ()) -> datetime:
    """When the decision is due: the end of the 15th working day after the day of receipt (D14)."""
    return working_deadline(received, APPEAL_WORKING_DAYS, holidays=holidays, workdays=workdays)


def overdue(status: str, due_at: datetime, *, now: datetime) -> bool:
    return status == AppealStatus.PENDING and now > due_at
