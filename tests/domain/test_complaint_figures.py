"""domain/complaint_figures.py: one small month computed by hand (R-12.1-3)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from qunzu.domain.complaint_figures import (
    ALL,
    TicketFacts,
    beijing_month,
    complaint_figures,
    median,
    month_bounds,
    nearest_rank,
)

H = timedelta(hours=1)
T0 = datetime(2026, 11, 3, 1, 0, tzinfo=UTC)  # 09:00 Beijing, 3 November


def t(category: str, decided_after: timedelta | None, status: str, sla: timedelta = 72 * H,
      at: datetime = T0) -> TicketFacts:  # fmt: skip
    return TicketFacts(category, at, at + sla, status, None if decided_after is None else at + decided_after)


def test_a_hand_computed_month() -> None:
    tickets = [
        # fraud: 4 received; decided after 1 h (upheld), 2 h (upheld), 5 h (rejected, SLA 1 h: late); 1 open, overdue
        t("fraud", 1 * H, "upheld", sla=H), t("fraud", 2 * H, "upheld", sla=3 * H), t("fraud", 5 * H, "rejected", sla=H),
        t("fraud", None, "in_review", sla=H),
        # spam: 2 received; one decided after 10 h (rejected), one still open and not yet due
        t("spam", 10 * H, "rejected"), t("spam", None, "received"),
        # received 30 October 23:30 Beijing time (15:30 UTC): October, not November
        t("spam", 1 * H, "upheld", at=datetime(2026, 10, 30, 15, 30, tzinfo=UTC)),
    ]  # fmt: skip
    rows = {(r.month, r.category): r for r in complaint_figures(tickets, now=T0 + 24 * H)}
    assert list(rows) == [("2026-10", "spam"), ("2026-10", ALL), ("2026-11", "fraud"), ("2026-11", "spam"),
                          ("2026-11", ALL), (ALL, ALL)]  # fmt: skip
    fraud = rows["2026-11", "fraud"]
    assert (fraud.received, fraud.handled, fraud.within_sla, fraud.overdue_open) == (4, 3, 2, 1)
    assert fraud.within_sla_share == pytest.approx(2 / 3)
    assert fraud.median_seconds == 7200  # 1 h, 2 h, 5 h → 2 h
    assert fraud.p95_seconds == 5 * 3600  # rank ⌈0.95 × 3⌉ = 3 → 5 h
    assert (fraud.upheld, fraud.rejected, fraud.open) == (2, 1, 1)
    nov = rows["2026-11", ALL]
    assert (nov.received, nov.handled, nov.within_sla, nov.overdue_open) == (6, 4, 3, 1)
    assert nov.median_seconds == 3.5 * 3600  # 1, 2, 5, 10 h → (2 + 5) / 2
    assert nov.p95_seconds == 10 * 3600  # rank ⌈3.8⌉ = 4
    assert nov.as_dict()["within_sla_share"] == 0.75
    total = rows[ALL, ALL]
    assert (total.received, total.handled, total.upheld, total.rejected, total.open) == (7, 5, 3, 2, 2)
    spam = rows["2026-11", "spam"]
    assert spam.overdue_open == 0 and spam.p95_seconds == spam.median_seconds == 36000


def test_nothing_received_and_nothing_handled() -> None:
    [total] = complaint_figures([], now=T0)
    assert (total.month, total.received, total.within_sla_share, total.median_seconds) == (ALL, 0, None, None)
    [month, _, _] = complaint_figures([t("spam", None, "received")], now=T0)
    assert month.handled == 0 and month.within_sla_share is None and month.p95_seconds is None


def test_percentiles_and_months() -> None:
    assert nearest_rank(list(range(1, 21)), 95) == 19 and nearest_rank(list(range(1, 22)), 95) == 20
    assert nearest_rank([7], 95) == 7 and nearest_rank([], 95) is None
    assert median([3, 1, 2]) == 2 and median([4, 1, 3, 2]) == 2.5 and median([]) is None
    start, end = month_bounds("2026-11")
    assert start == datetime(2026, 10, 31, 16, tzinfo=UTC) and end == datetime(2026, 11, 30, 16, tzinfo=UTC)
    assert month_bounds("2026-12")[1] == datetime(2026, 12, 31, 16, tzinfo=UTC)
    assert beijing_month(start) == "2026-11" and beijing_month(start - timedelta(milliseconds=1)) == "2026-10"
    for bad in ("2026-13", "2026-1", "abcd-ef", "1999-01"):
        with pytest.raises(ValueError):
            month_bounds(bad)
