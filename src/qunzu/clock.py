"""The one source of the current time (house rule 10: time is injected).

The container holds a `Clock`; the request edge (`qunzu.context.request_context`), jobs and the CLI read it and hand
the time on as `Ctx.now` or `now=`. No service, job or route calls `datetime.now` itself, so a test moves time by
moving the container's clock (`ManualClock.advance`) instead of sleeping; time-machine still works for libraries that
read the system clock on their own.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


def utc_ms(now: datetime) -> datetime:
    """`now` in UTC, truncated to milliseconds (the precision records keep)."""
    now = now.astimezone(UTC)
    return now.replace(microsecond=(now.microsecond // 1000) * 1000)


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC, in milliseconds."""
        ...


class SystemClock:
    """The wall clock."""

    def now(self) -> datetime:
        return utc_ms(datetime.now(UTC))


class ManualClock:
    """A clock that stands still until a test moves it."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = utc_ms(start or datetime.now(UTC))

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> datetime:
        """Move forward by `delta` (never back: records are written in time order)."""
        if delta < timedelta(0):
            raise ValueError("a clock does not run backwards")
        self._now = utc_ms(self._now + delta)
        return self._now

    def set(self, when: datetime) -> datetime:
        return self.advance(when - self._now)
