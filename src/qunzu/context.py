"""The request edge: what every use case is told about a request (when, from where, in which language).

One function, `request_context`, builds it for the JSON API, the web pages and the WebSocket alike, from the peer
address, the headers, the settings and the container's clock. Jobs and the CLI use `Ctx.system(clock.now())`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from qunzu.clock import Clock, utc_ms
from qunzu.config import Settings
from qunzu.i18n import pick_language

SESSION_COOKIE = "qunzu_session"  # the web session's cookie; the JSON API and the WebSocket accept it too


@dataclass(frozen=True, slots=True)
class Ctx:
    now: datetime
    ip: str | None = None
    port: int | None = None
    language: str = "zh-CN"

    @staticmethod
    def system(now: datetime, *, ip: str | None = None) -> Ctx:
        """The context of work no request asked for (start-up, jobs, operator commands: `ip="cli"`)."""
        return Ctx(now=utc_ms(now), ip=ip, port=None)


def client_address(
    peer_host: str | None, peer_port: int | None, headers: Mapping[str, str], trusted: list[str]
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


def request_context(
    peer: tuple[str, int] | None,
    headers: Mapping[str, str],
    settings: Settings,
    clock: Clock,
    *,
    language: str | None = None,
) -> Ctx:
    """The context of one request or connection. `headers` as Starlette gives them (case-insensitive lookups);
    `language` when the caller chose it otherwise (the web's language switch), else from Accept-Language."""
    lowered = {k.lower(): v for k, v in headers.items()}
    ip, port = client_address(
        peer[0] if peer else None, peer[1] if peer else None, lowered, settings.server.trusted_proxies
    )
    return Ctx(
        now=clock.now(),
        ip=ip,
        port=port,
        language=language or pick_language(lowered.get("accept-language")),
    )
