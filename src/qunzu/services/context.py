"""What every use case is told about the request: when, from where, in which language."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime


def utc_ms(now: datetime) -> datetime:
    """`now` in UTC, truncated to milliseconds (the precision records keep)."""
    now = now.astimezone(UTC)
    return now.replace(microsecond=(now.microsecond // 1000) * 1000)


@dataclass(frozen=True, slots=True)
class Ctx:
    now: datetime
    ip: str | None = None
    port: int | None = None
    language: str = "zh-CN"

    @staticmethod
    def system(now: datetime | None = None) -> Ctx:
        return Ctx(now=utc_ms(now or datetime.now(UTC)), ip=None, port=None)
