"""No credential reaches a log line: a real server, started both ways an operator starts it (`qunzu serve`, and
uvicorn with the app factory), is sent tokens and tickets in URLs and headers; its log holds none of them."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import websockets
from tests.system.server import ServerProcess
from tests.web.server import running_server

from qunzu.logging import REDACTED, RedactingFilter, redact, redact_processor


@contextlib.contextmanager
def qunzu_serve(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    env = {"QUNZU_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'server.db'}", "QUNZU_DATA_DIR": str(tmp_path)}
    server = ServerProcess(env, tmp_path / "server.log")
    server.migrate()
    server.start()
    try:
        yield server.url, server.log
    finally:
        server.stop()


@contextlib.contextmanager
def uvicorn_factory(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    with running_server(tmp_path / "data") as server:
        yield server.base, server.log_path


async def _closed(ws: websockets.ClientConnection) -> int | None:
    with contextlib.suppress(websockets.exceptions.ConnectionClosed):
        while True:
            await asyncio.wait_for(ws.recv(), 5)
    return ws.close_code


async def _exercise(base: str) -> list[str]:
    """Sign in, then hand the server credentials every way a client might; the secrets it was given."""
    ws_base = base.replace("http://", "ws://") + "/api/v1/ws"
    async with httpx.AsyncClient(base_url=base, timeout=30) as c:
        name = f"u{secrets.token_hex(4)}"
        versions = {d["kind"]: d["version"] for d in (await c.get("/api/v1/documents")).json()}
        accept = {"agreement": versions["agreement"], "privacy": versions["privacy"]}
        r = await c.post(
            "/api/v1/auth/register",
            json={"username": name, "password": "correct-horse-9", "nickname": name, "accept": accept},
        )
        assert r.status_code == 201, r.text
        r = await c.post("/api/v1/auth/login", json={"username": name, "password": "correct-horse-9"})
        token = r.json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        ticket = (await c.post("/api/v1/ws/ticket", headers=auth)).json()["ticket"]
        assert (await c.get(f"/api/v1/me?token={token}", headers=auth)).status_code == 200
        await c.get("/api/v1/me", headers={"Cookie": f"qunzu_session={token}"})

    in_url = await websockets.connect(f"{ws_base}?token={token}")
    assert await _closed(in_url) == 4401, "a token in the URL is refused"
    by_ticket = await websockets.connect(f"{ws_base}?ticket={ticket}")
    await by_ticket.send(json.dumps({"type": "hello", "groups": {}}))
    assert json.loads(await asyncio.wait_for(by_ticket.recv(), 10))["type"] == "ready"
    await by_ticket.close()
    reused = await websockets.connect(f"{ws_base}?ticket={ticket}")
    assert await _closed(reused) == 4401
    by_header = await websockets.connect(ws_base, additional_headers=auth)
    await by_header.close()
    return [token, ticket]


@pytest.mark.parametrize("launch", [qunzu_serve, uvicorn_factory], ids=["qunzu-serve", "uvicorn-factory"])
async def test_no_token_or_ticket_reaches_the_server_log(launch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with launch(tmp_path) as (base, log_path):
        secrets_given = await _exercise(base)
    log = log_path.read_text()
    assert "ws?token=" + REDACTED in log and "ws?ticket=" + REDACTED in log, "the lines are there, redacted"
    assert "/api/v1/me?token=" + REDACTED in log
    for value in secrets_given:
        assert value not in log and value[4:] not in log, f"{value[:4]}... appears in the log"


def test_redact_removes_every_credential_shape() -> None:
    token, ticket = "qz_" + secrets.token_urlsafe(32), "qzt_" + secrets.token_urlsafe(32)
    lines = [
        f'127.0.0.1:5000 - "WebSocket /api/v1/ws?token={token}" [accepted]',
        f"GET /api/v1/ws?x=1&ticket={ticket}&y=2 HTTP/1.1",
        f"headers: [(b'authorization', b'Bearer {token}'), (b'cookie', b'qunzu_session={token}; lang=en')]",
        f"Authorization: Bearer {token}",
        f"Cookie: qunzu_session={token}",
        f"a token alone: {token}",
    ]
    for line in lines:
        assert token not in redact(line) and ticket not in redact(line), redact(line)
    assert redact("GET /api/v1/groups?limit=20 200") == "GET /api/v1/groups?limit=20 200"


def test_structlog_and_stdlib_records_are_redacted() -> None:
    token = "qz_" + secrets.token_urlsafe(32)
    event = redact_processor(
        None, "info", {"event": "request", "path": f"/ws?token={token}", "headers": {"Authorization": "x"}}
    )
    assert token not in str(event) and event["headers"] == {"Authorization": REDACTED}
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s"', ("1.2.3.4", "GET", f"/x?token={token}"), None
    )
    assert RedactingFilter().filter(record)
    assert token not in record.getMessage() and "token=" + REDACTED in record.getMessage()
