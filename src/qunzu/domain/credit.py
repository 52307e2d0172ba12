"""User credit (Art. 7 ¶2): an append-only ledger, the score it adds up to, the level, and what each level may do.

The scale follows Weibo's published 信用历史分 (REQUIREMENTS §2, decision D10): 0–120, starting at 100. Violations
deduct by severity (minor 5, moderate 10, serious 20; grave ones go to blacklist review instead of a number). Clean
time recovers 1 point per 7 days since the later of the last violation and the last recovery, never above the
start. A reversal (an upheld appeal) cancels the event it names. The score is always derived from the ledger, never
stored on its own, so an inspector can recompute it; the ledger keeps every event with its reason and rule.

Levels decide entitlements (R-7.2-2): C5 ≥ 110, C4 100–109, C3 80–99, C2 60–79, C1 1–59, C0 = 0 (posting suspended).
Each entitlement is checked by `check_entitlement`, which refuses with `credit_insufficient` naming what is missing
and the score that would unlock it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import IntEnum, StrEnum

from qunzu.domain.rules import rule
from qunzu.errors import ErrorCode, QunzuError


class EventKind(StrEnum):
    VIOLATION = "violation"  # a confirmed violation (review decision, measure): negative delta
    RECOVERY = "recovery"  # clean time: +1 per period
    REVERSAL = "reversal"  # an upheld appeal cancels the event it names
    ADJUSTMENT = "adjustment"  # a staff correction with a reason (either sign)


class Severity(StrEnum):
    MINOR = "minor"
    MODERATE = "moderate"
    SERIOUS = "serious"


class CreditLevel(IntEnum):
    C0 = 0
    C1 = 1
    C2 = 2
    C3 = 3
    C4 = 4
    C5 = 5


class Entitlement(StrEnum):
    POST = "post"
    CREATE_GROUP = "create_group"
    MANAGE = "manage"  # be appointed manager, or own a group
    INVITE = "invite"
    SHARE_LINKS = "share_links"


@dataclass(frozen=True, slots=True)
class CreditPolicy:
    start: int = 100
    maximum: int = 120
    deductions: Mapping[Severity, int] = field(
        default_factory=lambda: {Severity.MINOR: 5, Severity.MODERATE: 10, Severity.SERIOUS: 20}
    )
    recovery_every: timedelta = timedelta(days=7)
    # the lowest score of each level, highest level first
    floors: tuple[tuple[CreditLevel, int], ...] = (
        (CreditLevel.C5, 110),
        (CreditLevel.C4, 100),
        (CreditLevel.C3, 80),
        (CreditLevel.C2, 60),
        (CreditLevel.C1, 1),
        (CreditLevel.C0, 0),
    )
    # the lowest level that has each entitlement
    needs: Mapping[Entitlement, CreditLevel] = field(
        default_factory=lambda: {
            Entitlement.POST: CreditLevel.C1,
            Entitlement.CREATE_GROUP: CreditLevel.C2,
            Entitlement.MANAGE: CreditLevel.C2,
            Entitlement.INVITE: CreditLevel.C2,
            Entitlement.SHARE_LINKS: CreditLevel.C3,
        }
    )

    def floor(self, level: CreditLevel) -> int:
        return dict(self.floors)[level]


@dataclass(frozen=True, slots=True)
class CreditEvent:
    """One ledger line. `id` is the ledger's own (None before it is stored); `reverses` names a reversed event."""

    kind: EventKind
    delta: int
    at: datetime
    reason: str = ""
    rule: str | None = None  # the requirement or platform rule the event rests on
    id: int | None = None
    reverses: int | None = None


# The deduction a confirmed violation costs, by the reviewer's reason code (domain/content.py REASON_CODES).
SEVERITY_BY_REASON: Mapping[str, Severity] = {
    "fraud": Severity.SERIOUS,
    "gambling": Severity.SERIOUS,
    "pornography": Severity.SERIOUS,
    "violence": Severity.SERIOUS,
    "illegal_goods": Severity.SERIOUS,
    "politics": Severity.SERIOUS,
    "harassment": Severity.MODERATE,
    "privacy": Severity.MODERATE,
    "advertising": Severity.MINOR,
    "other": Severity.MINOR,
}


def severity_of(reason_code: str) -> Severity:
    """The severity of a confirmed violation with this reason (an unknown one counts as minor)."""
    return SEVERITY_BY_REASON.get(reason_code, Severity.MINOR)


def level_of(score: int, policy: CreditPolicy) -> CreditLevel:
    """The level a score falls in."""
    for level, floor in policy.floors:
        if score >= floor:
            return level
    return CreditLevel.C0


@rule("R-7.2-1", ErrorCode.VALIDATION_FAILED)
def violation_event(
    severity: Severity, *, at: datetime, reason: str, rule_id: str, policy: CreditPolicy
) -> CreditEvent:
    """A confirmed violation as a ledger event: the deduction its severity carries, with its reason and rule."""
    if not reason.strip() or not rule_id.strip():
        raise QunzuError("A credit deduction names its reason and rule", code=ErrorCode.VALIDATION_FAILED)
    return CreditEvent(EventKind.VIOLATION, -policy.deductions[severity], at, reason=reason, rule=rule_id)


def score_of(events: Iterable[CreditEvent], policy: CreditPolicy) -> int:
    """The score the ledger adds up to, in order, kept within 0..maximum at every step; reversed events count as
    never having happened (their reversal line carries no delta of its own)."""
    ordered = sorted(events, key=lambda e: (e.at, e.id or 0))
    reversed_ids = {e.reverses for e in ordered if e.kind is EventKind.REVERSAL and e.reverses is not None}
    score = policy.start
    for event in ordered:
        if event.id is not None and event.id in reversed_ids:
            continue
        score = min(policy.maximum, max(0, score + event.delta))
    return score


def _last_mark(events: Sequence[CreditEvent]) -> datetime | None:
    """Where clean time counts from: the later of the last unreversed violation and the last recovery."""
    reversed_ids = {e.reverses for e in events if e.kind is EventKind.REVERSAL}
    marks = [
        e.at
        for e in events
        if (e.kind is EventKind.VIOLATION and e.id not in reversed_ids) or e.kind is EventKind.RECOVERY
    ]
    return max(marks, default=None)


def recovery_due(events: Sequence[CreditEvent], *, now: datetime, policy: CreditPolicy) -> list[CreditEvent]:
    """The recovery events clean time has earned by `now`: +1 for each full period since the later of the last
    (unreversed) violation and the last recovery, while the score is below the start. Written by a daily job."""
    last = _last_mark(events)
    if last is None:
        return []
    score = score_of(events, policy)
    since = last
    due: list[CreditEvent] = []
    while score < policy.start and since + policy.recovery_every <= now:
        since += policy.recovery_every
        score += 1
        due.append(CreditEvent(EventKind.RECOVERY, 1, since, reason="clean period", rule="R-7.2-1"))
    return due


def next_recovery(events: Sequence[CreditEvent], *, policy: CreditPolicy) -> datetime | None:
    """When the next point comes back (None: at or above the start, or nothing to recover from). `events` include
    the recoveries already earned (`recovery_due`), stored or not."""
    if score_of(events, policy) >= policy.start:
        return None
    last = _last_mark(events)
    return None if last is None else last + policy.recovery_every


@rule("R-7.2-2", ErrorCode.CREDIT_INSUFFICIENT)
def check_entitlement(score: int, what: Entitlement, *, policy: CreditPolicy) -> None:
    """Refuse an action the credit level does not allow, naming the level needed and the score that unlocks it."""
    needed = policy.needs[what]
    have = level_of(score, policy)
    if have < needed:
        raise QunzuError(
            f"Your credit level C{int(have)} does not allow this ({what.value} needs C{int(needed)})",
            code=ErrorCode.CREDIT_INSUFFICIENT,
            details={
                "entitlement": what.value,
                "level": int(have),
                "required_level": int(needed),
                "unlock_score": policy.floor(needed),
                "score": score,
            },
        )
