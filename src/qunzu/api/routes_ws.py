"""WebSocket /api/v1/ws: live messages, deletions and membership changes of all the user's groups.

Protocol:
1. Connect, authenticated by one of: the web session cookie (same origin only); an `Authorization: Bearer <token>`
   header; or `?ticket=<ticket>`, a single-use ticket from `POST /api/v1/ws/ticket` valid for a few seconds
   (`realtime.ws_ticket_ttl_seconds`), for clients that can set neither. A bearer token in the URL (`?token=`) is
   refused: URLs end up in logs, and a token copied from one would work for 30 days.
2. Send `{"type": "hello", "groups": {"<code>": <last seq seen>}, "since": <ms>}` within 10 s. The server replays
   missed messages of the listed groups (others start live), deletions since `since`, then sends
   `{"type": "ready", "groups": {...}}` and goes live. `{"type": "ping"}` gets `{"type": "pong"}`.

The socket is accepted before it is authenticated, so that every refusal reaches the client as a close code:
- 4401 not authenticated (or `?token=` used): sign in again, or use a ticket, the header or the cookie; also, after
  a last `{"type": "session_ended", "reason"}` frame, when the session the socket was opened with ended while it was
  open (signed out, account suspended, blacklisted or cancelled): the client must not reconnect;
- 4400 protocol error (no hello, a malformed one);
- 4429 the account already has `realtime.max_connections_per_user` sockets open in this server process;
- 1013 try again later: the database (or the ticket store) was out of reach while authenticating or replaying;
- 4008 after `{"type": "resume"}`: the client fell behind; reconnect with its last seqs;
- 1012 service restart (shutdown, lost broker events): reconnect and replay.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import replace
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlparse

import orjson
import structlog
from fastapi import APIRouter, Depends, Request, WebSocket, WebSocketDisconnect
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel

from qunzu.api.deps import AuthedDep, bearer, request_token
from qunzu.api.responses import AUTHED, errors
from qunzu.bootstrap import Container
from qunzu.context import SESSION_COOKIE, Ctx, request_context
from qunzu.errors import AuthRequired, ErrorCode, QunzuError
from qunzu.realtime import frames
from qunzu.realtime.hub import CLOSE_TOO_MANY, Connection, Subscription
from qunzu.services import accounts, live, sessions, ws_tickets
from qunzu.services.views import UserView
from qunzu.storage.outage import database_unreachable

router = APIRouter()
log = structlog.get_logger(__name__)
HELLO_TIMEOUT = 10.0
CLOSE_AUTH = 4401
CLOSE_PROTOCOL = 4400
CLOSE_TRY_AGAIN_LATER = 1013
CLOSE_INTERNAL = 1011
REASON_TOKEN_IN_URL = (
    "token_in_url_refused: use ?ticket= (POST /api/v1/ws/ticket), an Authorization header or the cookie"
)
REASON_UNAVAILABLE = "service_unavailable: try again later"


class WsTicketOut(BaseModel):
    ticket: str
    expires_at: datetime


@router.post(
    "/api/v1/ws/ticket",
    status_code=201,
    response_model=WsTicketOut,
    tags=["realtime"],
    responses=errors(*AUTHED, 403, 429),
)
async def ws_ticket(
    a: AuthedDep, request: Request, creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> WsTicketOut:
    """A single-use ticket for one WebSocket connection (`/api/v1/ws?ticket=...`), valid for a few seconds; the
    connection belongs to the session that asked for it (it closes when that session signs out)."""
    t = await ws_tickets.issue_ticket(
        a.c.ws_tickets,
        actor=a.user.id,
        now=a.ctx.now,
        ttl_seconds=a.c.settings.realtime.ws_ticket_ttl_seconds,
        session=accounts.hash_token(request_token(request, creds) or ""),
    )
    return WsTicketOut(ticket=t.ticket, expires_at=t.expires_at)


class _Refused(Exception):
    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code, self.reason = code, reason


def _refusal(exc: BaseException) -> _Refused:
    """The close code for a failure while authenticating or replaying."""
    if isinstance(exc, _Refused):
        return exc
    if database_unreachable(exc) or (isinstance(exc, QunzuError) and exc.code == ErrorCode.UNAVAILABLE):
        return _Refused(CLOSE_TRY_AGAIN_LATER, REASON_UNAVAILABLE)
    if isinstance(exc, QunzuError):
        return _Refused(CLOSE_AUTH, exc.code.value)
    log.error("ws_failed", error=type(exc).__name__, exc_info=exc)
    return _Refused(CLOSE_INTERNAL, "internal_error")


def _same_origin(ws: WebSocket) -> bool:
    origin = ws.headers.get("origin")
    if origin is None:
        return True
    return urlparse(origin).netloc == ws.headers.get("host")


async def _authenticate(ws: WebSocket, container: Container, ctx: Ctx) -> tuple[UserView, str | None]:
    """The user, and the hash of the session's token (the socket closes when that session ends)."""
    if "token" in ws.query_params:
        raise _Refused(CLOSE_AUTH, REASON_TOKEN_IN_URL)
    ticket = ws.query_params.get("ticket")
    if ticket is not None:
        holder = await ws_tickets.redeem_ticket(container.db, container.ws_tickets, ticket=ticket, now=ctx.now)
        return holder.user, holder.session or None
    auth = ws.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        token = auth[7:].strip()
    else:
        token = ws.cookies.get(SESSION_COOKIE) or ""
        if token and not _same_origin(ws):  # a cookie rides along on any page's request: ours only
            raise AuthRequired()
    if not token:
        raise AuthRequired()
    user = await accounts.authenticate(container.db, container.tokens, token=token, ctx=ctx)
    return user, accounts.hash_token(token)


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


async def _close(ws: WebSocket, code: int, reason: str) -> None:
    with contextlib.suppress(Exception):  # the client may be gone already
        await ws.close(code=code, reason=reason)


@router.websocket("/api/v1/ws")
async def websocket(ws: WebSocket) -> None:
    container: Container = ws.app.state.container
    hub = container.dispatcher.hub
    ctx = request_context(
        ws.client, ws.headers, container.settings, container.clock, server=ws.scope.get("server"), cookies=ws.cookies
    )
    await ws.accept()  # first, so that every refusal below reaches the client as a close code
    opened_at = asyncio.get_running_loop().time()  # a session ending from now on closes this socket, even pre-hello
    try:
        user, session = await _authenticate(ws, container, ctx)
    except Exception as exc:
        refused = _refusal(exc)
        await _close(ws, refused.code, refused.reason)
        return
    if not hub.take_seat(user.id, limit=container.settings.realtime.max_connections_per_user):
        await _close(ws, CLOSE_TOO_MANY, "too_many_connections: close another connection of this account first")
        return
    try:
        await _serve(ws, container, user, ctx, session=session, opened_at=opened_at)
    finally:
        hub.free_seat(user.id)


async def _serve(
    ws: WebSocket, container: Container, user: UserView, ctx: Ctx, *, session: str | None, opened_at: float
) -> None:
    hub = container.dispatcher.hub
    try:
        raw = await asyncio.wait_for(ws.receive_text(), timeout=HELLO_TIMEOUT)
        seen, since = _parse_hello(raw)
    except (TimeoutError, ValueError, KeyError, orjson.JSONDecodeError) as exc:
        with contextlib.suppress(Exception):
            await ws.send_text(frames.error_frame("validation_failed", str(exc) or "hello expected"))
            await ws.close(code=CLOSE_PROTOCOL)
        return
    except WebSocketDisconnect:
        return

    async def send(frame: str) -> None:
        await ws.send_text(frame)

    conn = Connection(
        user.id,
        send,
        lambda code, reason: _close(ws, code, reason),
        container.settings.realtime.queue_size,
        token_hash=session,
        opened_at=opened_at,
    )
    mine: list[live.LiveGroup] = []

    async def subscriptions() -> list[Subscription]:
        mine.extend(await live.live_groups(container.db, actor=user.id))
        return [
            Subscription.from_client(g.group_id, g.code, last_seen=seen.get(g.code), current_seq=g.last_seq)
            for g in mine
        ]

    await sessions.record_connection(container.db, actor=user.id, event="ws.connect", ctx=ctx)
    closed: asyncio.Future[None] | None = None
    try:
        try:
            await hub.attach(conn, subscriptions)
            if since is not None:
                for g in mine:
                    if g.code in seen:
                        for frame in await live.missed_deletions(
                            container.db, group_id=g.group_id, code=g.code, since_ms=since
                        ):
                            conn.push(frame)
        except (WebSocketDisconnect, RuntimeError):
            raise
        except Exception as exc:  # the replay could not be read: say so, instead of dropping the socket (1006)
            refused = _refusal(exc)
            await hub.detach(conn)
            await _close(ws, refused.code, refused.reason)
            return
        closed = asyncio.ensure_future(conn.wait_closed())
        while True:
            recv = asyncio.ensure_future(ws.receive_text())
            done, _ = await asyncio.wait({recv, closed}, return_when=asyncio.FIRST_COMPLETED)
            if recv not in done:  # the hub closed us (slow consumer, resync, shutdown, session ended)
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
        await sessions.record_connection(
            container.db, actor=user.id, event="ws.disconnect", ctx=replace(ctx, now=container.clock.now())
        )
