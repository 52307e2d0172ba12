"""Working days (工作日) for the published handling times (D14): complaints decided within 3 working days, feedback
and appeals within 15.

A working day is Monday to Friday on the Beijing calendar, less the statutory holidays the operator lists, plus the
weekend days the State Council makes working days (调休). Both lists come from configuration: the holiday calendar
is published each year, and nothing here guesses it. A deadline of n working days ends at 24:00 Beijing time on the
n-th working day after the day of receipt (the day of receipt does not count, as 自受理之日起 reads).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

BEIJING = ZoneInfo("Asia/Shanghai")


def is_working_day(day: date, *, holidays: Collection[date] = (), workdays: Collection[date] = ()) -> bool:
    """Whether `day` is a working day: a weekday that is no holiday, or a weekend day made a working day."""
    if day in workdays:
        return True
    return day.weekday() < 5 and day not in holidays


def working_deadline(
    received: datetime, days: int, *, holidays: Collection[date] = (), workdays: Collection[date] = ()
) -> datetime:
    """The end (24:00 Beijing time, as an aware datetime) of the `days`-th working day after the day `received`
    falls on in Beijing."""
    if days < 1:
        raise ValueError("a deadline counts at least one working day")
    day = received.astimezone(BEIJING).date()
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        if is_working_day(day, holidays=holidays, workdays=workdays):
            counted += 1
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=BEIJING)
