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


def client_address(
    peer_host: str | None, peer_port: int | None, headers: dict[str, str], trusted: list[str]
) -> tuple[str | None, int | None]:
    """The real client IP and port (R-13.2-1). `headers` keys are lower-case.

    Forwarded headers (X-Forwarded-For, X-Forwarded-Port) are believed only from trusted proxies; otherwise the
    peer's own address is the client's.
    """
    if peer_host is None or peer_host not in trusted:
        return peer_host, peer_port
    fwd = headers.get("x-forwarded-for")
    raw_port = headers.get("x-forwarded-port") or headers.get("x-real-port")
    ip = fwd.split(",")[0].strip() if fwd else peer_host
    try:
        return ip, int(raw_port) if raw_port else None
    except ValueError:
        return ip, None
