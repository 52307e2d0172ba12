"""Open WebSockets end with the session they were opened with: staff suspending the account, a blacklist entry that
signs it out, or signing out closes them with a last `session_ended` frame and 4401, in every server process (the
event crosses processes through Redis, so this module runs its servers on a Redis broker)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
import websockets
from prometheus_client import CollectorRegistry
from tests.api.test_websocket import _next, bearer
from tests.compliance._creation import staff
from tests.conftest import Api, free_port, make_settings

CLOSE_SESSION_ENDED = 4401


@pytest.fixture
def settings_overrides(redis_url: str) -> dict[str, Any]:
    return {"redis_url": redis_url}


async def _open(server: str, user: dict[str, Any] | None = None, *, ticket: str | None = None) -> Any:
    url = f"ws://{server}/api/v1/ws" + (f"?ticket={ticket}" if ticket else "")
    ws = await websockets.connect(url, additional_headers=bearer(user) if user else None)
    await ws.send(json.dumps({"type": "hello", "groups": {}}))
    await _next(ws, "ready")
    return ws


async def _ended(ws: Any) -> tuple[dict[str, Any], int | None]:
    """The last frame before the server closed the socket, and the close code."""
    last: dict[str, Any] = {}
    with pytest.raises(websockets.exceptions.ConnectionClosed):
        while True:
            last = json.loads(await asyncio.wait_for(ws.recv(), 5))
    return last, ws.close_code


async def _still_open(ws: Any) -> None:
    await ws.send('{"type":"ping"}')
    assert (await _next(ws, "pong"))["type"] == "pong"


async def _sign_in(api: Api, user: dict[str, Any]) -> dict[str, Any]:
    """A second session of `user` (another device)."""
    r = await api.client.post("/api/v1/auth/login", json={"username": user["username"], "password": "correct-horse-9"})
    assert r.status_code == 200, r.text
    return {**user, "token": r.json()["access_token"]}


@pytest.fixture
async def other_process(database_url: str, redis_url: str, tmp_path: Path) -> AsyncIterator[str]:
    """A second server process of the same deployment (same database, same Redis): its address."""
    from qunzu.app import create_app
    from qunzu.bootstrap import build_container

    data = tmp_path / "second"
    data.mkdir()
    container = build_container(make_settings(database_url, data, redis_url=redis_url), registry=CollectorRegistry())
    await container.start()
    port = free_port()
    app = create_app(container, with_web=False)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    yield f"127.0.0.1:{port}"
    server.should_exit = True
    with contextlib.suppress(Exception):
        await asyncio.wait_for(task, 5)
    with contextlib.suppress(Exception):
        await asyncio.wait_for(container.stop(), 30)


async def test_staff_suspending_an_account_close_its_sockets_in_every_process(
    api: Api, client: httpx.AsyncClient, container: Any, live: str, other_process: str
) -> None:
    owner, member = await api.user(), await api.user()
    code = await api.create_group(owner)
    assert (await api.join(member, code)).status_code == 201
    here, there = await _open(live, member), await _open(other_process, member)
    by_ticket = await _open(
        live, ticket=(await client.post("/api/v1/ws/ticket", headers=api.h(member))).json()["ticket"]
    )
    owners = await _open(other_process, owner)
    reviewer = await staff(api, container)
    r = await client.post(
        "/api/v1/staff/measures",
        json={"kind": "user_suspend", "target": str(member["id"]), "duration_hours": 24, "reason_code": "fraud",
              "reason": "群内多次发布诈骗信息"},
        headers=api.h(reviewer),
    )  # fmt: skip
    assert r.status_code == 201, r.text
    for ws in (here, there, by_ticket):
        last, close_code = await _ended(ws)
        assert last["type"] == "session_ended" and last["reason"] == "account_suspended"
        assert close_code == CLOSE_SESSION_ENDED
    await _still_open(owners)  # nobody else is signed out
    assert (await api.post(owner, code, "还在")).status_code == 201
    assert (await _next(owners, "message"))["message"]["text"] == "还在"
    await owners.close()


async def test_a_blacklist_entry_that_signs_out_closes_the_sockets(
    api: Api, client: httpx.AsyncClient, container: Any, live: str
) -> None:
    person = await api.user()
    mild, severe = await api.user(), await _open(live, person)
    mild_ws = await _open(live, mild)
    keeper = await staff(api, container, "compliance_officer")
    body = {"subject_type": "account", "reason": "多次在群内组织诈骗活动"}
    r = await client.post(
        "/api/v1/staff/blacklist", json={**body, "subject": mild["username"], "severity": 1}, headers=api.h(keeper)
    )
    assert r.status_code == 201, r.text
    r = await client.post(
        "/api/v1/staff/blacklist", json={**body, "subject": person["username"], "severity": 2}, headers=api.h(keeper)
    )
    assert r.status_code == 201, r.text
    last, close_code = await _ended(severe)
    assert (last["type"], last["reason"], close_code) == ("session_ended", "blacklisted", CLOSE_SESSION_ENDED)
    await _still_open(mild_ws)  # severity 1 restricts, it does not sign out
    await mild_ws.close()


async def test_signing_out_closes_the_sockets_of_that_session_only(
    api: Api, client: httpx.AsyncClient, live: str, other_process: str
) -> None:
    phone = await api.user()
    laptop = await _sign_in(api, phone)
    ticket = (await client.post("/api/v1/ws/ticket", headers=api.h(phone))).json()["ticket"]
    phone_here, phone_there = await _open(live, phone), await _open(other_process, phone)
    phone_by_ticket = await _open(other_process, ticket=ticket)
    laptop_ws = await _open(live, laptop)
    unused = (await client.post("/api/v1/ws/ticket", headers=api.h(phone))).json()["ticket"]
    assert (await client.post("/api/v1/auth/logout", headers=api.h(phone))).status_code == 204
    for ws in (phone_here, phone_there, phone_by_ticket):
        last, close_code = await _ended(ws)
        assert (last["type"], last["reason"], close_code) == ("session_ended", "signed_out", CLOSE_SESSION_ENDED)
    await _still_open(laptop_ws)
    # a ticket the signed-out session asked for before signing out no longer opens a socket
    ws = await websockets.connect(f"ws://{live}/api/v1/ws?ticket={unused}")
    with pytest.raises(websockets.exceptions.ConnectionClosed):
        await asyncio.wait_for(ws.recv(), 5)
    assert ws.close_code == CLOSE_SESSION_ENDED
    await laptop_ws.close()


async def test_cancelling_the_account_closes_the_sockets_of_every_session(
    api: Api, client: httpx.AsyncClient, live: str
) -> None:
    owner, member = await api.user(), await api.user()
    code = await api.create_group(owner)
    assert (await api.join(member, code)).status_code == 201
    tablet = await _sign_in(api, member)
    phone_ws, tablet_ws = await _open(live, member), await _open(live, tablet)
    r = await client.post(
        "/api/v1/me/cancel", json={"password": "correct-horse-9", "confirm": True}, headers=api.h(member)
    )
    assert r.status_code == 204, r.text
    for ws in (phone_ws, tablet_ws):
        last, close_code = await _ended(ws)
        assert (last["type"], last["reason"], close_code) == ("session_ended", "account_cancelled", CLOSE_SESSION_ENDED)
