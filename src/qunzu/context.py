"""The request edge: what every use case is told about a request (when, from where, in which language).

One function, `request_context`, builds it for the JSON API, the web pages and the WebSocket alike, from the peer
address, the headers, the settings and the container's clock. Jobs and the CLI use `Ctx.system(clock.now())`.
"""

from __future__ import annotations

import hashlib
import re
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
    # the rest of the network-log field set (REQUIREMENTS §3.2), written with every record by netlog.record
    dst_ip: str | None = None
    dst_port: int | None = None
    client_type: str | None = None  # web | api | the name a client sends in X-Qunzu-Client
    client_version: str | None = None
    device_id: str | None = None  # X-Qunzu-Device: the client's hardware feature (客户端硬件特征)
    session_hash: str | None = None  # the first 16 hex of the session token's SHA-256 (as auth_tokens keeps it)

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


_CLIENT = re.compile(r"^([a-z][a-z0-9_-]{0,15})(?:/([0-9A-Za-z][0-9A-Za-z.+-]{0,31}))?$")
_DEVICE = re.compile(r"^[0-9A-Za-z._:-]{1,64}$")


def client_of(headers: Mapping[str, str]) -> tuple[str, str | None, str | None]:
    """(client type, version, device id) from lower-cased headers: `X-Qunzu-Client: name/version` and
    `X-Qunzu-Device` as a client sends them (ignored when malformed); otherwise a browser is `web` and anything
    else `api`."""
    m = _CLIENT.match(headers.get("x-qunzu-client", "").strip().lower())
    device = headers.get("x-qunzu-device", "").strip()
    device_id = device if _DEVICE.match(device) else None
    if m:
        return m.group(1), m.group(2), device_id
    return ("web" if "mozilla/" in headers.get("user-agent", "").lower() else "api"), None, device_id


def session_hash(headers: Mapping[str, str], cookies: Mapping[str, str] | None = None) -> str | None:
    """The session a request belongs to, as the log keeps it: the first 16 hex of the bearer token's or the session
    cookie's SHA-256 (auth_tokens stores the whole hash), never the token."""
    auth = headers.get("authorization", "")
    token = auth[7:].strip() if auth[:7].lower() == "bearer " else (cookies or {}).get(SESSION_COOKIE, "")
    return hashlib.sha256(token.encode()).hexdigest()[:16] if token else None


def request_context(
    peer: tuple[str, int] | None,
    headers: Mapping[str, str],
    settings: Settings,
    clock: Clock,
    *,
    language: str | None = None,
    server: tuple[str, int | None] | None = None,
    cookies: Mapping[str, str] | None = None,
) -> Ctx:
    """The context of one request or connection. `headers` as Starlette gives them (case-insensitive lookups);
    `language` when the caller chose it otherwise (the web's language switch), else from Accept-Language;
    `server` the listener's address (the ASGI scope's), the destination of the log's records."""
    lowered = {k.lower(): v for k, v in headers.items()}
    ip, port = client_address(
        peer[0] if peer else None, peer[1] if peer else None, lowered, settings.server.trusted_proxies
    )
    client_type, client_version, device_id = client_of(lowered)
    return Ctx(
        now=clock.now(),
        ip=ip,
        port=port,
        language=language or pick_language(lowered.get("accept-language")),
        dst_ip=server[0] if server else None,
        dst_port=server[1] if server else None,
        client_type=client_type,
        client_version=client_version,
        device_id=device_id,
        session_hash=session_hash(lowered, cookies),
    )
