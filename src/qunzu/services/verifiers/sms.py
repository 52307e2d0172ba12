"""SMS senders for the L1 one-time code (R-6.1-1, D2): a development console sink and an HTTP gateway.

No sender logs a full phone number (R-6.2-4); the HTTP sender does not log the text either, since it carries the code.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Protocol

import httpx
import structlog

from qunzu.config import HttpSmsSettings
from qunzu.domain.identity import mask_phone
from qunzu.errors import ErrorCode, Unavailable

CONSOLE_OUTBOX_SIZE = 200
SMS_UNAVAILABLE_MESSAGE = "the SMS gateway could not send the verification code; try again later"


@dataclass(frozen=True)
class SentSms:
    phone_e164: str
    text: str


class SmsSender(Protocol):
    name: str  # "console" | "http"
    authoritative: bool  # False for console
    keeps_outbox: bool  # True for console: the service also writes the message to the staff-only outbox table

    async def send(self, phone_e164: str, text: str) -> None:
        """Deliver `text` to the phone; raise Unavailable(code=VERIFIER_UNAVAILABLE) when the gateway fails."""
        ...


def _log() -> structlog.typing.FilteringBoundLogger:
    # A fresh proxy per call, so a logging configuration made after import (tests, the CLI) is always honoured.
    return structlog.get_logger(__name__)  # type: ignore[no-any-return]


class ConsoleSms:
    """Development sink: the message goes to the server log (phone masked) and to `.sent`. Not authoritative."""

    name = "console"
    authoritative = False
    keeps_outbox = True

    def __init__(self, *, keep: int = CONSOLE_OUTBOX_SIZE) -> None:
        self.sent: deque[SentSms] = deque(maxlen=keep)

    async def send(self, phone_e164: str, text: str) -> None:
        self.sent.append(SentSms(phone_e164=phone_e164, text=text))
        _log().info("sms.console", phone=mask_phone(phone_e164), text=text, note="development SMS sink, not sent")

    async def aclose(self) -> None:
        return None


class HttpSms:
    """An HTTP SMS gateway: POST {"phone", "text", "sign"} with a bearer key; 2xx means accepted (docs/verifiers.md)."""

    name = "http"
    authoritative = True
    keeps_outbox = False

    def __init__(self, settings: HttpSmsSettings, *, transport: httpx.AsyncBaseTransport | None = None) -> None:
        if not settings.url:
            raise ValueError("identity.sms_http.url is required with sms_sender 'http'")
        self._url = settings.url
        self._sign = settings.sign_name
        headers = {"User-Agent": "qunzu-sms/1"}
        if settings.api_key is not None:
            headers["Authorization"] = f"Bearer {settings.api_key.get_secret_value()}"
        self._client = httpx.AsyncClient(
            headers=headers, timeout=settings.timeout_seconds, transport=transport, follow_redirects=False
        )

    async def send(self, phone_e164: str, text: str) -> None:
        masked = mask_phone(phone_e164)
        try:
            response = await self._client.post(self._url, json={"phone": phone_e164, "text": text, "sign": self._sign})
        except httpx.TimeoutException:
            _log().warning("sms.http.failed", phone=masked, reason="timeout")
            raise self._unavailable("timeout") from None
        except httpx.TransportError as exc:
            _log().warning("sms.http.failed", phone=masked, reason="connection", error=type(exc).__name__)
            raise self._unavailable("connection") from None
        if not response.is_success:
            _log().warning("sms.http.failed", phone=masked, reason="status", status=response.status_code)
            raise self._unavailable("status", status=response.status_code)
        _log().info("sms.http.sent", phone=masked, status=response.status_code)

    @staticmethod
    def _unavailable(reason: str, *, status: int | None = None) -> Unavailable:
        details: dict[str, object] = {"service": "sms", "reason": reason}
        if status is not None:
            details["status"] = status
            why = f"the gateway answered HTTP {status}"
        elif reason == "timeout":
            why = "the gateway did not answer in time"
        else:
            why = "the gateway cannot be reached"
        return Unavailable(f"{SMS_UNAVAILABLE_MESSAGE} ({why})", code=ErrorCode.VERIFIER_UNAVAILABLE, details=details)

    async def aclose(self) -> None:
        await self._client.aclose()
