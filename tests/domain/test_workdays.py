"""Working-day deadlines (D14): weekends and listed holidays do not count, 调休 weekend days do."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from qunzu.domain.workdays import BEIJING, is_working_day, working_deadline


def test_three_working_days_from_a_friday_end_on_wednesday_midnight_beijing() -> None:
    friday = datetime(2026, 12, 4, 10, 0, tzinfo=BEIJING)
    assert working_deadline(friday, 3) == datetime(2026, 12, 10, 0, 0, tzinfo=BEIJING)


def test_the_day_is_the_beijing_day_not_the_utc_one() -> None:
    # 17:00 UTC on a Sunday is 01:00 Monday in Beijing: Monday is the day of receipt and does not count
    late_sunday_utc = datetime(2026, 12, 6, 17, 0, tzinfo=UTC)
    assert working_deadline(late_sunday_utc, 1) == datetime(2026, 12, 9, 0, 0, tzinfo=BEIJING)


def test_holidays_are_skipped_and_makeup_weekend_days_count() -> None:
    holidays = {date(2026, 10, 1), date(2026, 10, 2)}
    workdays = {date(2026, 10, 10)}  # a Saturday made a working day
    assert not is_working_day(date(2026, 10, 1), holidays=holidays)
    assert is_working_day(date(2026, 10, 10), workdays=workdays)
    received = datetime(2026, 9, 30, 9, 0, tzinfo=BEIJING)  # Wednesday
    # Thu 1 and Fri 2 are holidays, Mon 5 .. Fri 9 count 5, Sat 10 counts 6
    assert working_deadline(received, 6, holidays=holidays, workdays=workdays) == datetime(
        2026, 10, 11, 0, 0, tzinfo=BEIJING
    )


def test_a_deadline_counts_at_least_one_day() -> None:
    with pytest.raises(ValueError):
        working_deadline(datetime(2026, 12, 7, tzinfo=UTC), 0)
