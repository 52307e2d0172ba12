"""WebSocket /api/v1/ws: live messages, deletions and membership changes of all the user's groups.

Protocol: connect (bearer token in the `token` query parameter or Authorization header, or the web session
cookie), then send `{"type": "hello", "groups": {"<code>": <last seq seen>}, "since": <ms>}` within 10 s.
The server replays missed messages of the listed groups (others start live), deletions since `since`, then
sends `{"type": "ready", "groups": {...}}` and goes live. `{"type": "ping"}` gets `{"type": "pong"}`.
A client that falls behind gets `{"type": "resume"}` and is closed with 4008: reconnect with its last seqs.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlparse

import orjson
import structlog
from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from qunzu.api.deps import SESSION_COOKIE
from qunzu.bootstrap import Container
from qunzu.errors import QunzuError
from qunzu.realtime import frames
from qunzu.realtime.hub import Connection, Subscription
from qunzu.services import accounts, live
from qunzu.services.context import Ctx, client_address, utc_ms
from qunzu.storage import oplog

router = APIRouter()
log = structlog.get_logger(__name__)
HELLO_TIMEOUT = 10.0
CLOSE_AUTH = 4401
CLOSE_PROTOCOL = 4400


def _token(ws: WebSocket) -> tuple[str | None, bool]:
    """(token, from_cookie)."""
    q = ws.query_params.get("token")
    if q:
        return q, False
    auth = ws.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip(), False
    return ws.cookies.get(SESSION_COOKIE), True


def _same_origin(ws: WebSocket) -> bool:
    origin = ws.headers.get("origin")
    if origin is None:
        return True
    return urlparse(origin).netloc == ws.headers.get("host")


def _parse_hello(raw: str) -> tuple[dict[str, int], int | None]:
    data: Any = orjson.loads(raw)
    if not isinstance(data, dict) or data.get("type") != "hello":
        raise ValueError('the first frame must be {"type": "hello", ...}')
    groups = data.get("groups") or {}
    if not isinstance(groups, dict) or not all(
        isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool) for k, v in groups.items()
    ):
        raise ValueError("groups must map group codes to integers")
    since = data.get("since")
    if since is not None and (not isinstance(since, int) or isinstance(since, bool) or since < 0):
        raise ValueError("since must be a non-negative integer (ms)")
    return groups, since


@router.websocket("/api/v1/ws")
async def websocket(ws: WebSocket) -> None:
    container: Container = ws.app.state.container
    hub = container.dispatcher.hub
    token, from_cookie = _token(ws)
    client = ws.client
    ip, port = client_address(
        client.host if client else None,
        client.port if client else None,
        {k.lower(): v for k, v in ws.headers.items()},
        container.settings.server.trusted_proxies,
    )
    ctx = Ctx(now=utc_ms(datetime.now(UTC)), ip=ip, port=port)
    try:
        if not token or (from_cookie and not _same_origin(ws)):
            raise QunzuError("auth")
        user = await accounts.authenticate(container.db, container.tokens, token=token, ctx=ctx)
    except QunzuError:
        await ws.close(code=CLOSE_AUTH, reason="auth_required")
        return
    await ws.accept()
    try:
        raw = await asyncio.wait_for(ws.receive_text(), timeout=HELLO_TIMEOUT)
        seen, since = _parse_hello(raw)
    except (TimeoutError, ValueError, orjson.JSONDecodeError) as exc:
        with contextlib.suppress(Exception):
            await ws.send_text(frames.error_frame("validation_failed", str(exc) or "hello expected"))
            await ws.close(code=CLOSE_PROTOCOL)
        return
    except WebSocketDisconnect:
        return

    async def send(frame: str) -> None:
        await ws.send_text(frame)

    async def close(code: int, reason: str) -> None:
        with contextlib.suppress(Exception):
            await ws.close(code=code, reason=reason)

    conn = Connection(user.id, send, close, queue_size=container.settings.realtime.queue_size)
    mine: list[live.LiveGroup] = []

    async def subscriptions() -> list[Subscription]:
        mine.extend(await live.live_groups(container.db, actor=user.id))
        return [
            Subscription.from_client(g.group_id, g.code, last_seen=seen.get(g.code), current_seq=g.last_seq)
            for g in mine
        ]

    await _record(container, user.id, "ws.connect", ctx)
    closed: asyncio.Future[None] | None = None
    try:
        await hub.attach(conn, subscriptions)
        if since is not None:
            for g in mine:
                if g.code in seen:
                    for frame in await live.missed_deletions(
                        container.db, group_id=g.group_id, code=g.code, since_ms=since
                    ):
                        conn.push(frame)
        closed = asyncio.ensure_future(conn.wait_closed())
        while True:
            recv = asyncio.ensure_future(ws.receive_text())
            done, _ = await asyncio.wait({recv, closed}, return_when=asyncio.FIRST_COMPLETED)
            if recv not in done:  # the hub closed us (slow consumer, resync, shutdown)
                recv.cancel()
                break
            raw = recv.result()
            try:
                msg = orjson.loads(raw)
            except orjson.JSONDecodeError:
                conn.push(frames.error_frame("validation_failed", "frames are JSON objects"))
                continue
            if isinstance(msg, dict) and msg.get("type") == "ping":
                conn.push(frames.PONG_FRAME)
            else:
                conn.push(frames.error_frame("validation_failed", "unknown frame type"))
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        if closed is not None:
            closed.cancel()
        await hub.detach(conn)
        await _record(container, user.id, "ws.disconnect", Ctx(now=utc_ms(datetime.now(UTC)), ip=ip, port=port))


async def _record(container: Container, user_id: int, action: str, ctx: Ctx) -> None:
    """WebSocket connect and disconnect are online/offline events of the network log (§3.2)."""
    try:
        async with container.db.uow() as uow:
            await oplog.append(uow.conn, ts=ctx.now, actor_id=user_id, action=action, ip=ctx.ip, port=ctx.port)
            await uow.commit()
    except QunzuError:
        log.warning("ws_record_failed", action=action)
