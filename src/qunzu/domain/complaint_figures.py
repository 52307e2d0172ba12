"""Supervision figures of complaint handling (Art. 12 ¶1, R-12.1-3): what an inspector of the CAC office checks.

For each category and Beijing calendar month, and in total:

- **received**: tickets received that month (the month of `received_at` on the Beijing calendar, so the figures of
  a month count exactly the rows of the ticket list filtered by that month's receipt dates);
- **handled**: of those, the tickets decided (upheld or rejected), whenever the decision came;
- **within SLA**: of the handled, those decided by their deadline (`decided_at <= due_at`, D14), and their share of
  the handled (None when none is handled yet); **overdue open**: tickets still open past their deadline at `now`;
- **median and P95 time to decision**, in seconds, over the handled. The median is the middle value of the sorted
  times (the mean of the two middle values for an even count). P95 is the *nearest-rank* percentile: the value at
  rank ⌈0.95 × n⌉ of the sorted times (1-based), so it is always a time that occurred (n = 1: that time; n = 20:
  the 19th; n = 21: the 20th);
- **outcomes**: upheld, rejected, open (received or in review).

Pure: the ticket rows and `now` come in as arguments.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

BEIJING = ZoneInfo("Asia/Shanghai")
ALL = "*"  # the category of a month's total row, and the month of the grand total
DECIDED = frozenset({"upheld", "rejected"})


@dataclass(frozen=True, slots=True)
class TicketFacts:
    """What the figures need of one ticket."""

    category: str
    received_at: datetime
    due_at: datetime
    status: str  # received | in_review | upheld | rejected
    decided_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class FigureRow:
    month: str  # "2026-11" (Beijing calendar), or ALL for the grand total
    category: str  # the ticket category, or ALL for the total of the month
    received: int
    handled: int
    within_sla: int
    overdue_open: int
    median_seconds: float | None
    p95_seconds: int | None
    upheld: int
    rejected: int
    open: int

    @property
    def within_sla_share(self) -> float | None:
        """Share of the handled tickets decided within their deadline (0–1), None when none is handled."""
        return self.within_sla / self.handled if self.handled else None

    def as_dict(self) -> dict[str, object]:
        share = self.within_sla_share
        return {
            "month": self.month,
            "category": self.category,
            "received": self.received,
            "handled": self.handled,
            "within_sla": self.within_sla,
            "within_sla_share": None if share is None else round(share, 4),
            "overdue_open": self.overdue_open,
            "median_seconds": self.median_seconds,
            "p95_seconds": self.p95_seconds,
            "upheld": self.upheld,
            "rejected": self.rejected,
            "open": self.open,
        }


FIGURE_COLUMNS = (
    "month", "category", "received", "handled", "within_sla", "within_sla_share", "overdue_open", "median_seconds",
    "p95_seconds", "upheld", "rejected", "open",
)  # fmt: skip


def beijing_month(when: datetime) -> str:
    """The Beijing calendar month an instant falls in, as "YYYY-MM"."""
    return when.astimezone(BEIJING).strftime("%Y-%m")


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """[start, end) of a Beijing calendar month ("2026-11") as UTC instants. Raises ValueError on a bad month."""
    year, mon = (int(p) for p in month.split("-", 1))
    if not 1 <= mon <= 12 or not 2000 <= year <= 9999 or len(month) != 7:
        raise ValueError(f"not a month: {month!r} (YYYY-MM)")
    start = datetime(year, mon, 1, tzinfo=BEIJING)
    end = datetime(year + (mon == 12), mon % 12 + 1, 1, tzinfo=BEIJING)
    return start.astimezone(UTC), end.astimezone(UTC)


def months_period(last: str, months: int = 1) -> tuple[datetime, datetime]:
    """[start, end) of the `months` Beijing calendar months ending with `last` ("2026-11"). ValueError if bad."""
    if not 1 <= months <= 120:
        raise ValueError("months is 1–120")
    year, mon = (int(p) for p in last.split("-", 1)) if last.count("-") == 1 else (0, 0)
    index = year * 12 + mon - 1 - (months - 1)
    return month_bounds(f"{index // 12:04d}-{index % 12 + 1:02d}")[0], month_bounds(last)[1]


def median(values: Sequence[float]) -> float | None:
    """The middle of the sorted values (mean of the two middle ones for an even count); None for no values."""
    if not values:
        return None
    s = sorted(values)
    mid = len(s) // 2
    return float(s[mid]) if len(s) % 2 else (s[mid - 1] + s[mid]) / 2


def nearest_rank(values: Sequence[int], percentile: float) -> int | None:
    """The nearest-rank percentile: the value at rank ⌈p/100 × n⌉ of the sorted values; None for no values."""
    if not values:
        return None
    if not 0 < percentile <= 100:
        raise ValueError("a percentile is in (0, 100]")
    s = sorted(values)
    return s[max(1, math.ceil(percentile / 100 * len(s))) - 1]


def _row(month: str, category: str, tickets: Sequence[TicketFacts], now: datetime) -> FigureRow:
    handled = [t for t in tickets if t.status in DECIDED and t.decided_at is not None]
    seconds = [(t.decided_at - t.received_at) // timedelta(seconds=1) for t in handled if t.decided_at]
    open_ = [t for t in tickets if t.status not in DECIDED]
    return FigureRow(
        month=month,
        category=category,
        received=len(tickets),
        handled=len(handled),
        within_sla=sum(1 for t in handled if t.decided_at is not None and t.decided_at <= t.due_at),
        overdue_open=sum(1 for t in open_ if now > t.due_at),
        median_seconds=median(seconds),
        p95_seconds=nearest_rank(seconds, 95),
        upheld=sum(1 for t in handled if t.status == "upheld"),
        rejected=sum(1 for t in handled if t.status == "rejected"),
        open=len(open_),
    )


def complaint_figures(tickets: Iterable[TicketFacts], *, now: datetime) -> list[FigureRow]:
    """The figures by month and category, each month followed by its total (category ALL), months in order, then
    the grand total (month ALL, category ALL). No tickets: just the grand total of zeros."""
    by_month: dict[str, dict[str, list[TicketFacts]]] = {}
    every: list[TicketFacts] = []
    for t in tickets:
        by_month.setdefault(beijing_month(t.received_at), {}).setdefault(t.category, []).append(t)
        every.append(t)
    rows: list[FigureRow] = []
    for month in sorted(by_month):
        cats = by_month[month]
        rows += [_row(month, cat, cats[cat], now) for cat in sorted(cats)]
        rows.append(_row(month, ALL, [t for cat in cats.values() for t in cat], now))
    rows.append(_row(ALL, ALL, every, now))
    return rows
