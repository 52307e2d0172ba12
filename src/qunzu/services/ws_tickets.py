"""Single-use WebSocket tickets, so that no long-lived credential ever travels in a URL.

A browser cannot set headers on a WebSocket, and a URL ends up in access logs, proxies and browser history, where a
30-day bearer token copied from it works for 30 days. A client that cannot send the session cookie or an
`Authorization` header asks `POST /api/v1/ws/ticket` (authenticated) for a ticket and connects with `?ticket=`.
A ticket is worth one connection, within seconds (`realtime.ws_ticket_ttl_seconds`, 30 by default): redeeming it
deletes it, whether the connection then succeeds or not.

Tickets are stored as their SHA-256 only, in Redis when `redis_url` is set (so any server process redeems a ticket
any other issued; GETDEL makes the single use atomic across processes), else in this process's memory. The expiry
is checked against the injected `now`; Redis' own key expiry only clears unredeemed tickets away. A user may be
issued at most `MAX_TICKETS_PER_WINDOW` tickets per ticket lifetime (`rate_limited` beyond), which bounds what
an account can make the store hold.

A ticket remembers the session (the token hash) that asked for it: redeeming it is refused once that session has
ended, and the connection it opens closes when that session signs out (hub: end_sessions), as one opened with the
token itself would.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from sqlalchemy import select

from qunzu.config import Settings
from qunzu.errors import AuthRequired, RateLimited, Unavailable
from qunzu.services.accounts import hash_token, user_view
from qunzu.services.views import UserView
from qunzu.storage.tables import auth_tokens, users
from qunzu.storage.uow import Database

TICKET_PREFIX = "qzt_"
MAX_TICKETS_PER_WINDOW = 60


@dataclass(frozen=True, slots=True)
class WsTicket:
    ticket: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class TicketHolder:
    """Who redeemed a ticket: the user, and the session (token hash) that asked for it ("" if not known)."""

    user: UserView
    session: str


class TicketStore(Protocol):
    async def put(
        self, key: str, user_id: int, *, expires_at: datetime, now: datetime, cap: int, session: str = ""
    ) -> bool:
        """Keep `key` for `user_id` (and its `session`, a token hash) until `expires_at`; False (nothing kept) if
        the user has `cap` in this window."""

    async def take(self, key: str) -> tuple[int, datetime, str] | None:
        """(user id, expiry, session) of `key`, which is deleted; None if unknown or already taken."""

    async def close(self) -> None: ...


class MemoryTicketStore:
    """This process's tickets (without Redis a WebSocket reaches the process that issued its ticket only when
    there is one process, which is what running without Redis means)."""

    def __init__(self) -> None:
        self._tickets: dict[str, tuple[int, datetime, str]] = {}
        self._windows: dict[int, tuple[datetime, int]] = {}  # user → (end of the window, tickets issued in it)

    async def put(
        self, key: str, user_id: int, *, expires_at: datetime, now: datetime, cap: int, session: str = ""
    ) -> bool:
        self._forget_expired(now)
        end, issued = self._windows.get(user_id, (expires_at, 0))
        if end <= now:
            end, issued = expires_at, 0
        if issued >= cap:
            return False
        self._windows[user_id] = (end, issued + 1)
        self._tickets[key] = (user_id, expires_at, session)
        return True

    async def take(self, key: str) -> tuple[int, datetime, str] | None:
        return self._tickets.pop(key, None)

    async def close(self) -> None:
        self._tickets.clear()

    def _forget_expired(self, now: datetime) -> None:
        # Every ticket lives as long, so insertion order is expiry order: drop from the front.
        while self._tickets:
            key = next(iter(self._tickets))
            if self._tickets[key][1] > now:
                break
            del self._tickets[key]
        if len(self._windows) > 10_000:
            self._windows = {u: w for u, w in self._windows.items() if w[0] > now}


class RedisTicketStore:
    """Tickets shared by every server process of a deployment, under `namespace` (one per deployment)."""

    def __init__(self, url: str, namespace: str) -> None:
        from redis.asyncio import Redis

        self._redis = Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        self._ns = namespace

    async def put(
        self, key: str, user_id: int, *, expires_at: datetime, now: datetime, cap: int, session: str = ""
    ) -> bool:
        from redis.exceptions import RedisError

        ttl = max(1, int((expires_at - now).total_seconds()) + 5)  # the expiry itself is checked on redeeming
        window = f"{self._ns}:user:{user_id}"
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.incr(window)
                pipe.expire(window, ttl, nx=True)
                issued, _ = await pipe.execute()
            if int(issued) > cap:
                return False
            value = f"{user_id}:{expires_at.timestamp():.3f}:{session}"  # a token hash is hex: no colon
            await self._redis.set(f"{self._ns}:ticket:{key}", value, ex=ttl)
        except (RedisError, OSError) as exc:
            raise Unavailable("The WebSocket ticket store is not reachable") from exc
        return True

    async def take(self, key: str) -> tuple[int, datetime, str] | None:
        from redis.exceptions import RedisError

        try:
            raw = await self._redis.getdel(f"{self._ns}:ticket:{key}")
        except (RedisError, OSError) as exc:
            raise Unavailable("The WebSocket ticket store is not reachable") from exc
        if raw is None:
            return None
        user, expires, *session = (raw.decode() if isinstance(raw, bytes) else raw).split(":")
        # a ticket stored by a process of the previous version has no session
        return int(user), datetime.fromtimestamp(float(expires), UTC), session[0] if session else ""

    async def close(self) -> None:
        await self._redis.aclose()


def make_ticket_store(settings: Settings) -> TicketStore:
    """Redis when configured (shared by the deployment's processes), else this process's memory."""
    if not settings.redis_url:
        return MemoryTicketStore()
    deployment = hashlib.sha256(settings.effective_database_url.encode()).hexdigest()[:16]
    return RedisTicketStore(settings.redis_url, namespace=f"qunzu:{deployment}:ws-ticket")


async def issue_ticket(
    store: TicketStore, *, actor: int, now: datetime, ttl_seconds: int, session: str = ""
) -> WsTicket:
    """A single-use ticket for one WebSocket connection of `actor`, valid for `ttl_seconds`; `session` is the hash
    of the token that asks for it (the connection belongs to that session)."""
    ticket = TICKET_PREFIX + secrets.token_urlsafe(32)
    expires_at = now + timedelta(seconds=ttl_seconds)
    stored = await store.put(
        hash_token(ticket), actor, expires_at=expires_at, now=now, cap=MAX_TICKETS_PER_WINDOW, session=session
    )
    if not stored:
        raise RateLimited(
            "Too many WebSocket tickets; use the ones issued or wait a little",
            details={"retry_after": ttl_seconds},
        )
    return WsTicket(ticket=ticket, expires_at=expires_at)


async def redeem_ticket(db: Database, store: TicketStore, *, ticket: str, now: datetime) -> TicketHolder:
    """The user a ticket was issued to, and its session. The ticket is used up; unknown, used or expired ones are
    refused, and so is one whose session ended meanwhile (signed out, suspended)."""
    taken = await store.take(hash_token(ticket)) if ticket.startswith(TICKET_PREFIX) else None
    if taken is None or taken[1] <= now:
        raise AuthRequired("This WebSocket ticket is unknown, used or expired; ask for a new one")
    user_id, _, session = taken
    query = select(users).where(users.c.id == user_id, users.c.status == "active")
    if session:
        query = query.where(
            select(auth_tokens.c.token_hash)
            .where(
                auth_tokens.c.token_hash == session,
                auth_tokens.c.user_id == user_id,
                auth_tokens.c.revoked_at.is_(None),
                auth_tokens.c.expires_at > now,
            )
            .exists()
        )
    async with db.uow(write=False) as uow:
        row = (await uow.conn.execute(query)).one_or_none()
    if row is None:
        raise AuthRequired("Your session has expired; please sign in again")
    return TicketHolder(user_view(row), session)
