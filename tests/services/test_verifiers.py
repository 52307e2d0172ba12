"""Identity-verification plug-ins (D2, R-6.1-1, R-6.2-4) against a real local HTTP vendor served by uvicorn."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import socket
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import structlog
import uvicorn
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from structlog.testing import capture_logs

from qunzu.config import HttpSmsSettings, HttpVerifierSettings, IdentitySettings
from qunzu.errors import ErrorCode, QunzuError, Unavailable
from qunzu.services.verifiers import (
    ConsoleSms,
    FormatOnly,
    HttpIdVerifier,
    HttpSms,
    IdCheckResult,
    Manual,
    SentSms,
    make_id_verifier,
    make_sms_sender,
)
from qunzu.services.verifiers.idcheck import NOT_ANSWERING_MESSAGE

SECRET = "s3cret-for-tests"
API_KEY = "sms-key-123"
PHONE = "+8613812341234"
PHONE_NATIONAL = "13812341234"
NAME = "张三丰"
ID_NUMBER = "11010119900307123X"
PII = (PHONE_NATIONAL, NAME, ID_NUMBER)


# --- the fake vendor: one Starlette app with an SMS gateway and a name + ID check, scripted per test ---------


@dataclass
class Vendor:
    base_url: str = ""
    script: list[Any] = field(default_factory=list)  # one step per request; empty → the default answer
    requests: list[dict[str, Any]] = field(default_factory=list)

    def reset(self, *steps: Any) -> None:
        self.script = list(steps)
        self.requests.clear()

    async def answer(self, request: Request, default: Response) -> Response:
        body = await request.body()
        self.requests.append({"path": request.url.path, "headers": dict(request.headers), "body": body})
        step = self.script.pop(0) if self.script else None
        if step is None:
            return default
        if isinstance(step, Response):
            return step
        if isinstance(step, int):
            return PlainTextResponse(f"vendor status {step}", status_code=step)
        kind, value = step
        if kind == "sleep":
            await asyncio.sleep(value)
            return default
        raise AssertionError(step)


def _make_app(vendor: Vendor) -> Starlette:
    async def sms(request: Request) -> Response:
        return await vendor.answer(request, JSONResponse({"message_id": "m-1"}))

    async def idcheck(request: Request) -> Response:
        data = json.loads(await request.body())
        result = "mismatch" if data.get("name") == "李四" else "match"
        default = JSONResponse({"result": result, "txn_id": "vendor-txn-42", "raw": {"photo": "…", "name": NAME}})
        return await vendor.answer(request, default)

    return Starlette(routes=[Route("/sms", sms, methods=["POST"]), Route("/idcheck", idcheck, methods=["POST"])])


@pytest.fixture(scope="module")
async def vendor() -> AsyncIterator[Vendor]:
    state = Vendor()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(_make_app(state), log_level="warning", lifespan="off", access_log=False))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    for _ in range(200):
        if server.started:
            break
        await asyncio.sleep(0.01)
    assert server.started, "the fake vendor did not start"
    state.base_url = f"http://127.0.0.1:{port}"
    yield state
    server.should_exit = True
    server.force_exit = True
    await task
    sock.close()


def _verifier(vendor: Vendor, *, retries: int = 2, timeout: float = 2.0) -> tuple[HttpIdVerifier, list[float]]:
    delays: list[float] = []

    async def record_sleep(seconds: float) -> None:
        delays.append(seconds)

    settings = HttpVerifierSettings(
        url=f"{vendor.base_url}/idcheck",
        app_id="qunzu-test",
        secret=SecretStr(SECRET),
        timeout_seconds=timeout,
        retries=retries,
    )
    return HttpIdVerifier(settings, sleep=record_sleep), delays


def _sms(vendor: Vendor, *, timeout: float = 2.0) -> HttpSms:
    return HttpSms(
        HttpSmsSettings(
            url=f"{vendor.base_url}/sms", api_key=SecretStr(API_KEY), sign_name="群组", timeout_seconds=timeout
        )
    )


def _assert_no_pii(logs: list[dict[str, Any]], *extra: str) -> None:
    flat = json.dumps(logs, ensure_ascii=False, default=str)
    for value in (*PII, *extra):
        assert value not in flat, f"{value!r} leaked into the logs"


# --- HTTP name + ID verifier ---------------------------------------------------------------------------------


async def test_http_verifier_signs_the_request_as_documented(vendor: Vendor) -> None:
    vendor.reset()
    verifier, _ = _verifier(vendor)
    before = int(time.time())
    try:
        await verifier.verify(name=NAME, id_number=ID_NUMBER)
    finally:
        await verifier.aclose()
    (req,) = vendor.requests
    body: bytes = req["body"]
    data = json.loads(body)
    assert set(data) == {"app_id", "name", "id_number", "nonce", "timestamp"}
    assert (data["app_id"], data["name"], data["id_number"]) == ("qunzu-test", NAME, ID_NUMBER)
    assert abs(int(data["timestamp"]) - before) <= 2
    assert len(data["nonce"]) >= 16
    message = data["timestamp"].encode() + b"\n" + data["nonce"].encode() + b"\n" + body
    expected = hmac.new(SECRET.encode(), message, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(req["headers"]["x-qunzu-signature"], expected)
    assert req["headers"]["content-type"].startswith("application/json")


async def test_http_verifier_match_and_mismatch_return_only_outcome_and_txn(vendor: Vendor) -> None:
    vendor.reset()
    verifier, _ = _verifier(vendor)
    try:
        with capture_logs() as logs:
            match = await verifier.verify(name=NAME, id_number=ID_NUMBER)
            mismatch = await verifier.verify(name="李四", id_number=ID_NUMBER)
    finally:
        await verifier.aclose()
    assert match == IdCheckResult(outcome="match", txn_id="vendor-txn-42", authoritative=True, reason=None)
    assert mismatch.outcome == "mismatch"
    assert mismatch.authoritative
    assert not hasattr(match, "raw")
    _assert_no_pii(logs, "李四")


async def test_http_verifier_passes_a_reason_code_but_drops_free_text(vendor: Vendor) -> None:
    coded = JSONResponse({"result": "mismatch", "txn_id": "t-1", "reason": "name_mismatch"})
    prose = JSONResponse({"result": "mismatch", "txn_id": "t-2", "reason": f"姓名 {NAME} 与号码不符"})
    vendor.reset(coded, prose)
    verifier, _ = _verifier(vendor)
    try:
        first = await verifier.verify(name=NAME, id_number=ID_NUMBER)
        second = await verifier.verify(name=NAME, id_number=ID_NUMBER)
    finally:
        await verifier.aclose()
    assert (first.reason, second.reason) == ("name_mismatch", None)


async def test_http_verifier_retries_5xx_with_backoff_then_succeeds(vendor: Vendor) -> None:
    vendor.reset(503, 500)
    verifier, delays = _verifier(vendor, retries=2)
    try:
        result = await verifier.verify(name=NAME, id_number=ID_NUMBER)
    finally:
        await verifier.aclose()
    assert result.outcome == "match"
    assert delays == [0.2, 0.4]
    assert len(vendor.requests) == 3
    nonces = {json.loads(r["body"])["nonce"] for r in vendor.requests}
    assert len(nonces) == 3, "each attempt is signed with a fresh nonce"


async def test_http_verifier_retries_exhausted_is_verifier_unavailable(vendor: Vendor) -> None:
    vendor.reset(502, 503, 500)
    verifier, delays = _verifier(vendor, retries=2)
    try:
        with capture_logs() as logs, pytest.raises(Unavailable) as caught:
            await verifier.verify(name=NAME, id_number=ID_NUMBER)
    finally:
        await verifier.aclose()
    assert caught.value.code == ErrorCode.VERIFIER_UNAVAILABLE
    assert caught.value.message == NOT_ANSWERING_MESSAGE
    assert delays == [0.2, 0.4]
    assert len(vendor.requests) == 3
    _assert_no_pii(logs)


async def test_http_verifier_4xx_fails_at_once(vendor: Vendor) -> None:
    vendor.reset(401)
    verifier, delays = _verifier(vendor, retries=2)
    try:
        with pytest.raises(Unavailable) as caught:
            await verifier.verify(name=NAME, id_number=ID_NUMBER)
    finally:
        await verifier.aclose()
    assert caught.value.code == ErrorCode.VERIFIER_UNAVAILABLE
    assert "HTTP 401" in caught.value.message
    assert "vendor status" not in caught.value.message
    assert delays == []
    assert len(vendor.requests) == 1


@pytest.mark.parametrize(
    "answer",
    [
        PlainTextResponse("<html>gateway</html>"),
        JSONResponse({"result": "maybe", "txn_id": "t"}),
        JSONResponse({"result": "match"}),
        JSONResponse({"result": "match", "txn_id": "has spaces and 中文"}),
        JSONResponse(["match", "t"]),
    ],
    ids=["not-json", "bad-result", "no-txn", "bad-txn", "not-object"],
)
async def test_http_verifier_malformed_answer_fails_at_once(vendor: Vendor, answer: Response) -> None:
    vendor.reset(answer)
    verifier, delays = _verifier(vendor)
    try:
        with pytest.raises(Unavailable) as caught:
            await verifier.verify(name=NAME, id_number=ID_NUMBER)
    finally:
        await verifier.aclose()
    assert caught.value.code == ErrorCode.VERIFIER_UNAVAILABLE
    assert "malformed" in caught.value.message
    assert delays == []


async def test_http_verifier_timeout_is_retried(vendor: Vendor) -> None:
    vendor.reset(("sleep", 0.6))
    verifier, delays = _verifier(vendor, retries=1, timeout=0.15)
    try:
        result = await verifier.verify(name=NAME, id_number=ID_NUMBER)
    finally:
        await verifier.aclose()
    assert result.outcome == "match"
    assert delays == [0.2]


async def test_http_verifier_unreachable_vendor_is_retried_then_unavailable() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed once the block ends: nothing listens there
    verifier, delays = _verifier(Vendor(base_url=f"http://127.0.0.1:{port}"), retries=1)
    try:
        with pytest.raises(Unavailable) as caught:
            await verifier.verify(name=NAME, id_number=ID_NUMBER)
    finally:
        await verifier.aclose()
    assert caught.value.code == ErrorCode.VERIFIER_UNAVAILABLE
    assert caught.value.message == NOT_ANSWERING_MESSAGE
    assert delays == [0.2]


# --- development and manual verifiers ------------------------------------------------------------------------


async def test_format_only_matches_and_is_not_authoritative() -> None:
    result = await FormatOnly().verify(name=NAME, id_number=ID_NUMBER)
    assert result.outcome == "match"
    assert not result.authoritative
    assert result.txn_id.startswith("format-only-") and len(result.txn_id) == len("format-only-") + 32
    assert FormatOnly.authoritative is False


async def test_manual_is_pending_for_staff() -> None:
    first = await Manual().verify(name=NAME, id_number=ID_NUMBER)
    second = await Manual().verify(name=NAME, id_number=ID_NUMBER)
    assert first.outcome == "pending" and first.authoritative
    assert first.txn_id.startswith("manual-") and first.txn_id != second.txn_id


# --- SMS ------------------------------------------------------------------------------------------------------


async def test_http_sms_posts_json_with_bearer_key(vendor: Vendor) -> None:
    vendor.reset()
    sender = _sms(vendor)
    try:
        with capture_logs() as logs:
            await sender.send(PHONE, "您的验证码是 482913")
    finally:
        await sender.aclose()
    (req,) = vendor.requests
    assert json.loads(req["body"]) == {"phone": PHONE, "text": "您的验证码是 482913", "sign": "群组"}
    assert req["headers"]["authorization"] == f"Bearer {API_KEY}"
    assert sender.authoritative and not sender.keeps_outbox
    _assert_no_pii(logs, "482913")


@pytest.mark.parametrize("failure", [500, 403, ("sleep", 0.6)], ids=["5xx", "4xx", "timeout"])
async def test_http_sms_gateway_failure_is_verifier_unavailable_without_the_phone(vendor: Vendor, failure: Any) -> None:
    vendor.reset(failure)
    sender = _sms(vendor, timeout=0.15)
    try:
        with capture_logs() as logs, pytest.raises(Unavailable) as caught:
            await sender.send(PHONE, "您的验证码是 482913")
    finally:
        await sender.aclose()
    assert caught.value.code == ErrorCode.VERIFIER_UNAVAILABLE
    shown = f"{caught.value.message} {caught.value.details} {caught.value!r}"
    assert PHONE_NATIONAL not in shown and "482913" not in shown
    assert "SMS gateway" in caught.value.message
    _assert_no_pii(logs, "482913")


async def test_http_sms_unreachable_gateway_is_verifier_unavailable() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sender = _sms(Vendor(base_url=f"http://127.0.0.1:{port}"))
    try:
        with pytest.raises(Unavailable) as caught:
            await sender.send(PHONE, "code 1")
    finally:
        await sender.aclose()
    assert caught.value.code == ErrorCode.VERIFIER_UNAVAILABLE
    assert PHONE_NATIONAL not in caught.value.message


async def test_console_sms_logs_the_code_with_the_phone_masked() -> None:
    sender = ConsoleSms()
    with capture_logs() as logs:
        await sender.send(PHONE, "您的验证码是 482913")
    assert sender.sent[-1] == SentSms(phone_e164=PHONE, text="您的验证码是 482913")
    (entry,) = logs
    assert entry["phone"] == "138****1234"
    assert entry["text"] == "您的验证码是 482913"
    _assert_no_pii(logs)
    assert not sender.authoritative and sender.keeps_outbox


async def test_console_sms_rendered_log_line_has_no_full_phone(capsys: pytest.CaptureFixture[str]) -> None:
    old = structlog.get_config()
    structlog.configure(
        processors=[structlog.processors.add_log_level, structlog.dev.ConsoleRenderer(colors=False)],
        logger_factory=structlog.PrintLoggerFactory(),
        cache_logger_on_first_use=False,
    )
    try:
        await ConsoleSms().send(PHONE, "您的验证码是 482913")
    finally:
        structlog.configure(**old)
    out = capsys.readouterr().out
    assert "138****1234" in out and "482913" in out
    assert PHONE_NATIONAL not in out


async def test_console_sms_keeps_the_last_200() -> None:
    sender = ConsoleSms()
    with capture_logs():
        for i in range(205):
            await sender.send(PHONE, f"code {i}")
    assert len(sender.sent) == 200
    assert sender.sent[0].text == "code 5" and sender.sent[-1].text == "code 204"


# --- choosing by settings ---------------------------------------------------------------------------------------


async def test_make_functions_choose_by_settings() -> None:
    assert isinstance(make_sms_sender(IdentitySettings()), ConsoleSms)
    assert isinstance(make_id_verifier(IdentitySettings()), FormatOnly)
    assert isinstance(make_id_verifier(IdentitySettings(id_verifier="manual")), Manual)
    sms = make_sms_sender(IdentitySettings(sms_sender="http", sms_http=HttpSmsSettings(url="http://127.0.0.1:9/sms")))
    idv = make_id_verifier(
        IdentitySettings(
            id_verifier="http",
            verifier_http=HttpVerifierSettings(url="http://127.0.0.1:9/idcheck", secret=SecretStr("x")),
        )
    )
    try:
        assert isinstance(sms, HttpSms) and sms.name == "http"
        assert isinstance(idv, HttpIdVerifier) and idv.name == "http" and idv.authoritative
    finally:
        await sms.aclose()
        await idv.aclose()


def test_http_plugins_without_their_settings_refuse_to_build() -> None:
    with pytest.raises(ValueError, match=r"sms_http\.url"):
        make_sms_sender(IdentitySettings(sms_sender="http"))
    with pytest.raises(ValueError, match=r"verifier_http\.url"):
        make_id_verifier(IdentitySettings(id_verifier="http", verifier_http=HttpVerifierSettings(url="http://x/")))


def test_unavailable_is_a_qunzu_error() -> None:
    assert issubclass(Unavailable, QunzuError)
