"""The review team's capacity (Art. 5 ¶1, R-5.1-1): backlogs, shifts, throughput and the targets they are held to.

The provisions ask for "professional staff suited to the scale of the service" but set no ratio, so the operator sets
the targets (config section `capacity`) and the console, a metric and the self-check say whether they are met. Three
queues wait on people: content review items (held or flagged posts and profile texts), complaint and report tickets
(due by the published handling times, D14) and appeals (due within their working days). A target is breached when
the oldest review item is older than its SLA, a ticket or an appeal is past its deadline, nobody is on shift while
anything waits, or the work waiting per reviewer on shift is above what the operator allows.

Pure: the figures, the targets and `now` come in as arguments.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

BEIJING = ZoneInfo("Asia/Shanghai")
THROUGHPUT_DAYS = 7  # items decided per reviewer per day, over the last 7 Beijing calendar days


class Queue(StrEnum):
    """The queues people work through (stable codes: metric labels and API fields)."""

    REVIEW = "review"
    TICKETS = "tickets"
    APPEALS = "appeals"


class Breach(StrEnum):
    """Why the capacity alert is on (stable codes: the API, the banner and the self-check name them)."""

    REVIEW_SLA = "review_sla"  # the oldest review item waits longer than the review SLA
    TICKETS_OVERDUE = "tickets_overdue"  # a ticket is past its handling deadline (D14)
    APPEALS_OVERDUE = "appeals_overdue"  # an appeal is past its deadline
    NOBODY_ON_SHIFT = "nobody_on_shift"  # work waits and no reviewer is on shift
    BACKLOG_PER_REVIEWER = "backlog_per_reviewer"  # more waits per reviewer on shift than the operator allows


@dataclass(frozen=True, slots=True)
class CapacityTargets:
    """What the operator holds the team to (config section `capacity`)."""

    review_sla: timedelta = timedelta(hours=1)
    backlog_per_reviewer: int = 200
    max_shift: timedelta = timedelta(hours=12)


@dataclass(frozen=True, slots=True)
class Backlog:
    """One queue now: how many wait, since when the oldest, and how many are past their deadline."""

    open: int = 0
    oldest_at: datetime | None = None
    overdue: int = 0

    def oldest_age(self, now: datetime) -> timedelta | None:
        return None if self.oldest_at is None else max(timedelta(0), now - self.oldest_at)


@dataclass(frozen=True, slots=True)
class CapacityFigures:
    """The queues and the reviewers on shift at one moment."""

    review: Backlog = field(default_factory=Backlog)
    tickets: Backlog = field(default_factory=Backlog)
    appeals: Backlog = field(default_factory=Backlog)
    on_shift: int = 0

    @property
    def waiting(self) -> int:
        """Everything waiting on a person: review items, open tickets and open appeals."""
        return self.review.open + self.tickets.open + self.appeals.open

    def backlog_per_reviewer(self) -> float | None:
        """What waits per reviewer on shift (None with nobody on shift: the ratio is then infinite, and
        `nobody_on_shift` says so when anything waits)."""
        return None if self.on_shift == 0 else self.waiting / self.on_shift


def review_overdue_before(now: datetime, targets: CapacityTargets) -> datetime:
    """Review items queued before this moment are past the review SLA."""
    return now - targets.review_sla


@dataclass(frozen=True, slots=True)
class TargetCheck:
    """One figure against its target: `value` (None: nothing to measure) must stay within `target`."""

    key: Breach
    value: float | None
    target: float
    ok: bool


def target_checks(figures: CapacityFigures, *, targets: CapacityTargets, now: datetime) -> list[TargetCheck]:
    """Each figure against its target at `now`, in a fixed order: the oldest review item's age in seconds against the
    SLA, overdue tickets and appeals against none, reviewers on shift against one while anything waits, and what
    waits per reviewer on shift against the operator's figure."""
    age = figures.review.oldest_age(now)
    sla = targets.review_sla.total_seconds()
    age_s = None if age is None else age.total_seconds()
    per_reviewer = figures.backlog_per_reviewer()
    needed = 1 if figures.waiting > 0 else 0
    return [
        TargetCheck(Breach.REVIEW_SLA, age_s, sla, age_s is None or age_s <= sla),
        TargetCheck(Breach.TICKETS_OVERDUE, figures.tickets.overdue, 0, figures.tickets.overdue == 0),
        TargetCheck(Breach.APPEALS_OVERDUE, figures.appeals.overdue, 0, figures.appeals.overdue == 0),
        TargetCheck(Breach.NOBODY_ON_SHIFT, figures.on_shift, needed, figures.on_shift >= needed),
        TargetCheck(
            Breach.BACKLOG_PER_REVIEWER,
            per_reviewer,
            targets.backlog_per_reviewer,
            per_reviewer is None or per_reviewer <= targets.backlog_per_reviewer,
        ),
    ]


def breaches(figures: CapacityFigures, *, targets: CapacityTargets, now: datetime) -> list[Breach]:
    """The targets `figures` miss at `now` (empty: all met). The capacity alert is on when any is."""
    return [c.key for c in target_checks(figures, targets=targets, now=now) if not c.ok]


# --- shifts ---------------------------------------------------------------------------------------------------------


def shift_ends_by(started_at: datetime, *, max_shift: timedelta) -> datetime:
    """When a shift nobody ended ends by itself: a reviewer who forgot to sign off is not counted as on shift for
    ever, and the figures stay honest between the job's runs."""
    return started_at + max_shift


def on_shift(started_at: datetime, ended_at: datetime | None, *, now: datetime, max_shift: timedelta) -> bool:
    """Whether a shift counts at `now`: begun, not ended, and not past the longest shift."""
    return started_at <= now and ended_at is None and now < shift_ends_by(started_at, max_shift=max_shift)


# --- throughput -----------------------------------------------------------------------------------------------------


def beijing_days(now: datetime, days: int = THROUGHPUT_DAYS) -> list[date]:
    """The last `days` Beijing calendar days, today last."""
    today = now.astimezone(BEIJING).date()
    return [today - timedelta(days=n) for n in range(days - 1, -1, -1)]


def day_start(day: date) -> datetime:
    """00:00 Beijing time of `day`, as an aware datetime."""
    return datetime.combine(day, time(), BEIJING)


@dataclass(frozen=True, slots=True)
class ReviewerOutput:
    """One reviewer's decisions on each of the days (oldest first), per queue and in all."""

    reviewer_id: int
    per_day: tuple[int, ...]
    by_queue: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.per_day)

    @property
    def per_day_average(self) -> float:
        return self.total / len(self.per_day) if self.per_day else 0.0


def reviewer_output(decisions: Iterable[tuple[int, str, datetime]], *, days: list[date]) -> list[ReviewerOutput]:
    """Items decided per reviewer per Beijing day from (reviewer, queue, decided_at) rows; rows outside `days` are
    ignored. Reviewers with the most decisions first (then by id, so the order is stable)."""
    index = {d: n for n, d in enumerate(days)}
    counts: dict[int, list[int]] = {}
    queues: dict[int, dict[str, int]] = {}
    for reviewer, queue, at in decisions:
        n = index.get(at.astimezone(BEIJING).date())
        if n is None:
            continue
        counts.setdefault(reviewer, [0] * len(days))[n] += 1
        by_queue = queues.setdefault(reviewer, {q.value: 0 for q in Queue})
        by_queue[queue] = by_queue.get(queue, 0) + 1
    out = [ReviewerOutput(r, tuple(c), queues[r]) for r, c in counts.items()]
    return sorted(out, key=lambda o: (-o.total, o.reviewer_id))
