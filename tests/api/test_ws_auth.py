"""How a WebSocket authenticates and when it is refused: no long-lived token in a URL, single-use tickets, a cap
on connections per account, and a clean "try again later" while the database is out of reach. Both databases."""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
import websockets
from prometheus_client import CollectorRegistry
from tests.api.test_websocket import _next, bearer
from tests.conftest import Api, free_port, make_settings

from qunzu.clock import SystemClock
from qunzu.errors import AuthRequired, RateLimited, Unavailable
from qunzu.services import live as live_service
from qunzu.services.ws_tickets import (
    MAX_TICKETS_PER_WINDOW,
    MemoryTicketStore,
    RedisTicketStore,
    issue_ticket,
    redeem_ticket,
)

MAX_PER_USER = 3


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"realtime": {"max_connections_per_user": MAX_PER_USER}}


async def _open(url: str, **kwargs: Any) -> Any:
    ws = await websockets.connect(url, **kwargs)
    with contextlib.suppress(websockets.exceptions.ConnectionClosed):  # a refused socket may be closed already
        await ws.send(json.dumps({"type": "hello", "groups": {}}))
    return ws


async def _closed_with(ws: Any) -> tuple[int | None, str | None]:
    with pytest.raises(websockets.exceptions.ConnectionClosed):
        while True:
            await asyncio.wait_for(ws.recv(), 5)
    return ws.close_code, ws.close_reason


async def _ticket(api: Api, user: dict[str, Any]) -> dict[str, Any]:
    r = await api.client.post("/api/v1/ws/ticket", headers=api.h(user))
    assert r.status_code == 201, r.text
    return dict(r.json())


async def test_a_token_in_the_url_is_refused_even_when_it_is_valid(api: Api, live: str) -> None:
    user = await api.user()
    ws = await _open(f"ws://{live}/api/v1/ws?token={user['token']}")
    code, reason = await _closed_with(ws)
    assert code == 4401 and reason is not None and "ticket" in reason


async def test_the_authorization_header_authenticates(api: Api, live: str) -> None:
    ws = await _open(f"ws://{live}/api/v1/ws", additional_headers=bearer(await api.user()))
    assert (await _next(ws))["type"] == "ready"
    await ws.close()


async def test_a_ticket_opens_one_connection_only(api: Api, live: str) -> None:
    user = await api.user()
    issued = await _ticket(api, user)
    assert issued["ticket"].startswith("qzt_") and issued["ticket"] != user["token"]
    ws = await _open(f"ws://{live}/api/v1/ws?ticket={issued['ticket']}")
    assert (await _next(ws))["type"] == "ready"
    again = await _open(f"ws://{live}/api/v1/ws?ticket={issued['ticket']}")
    assert (await _closed_with(again))[0] == 4401, "single use"
    forged = await _open(f"ws://{live}/api/v1/ws?ticket=qzt_{secrets.token_urlsafe(32)}")
    assert (await _closed_with(forged))[0] == 4401
    await ws.close()


async def test_a_ticket_is_only_for_signed_in_users(api: Api) -> None:
    r = await api.client.post("/api/v1/ws/ticket")
    assert r.status_code == 401 and r.json()["error"]["code"] == "auth_required"


async def test_an_account_may_hold_only_so_many_connections(api: Api, live: str) -> None:
    user, other = await api.user(), await api.user()
    url = f"ws://{live}/api/v1/ws"
    socks = [await _open(url, additional_headers=bearer(user)) for _ in range(MAX_PER_USER)]
    for ws in socks:
        await _next(ws, "ready")
    refused = await _open(url, additional_headers=bearer(user))
    code, reason = await _closed_with(refused)
    assert code == 4429 and reason is not None and reason.startswith("too_many_connections")
    theirs = await _open(url, additional_headers=bearer(other))  # the cap is per account
    await _next(theirs, "ready")
    await socks.pop().close()
    for _ in range(200):  # the server frees the seat once it has seen the close: retry, with a deadline
        retry = await _open(url, additional_headers=bearer(user))
        try:
            frame = json.loads(await asyncio.wait_for(retry.recv(), 5))
        except websockets.exceptions.ConnectionClosed:
            assert retry.close_code == 4429
            continue
        assert frame["type"] == "ready"
        break
    else:
        pytest.fail("the closed connection's seat was never given back")
    for ws in [*socks, theirs, retry]:
        await ws.close()


async def test_a_database_outage_while_authenticating_closes_with_try_again_later(
    api: Api,
    live: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    user = await api.user()
    issued = await _ticket(api, user)

    async def unreachable(*_: Any, **__: Any) -> Any:
        raise Unavailable("The database is not reachable")

    monkeypatch.setattr("qunzu.services.accounts.authenticate", unreachable)
    monkeypatch.setattr("qunzu.services.ws_tickets.redeem_ticket", unreachable)
    for kwargs in ({"additional_headers": bearer(user)}, {}):
        suffix = "" if kwargs else f"?ticket={issued['ticket']}"
        ws = await _open(f"ws://{live}/api/v1/ws{suffix}", **kwargs)
        assert (await _closed_with(ws))[0] == 1013


async def test_a_database_outage_while_replaying_closes_with_try_again_later(
    api: Api,
    live: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from sqlalchemy.exc import OperationalError

    user = await api.user()

    async def lost(*_: Any, **__: Any) -> Any:
        raise OperationalError("SELECT ...", {}, ConnectionResetError("connection reset by peer"))

    monkeypatch.setattr(live_service, "live_groups", lost)
    ws = await _open(f"ws://{live}/api/v1/ws", additional_headers=bearer(user))
    code, reason = await _closed_with(ws)
    assert code == 1013 and reason == "service_unavailable: try again later"
    monkeypatch.undo()
    ok = await _open(f"ws://{live}/api/v1/ws", additional_headers=bearer(user))
    assert (await _next(ok))["type"] == "ready", "once the database is back, so are the sockets"
    await ok.close()


# --- a real outage: the database behind a TCP proxy that the test cuts ---------------------------------------


class TcpProxy:
    """Forwards a local port to PostgreSQL until `cut()`: then every connection drops and new ones are refused."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = free_port()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        self._writers |= {writer, up_writer}

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(Exception):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    async def cut(self) -> None:
        assert self._server is not None
        self._server.close()
        for w in self._writers:
            w.transport.abort()
        await self._server.wait_closed()


@pytest.fixture
async def outage(database_url: str, tmp_path: Path) -> AsyncIterator[tuple[Api, str, TcpProxy]]:
    from qunzu.app import create_app
    from qunzu.bootstrap import build_container

    if not database_url.startswith("postgresql"):
        pytest.skip("a TCP proxy stands between the server and PostgreSQL; SQLite has no connection to cut")
    proxy = TcpProxy(5432)
    await proxy.start()
    proxied = database_url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")
    container = build_container(make_settings(proxied, tmp_path), registry=CollectorRegistry())
    await container.start()
    app = create_app(container, with_web=False)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 50123))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver", timeout=60) as client:
        yield Api(client, container), f"127.0.0.1:{port}", proxy
    server.should_exit = True
    with contextlib.suppress(Exception):
        await asyncio.wait_for(task, 5)
    with contextlib.suppress(Exception):
        await asyncio.wait_for(container.stop(), 30)


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_when_the_database_goes_away_new_sockets_are_told_to_try_again_later(
    outage: tuple[Api, str, TcpProxy],
) -> None:
    api, server, proxy = outage
    user = await api.user()
    code = await api.create_group(user)
    issued = await _ticket(api, user)
    ws = await _open(f"ws://{server}/api/v1/ws", additional_headers=bearer(user))
    assert (await _next(ws, "ready"))["groups"] == {code: 0}
    await proxy.cut()
    by_ticket = await _open(f"ws://{server}/api/v1/ws?ticket={issued['ticket']}")
    assert await _closed_with(by_ticket) == (1013, "service_unavailable: try again later")
    by_header = await _open(f"ws://{server}/api/v1/ws", additional_headers=bearer(user))
    assert await _closed_with(by_header) == (1013, "service_unavailable: try again later")
    await ws.close()


# --- the ticket store, in memory and in Redis -----------------------------------------------------------------


@pytest.fixture(params=["memory", "redis"])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    if request.param == "memory":
        yield MemoryTicketStore()
        return
    url = request.getfixturevalue("redis_url")
    s = RedisTicketStore(url, namespace=f"qunzu:test-{secrets.token_hex(4)}:ws-ticket")
    yield s
    await s.close()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_ticket_expires_and_is_used_once(api: Api, container: Any, store: Any) -> None:
    user = await api.user()
    now = container.clock.now()
    first = await issue_ticket(store, actor=user["id"], now=now, ttl_seconds=30)
    assert first.expires_at == now + timedelta(seconds=30)
    redeemed = await redeem_ticket(container.db, store, ticket=first.ticket, now=now + timedelta(seconds=29))
    assert redeemed.user.id == user["id"]
    with pytest.raises(AuthRequired):
        await redeem_ticket(container.db, store, ticket=first.ticket, now=now)
    late = await issue_ticket(store, actor=user["id"], now=now, ttl_seconds=30)
    with pytest.raises(AuthRequired):
        await redeem_ticket(container.db, store, ticket=late.ticket, now=now + timedelta(seconds=30))
    with pytest.raises(AuthRequired):
        await redeem_ticket(container.db, store, ticket=user["token"], now=now)


async def test_an_account_gets_only_so_many_tickets_per_ticket_lifetime(store: Any) -> None:
    now = SystemClock().now()
    for _ in range(MAX_TICKETS_PER_WINDOW):
        await issue_ticket(store, actor=7, now=now, ttl_seconds=30)
    with pytest.raises(RateLimited):
        await issue_ticket(store, actor=7, now=now, ttl_seconds=30)
    await issue_ticket(store, actor=8, now=now, ttl_seconds=30)
    if isinstance(store, MemoryTicketStore):  # Redis ends its window by its own clock (key expiry)
        await issue_ticket(store, actor=7, now=now + timedelta(seconds=31), ttl_seconds=30)
