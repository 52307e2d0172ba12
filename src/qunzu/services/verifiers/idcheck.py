"""Name + resident ID verifiers for L2 (R-6.1-1, D2): format-only (development), manual (staff review), signed HTTP.

The caller has already checked the ID number locally (GB 11643, domain/identity.py). No verifier logs the name or the
ID number (R-6.2-4), and none returns the vendor's raw answer: only an outcome, a transaction id and a reason code.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import re
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import httpx
import structlog

from qunzu.config import HttpVerifierSettings
from qunzu.errors import ErrorCode, Unavailable

Outcome = Literal["match", "mismatch", "pending"]
SIGNATURE_HEADER = "X-Qunzu-Signature"
BACKOFF_SECONDS = 0.2
NOT_ANSWERING_MESSAGE = "the identity verification service is not answering; try again later"
# What a vendor's txn_id and reason code may look like; anything else is a malformed answer or is dropped.
TXN_ID_RE = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
REASON_RE = re.compile(r"^[a-z0-9_\-.]{1,64}$")


@dataclass(frozen=True)
class IdCheckResult:
    outcome: Outcome
    txn_id: str
    authoritative: bool
    reason: str | None = None


class IdVerifier(Protocol):
    name: str  # "format-only" | "http" | "manual"
    authoritative: bool

    async def verify(self, *, name: str, id_number: str) -> IdCheckResult:
        """Check that the name and the (locally valid) ID number belong together."""
        ...


def _log() -> structlog.typing.FilteringBoundLogger:
    # A fresh proxy per call, so a logging configuration made after import (tests, the CLI) is always honoured.
    return structlog.get_logger(__name__)  # type: ignore[no-any-return]


class FormatOnly:
    """Development: trusts the caller's local GB 11643 check. Not authoritative; production refuses it (config.py)."""

    name = "format-only"
    authoritative = False

    async def verify(self, *, name: str, id_number: str) -> IdCheckResult:
        return IdCheckResult(outcome="match", txn_id=f"format-only-{uuid.uuid4().hex}", authoritative=False)

    async def aclose(self) -> None:
        return None


class Manual:
    """Offline deployments: every check is pending until staff review the submitted documents."""

    name = "manual"
    authoritative = True

    async def verify(self, *, name: str, id_number: str) -> IdCheckResult:
        return IdCheckResult(outcome="pending", txn_id=f"manual-{uuid.uuid4().hex}", authoritative=True)

    async def aclose(self) -> None:
        return None


def sign_request(secret: bytes, *, timestamp: str, nonce: str, body: bytes) -> str:
    """hex(HMAC-SHA256(secret, timestamp + "\\n" + nonce + "\\n" + body)): the X-Qunzu-Signature header."""
    message = timestamp.encode("ascii") + b"\n" + nonce.encode("ascii") + b"\n" + body
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


class _Retryable(Exception):
    def __init__(self, reason: str, status: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


class HttpIdVerifier:
    """A licensed name + ID check over HTTPS: signed JSON request, timeout, retries with backoff (docs/verifiers.md)."""

    name = "http"
    authoritative = True

    def __init__(
        self,
        settings: HttpVerifierSettings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        if not settings.url or settings.secret is None:
            raise ValueError("identity.verifier_http.url and .secret are required with id_verifier 'http'")
        self._url = settings.url
        self._app_id = settings.app_id or ""
        self._secret = settings.secret.get_secret_value().encode("utf-8")
        self._retries = settings.retries
        self._clock = clock
        self._sleep = sleep
        self._client = httpx.AsyncClient(
            headers={"User-Agent": "qunzu-idcheck/1"},
            timeout=settings.timeout_seconds,
            transport=transport,
            follow_redirects=False,
        )

    async def verify(self, *, name: str, id_number: str) -> IdCheckResult:
        last: _Retryable | None = None
        for attempt in range(self._retries + 1):
            if attempt:
                await self._sleep(BACKOFF_SECONDS * 2 ** (attempt - 1))
            try:
                result = await self._attempt(name=name, id_number=id_number)
            except _Retryable as exc:
                last = exc
                _log().warning("idcheck.http.retryable", attempt=attempt + 1, reason=exc.reason, status=exc.status)
                continue
            _log().info("idcheck.http.result", outcome=result.outcome, txn_id=result.txn_id, attempts=attempt + 1)
            return result
        assert last is not None
        _log().error("idcheck.http.unavailable", attempts=self._retries + 1, reason=last.reason, status=last.status)
        details: dict[str, Any] = {"service": "idcheck", "reason": last.reason, "attempts": self._retries + 1}
        if last.status is not None:
            details["status"] = last.status
        raise Unavailable(NOT_ANSWERING_MESSAGE, code=ErrorCode.VERIFIER_UNAVAILABLE, details=details)

    async def _attempt(self, *, name: str, id_number: str) -> IdCheckResult:
        timestamp = str(int(self._clock()))
        nonce = secrets.token_hex(16)
        payload = {"app_id": self._app_id, "name": name, "id_number": id_number, "nonce": nonce, "timestamp": timestamp}
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            SIGNATURE_HEADER: sign_request(self._secret, timestamp=timestamp, nonce=nonce, body=body),
        }
        try:
            response = await self._client.post(self._url, content=body, headers=headers)
        except httpx.TimeoutException:
            raise _Retryable("timeout") from None
        except httpx.TransportError:
            raise _Retryable("connection") from None
        status = response.status_code
        if status >= 500:
            raise _Retryable("status", status)
        if not response.is_success:
            _log().error("idcheck.http.refused", status=status)
            raise _fail(f"the identity verification service refused the request (HTTP {status})", "refused", status)
        return _parse(response)

    async def aclose(self) -> None:
        await self._client.aclose()


def _parse(response: httpx.Response) -> IdCheckResult:
    """Only the outcome, the transaction id and a reason code leave this function; the raw answer is dropped."""
    try:
        data = response.json()
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise _malformed("the answer is not a JSON object")
    result, txn_id, reason = data.get("result"), data.get("txn_id"), data.get("reason")
    if result not in ("match", "mismatch"):
        raise _malformed('"result" is not "match" or "mismatch"')
    if not isinstance(txn_id, str) or not TXN_ID_RE.match(txn_id):
        raise _malformed('"txn_id" is missing or not a short identifier')
    if not isinstance(reason, str) or not REASON_RE.match(reason):
        reason = None
    return IdCheckResult(outcome=result, txn_id=txn_id, authoritative=True, reason=reason)


def _malformed(why: str) -> Unavailable:
    _log().error("idcheck.http.malformed", why=why)
    return _fail(f"the identity verification service gave a malformed answer ({why})", "malformed", None)


def _fail(message: str, reason: str, status: int | None) -> Unavailable:
    details: dict[str, Any] = {"service": "idcheck", "reason": reason}
    if status is not None:
        details["status"] = status
    return Unavailable(message, code=ErrorCode.VERIFIER_UNAVAILABLE, details=details)
