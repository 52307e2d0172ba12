"""domain/reports.py: the periods of the periodic summary (D13), calendar weeks and months on Beijing time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from qunzu.domain import reports as rp


def bj(y: int, m: int, d: int, h: int = 0, minute: int = 0) -> datetime:
    """A Beijing wall-clock time as a UTC instant (Beijing is UTC+8 all year)."""
    return datetime(y, m, d, h, minute, tzinfo=UTC) - timedelta(hours=8)


def test_monthly_is_the_last_calendar_month_in_beijing() -> None:
    november = (bj(2026, 11, 1), bj(2026, 12, 1))
    assert november == (datetime(2026, 10, 31, 16, tzinfo=UTC), datetime(2026, 11, 30, 16, tzinfo=UTC))
    assert rp.last_complete_period(bj(2026, 12, 2, 10), "monthly") == november
    assert rp.last_complete_period(bj(2026, 12, 31, 23, 59), "monthly") == november
    assert rp.last_complete_period(bj(2026, 11, 30, 23, 59), "monthly") == (bj(2026, 10, 1), bj(2026, 11, 1))
    # the year boundary, and February of a common year
    assert rp.last_complete_period(bj(2027, 1, 1, 8), "monthly") == (bj(2026, 12, 1), bj(2027, 1, 1))
    assert rp.last_complete_period(bj(2027, 3, 15), "monthly") == (bj(2027, 2, 1), bj(2027, 3, 1))
    assert rp.last_complete_period(bj(2028, 3, 1), "monthly") == (bj(2028, 2, 1), bj(2028, 3, 1))  # 29 days
    assert rp.last_complete_period(bj(2026, 1, 20), "monthly") == (bj(2025, 12, 1), bj(2026, 1, 1))


def test_a_boundary_instant_completes_the_period_it_ends() -> None:
    """[from, to) does not hold `to`: at 00:00 on the 1st (Beijing) the month before is complete, and one
    microsecond earlier it is not."""
    at = bj(2026, 12, 1)
    assert rp.last_complete_period(at, "monthly") == (bj(2026, 11, 1), bj(2026, 12, 1))
    assert rp.last_complete_period(at - timedelta(microseconds=1), "monthly") == (bj(2026, 10, 1), bj(2026, 11, 1))
    monday = bj(2026, 12, 7)
    assert rp.last_complete_period(monday, "weekly") == (bj(2026, 11, 30), monday)
    assert rp.last_complete_period(monday - timedelta(microseconds=1), "weekly") == (bj(2026, 11, 23), bj(2026, 11, 30))


def test_beijing_days_not_utc_days() -> None:
    """From 16:00 to 24:00 UTC the Beijing date is the next day: 2026-11-30T17:00Z is 1 December 01:00 in
    Beijing, so November is complete although the UTC date is still in November."""
    late_utc = datetime(2026, 11, 30, 17, 0, tzinfo=UTC)
    assert rp.last_complete_period(late_utc, "monthly") == (bj(2026, 11, 1), bj(2026, 12, 1))
    assert rp.last_complete_period(datetime(2026, 11, 30, 15, 59, tzinfo=UTC), "monthly") == (
        bj(2026, 10, 1), bj(2026, 11, 1),
    )  # fmt: skip
    # Sunday 6 December 16:30Z is Monday 7 December 00:30 in Beijing: the week of 30 November is complete
    assert rp.last_complete_period(datetime(2026, 12, 6, 16, 30, tzinfo=UTC), "weekly") == (
        bj(2026, 11, 30), bj(2026, 12, 7),
    )  # fmt: skip
    assert rp.last_complete_period(datetime(2026, 12, 6, 15, 30, tzinfo=UTC), "weekly") == (
        bj(2026, 11, 23), bj(2026, 11, 30),
    )  # fmt: skip


def test_weekly_runs_monday_to_monday_across_months_and_years() -> None:
    assert rp.last_complete_period(bj(2026, 12, 2, 9), "weekly") == (bj(2026, 11, 23), bj(2026, 11, 30))
    assert rp.last_complete_period(bj(2027, 1, 6), "weekly") == (bj(2026, 12, 28), bj(2027, 1, 4))
    lo, hi = rp.last_complete_period(bj(2027, 1, 3, 23), "weekly") or (None, None)
    assert (lo, hi) == (bj(2026, 12, 21), bj(2026, 12, 28))
    assert lo is not None and lo.astimezone(rp.BEIJING).weekday() == 0 and hi - lo == timedelta(days=7)


def test_the_current_period_ends_when_the_next_summary_is_due() -> None:
    assert rp.current_period(bj(2026, 12, 2, 10), "monthly") == (bj(2026, 12, 1), bj(2027, 1, 1))
    assert rp.current_period(bj(2026, 12, 2, 10), "weekly") == (bj(2026, 11, 30), bj(2026, 12, 7))
    assert rp.current_period(bj(2026, 12, 1), "monthly") == (bj(2026, 12, 1), bj(2027, 1, 1))
    for every in ("weekly", "monthly"):  # the last complete period ends where the current one begins
        for now in (bj(2026, 12, 2, 10), bj(2027, 1, 1), datetime(2026, 12, 31, 20, tzinfo=UTC)):
            last, current = rp.last_complete_period(now, every), rp.current_period(now, every)
            assert last is not None and current is not None and last[1] == current[0] <= now < current[1]


def test_off_is_none_and_an_unknown_period_is_a_bug() -> None:
    assert rp.last_complete_period(bj(2026, 12, 2), "off") is None
    assert rp.current_period(bj(2026, 12, 2), "off") is None
    with pytest.raises(ValueError):
        rp.last_complete_period(bj(2026, 12, 2), "daily")
    assert rp.PERIODIC == ("off", "weekly", "monthly")
