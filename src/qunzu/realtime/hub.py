"""The per-process hub: fans events out to WebSocket connections, in order, without gaps or duplicates.

Ordering lives in each connection's per-group cursor (`last` = last seq handed to the socket):
a message with seq <= last is a duplicate and dropped; last+1 is sent and releases held successors; anything
further is held and, if still missing after a short grace, fetched from the database by `fetch_range`.
Rows returned by a fetch are authoritative: seqs missing from the fetched range are settled (skipped).
Replay on connect uses the same cursor, so live events that race the replay are ordered by the same rule.

The hub delivers with `put_nowait` only: a connection whose bounded queue is full is told to resume and
closed (4008) by a task of its own; it never delays the hub or other connections.

An account holds at most `limit` seats in a process (`take_seat`, from authentication until the endpoint ends,
hello and replay included): the endpoint closes the next socket with 4429. The cap is per process (with several
server processes behind a balancer an account may hold up to `limit` in each): a count shared through Redis would
outlive a process that died holding seats.

When sessions end (an "end_sessions" event: every session of an account when it is suspended, blacklisted or
cancelled; one session, named by its token hash, when its owner signs out), each connection opened with them gets the
event's `session_ended` frame last and is closed with 4401, in every process (the event travels through the broker
like any other). A socket authenticated just before the end but not yet attached (waiting for its hello) is not in
`_users` yet: the hub remembers recent ends for `ended_memory` seconds, and `attach` closes a connection opened
(`Connection.opened_at`) before an end that concerns it.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Sequence
from typing import Any

from prometheus_client import CollectorRegistry

from qunzu.realtime.frames import Event, ready_frame, resume_frame
from qunzu.realtime.subscription import HubMetrics as HubMetrics
from qunzu.realtime.subscription import Subscription as Subscription

log = logging.getLogger(__name__)

FetchRange = Callable[[int, int, int | None], Awaitable[Sequence[tuple[int, str]]]]
"""`fetch_range(group_id, after_seq, upto_seq)` → [(seq, frame)] for after_seq < seq <= upto_seq (None: no
upper bound), from the database. Return one frame per existing seq (a tombstone frame for a deleted message);
seqs absent from the result are treated as not existing. Page size is up to the implementation."""
SendText = Callable[[str], Awaitable[None]]
CloseSocket = Callable[[int, str], Awaitable[None]]
_Rows = asyncio.Future[Sequence[tuple[int, str]]]
SubscriptionSource = Iterable[Subscription] | Callable[[], Awaitable[Iterable[Subscription]]]

CLOSE_SLOW_CONSUMER = 4008
CLOSE_RESYNC = 1012  # "service restart": reconnect and replay
CLOSE_TOO_MANY = 4429  # the account has its limit of connections open in this process
CLOSE_SESSION_ENDED = 4401  # the account's sessions ended: sign in again, do not reconnect (= not authenticated)


class _Cursor:
    __slots__ = ("after", "filling", "held", "last", "timer", "top")

    def __init__(self, last: int | None, filling: bool) -> None:
        self.last = last  # last seq given to the socket; None = accept the next message as the start
        self.held: dict[int, str] = {}  # out-of-order messages waiting for their predecessors
        self.after: list[tuple[int, str]] = []  # group events waiting for message `seq` (barrier)
        self.timer: asyncio.TimerHandle | None = None
        self.filling = filling  # a replay or gap fill is running: no gap timer
        self.top = -1  # highest live message seq seen


class Connection:
    """One WebSocket: a bounded queue of frames, a writer task, and a cursor per subscribed group."""

    def __init__(
        self,
        user_id: int,
        send: SendText,
        close: CloseSocket,
        queue_size: int = 256,
        *,
        token_hash: str | None = None,
        opened_at: float | None = None,
    ) -> None:
        if queue_size < 1:
            raise ValueError("queue_size must be positive")
        self.user_id = user_id
        self.token_hash = token_hash  # the session the socket was opened with (None: unknown, closed by ends of all)
        # loop.time() when the socket was authenticated (default: now); an end of the account's sessions at or
        # after it, even before `attach`, closes the connection
        self.opened_at = asyncio.get_running_loop().time() if opened_at is None else opened_at
        self._send = send
        self._close = close
        self._queue_size = queue_size
        self._queue: asyncio.Queue[tuple[str, bool]] = asyncio.Queue(queue_size)
        self._cursors: dict[int, _Cursor] = {}
        self._left: set[int] = set()  # groups left while attaching (never resubscribed from a stale list)
        self._outbox: deque[tuple[str, bool]] | None = None  # set while attaching: frames before going live
        self._hub: Hub | None = None
        self._writer: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._closing = False
        self._closed = asyncio.Event()

    # -- public ------------------------------------------------------------------------------------------
    @property
    def closed(self) -> bool:
        """True once the connection is closing or closed (the hub delivers nothing more)."""
        return self._closing

    async def wait_closed(self) -> None:
        """Return once the hub closed this connection (slow consumer, resync, shutdown) or it was detached."""
        await self._closed.wait()

    @property
    def groups(self) -> frozenset[int]:
        return frozenset(self._cursors)

    def last_seq(self, group_id: int) -> int | None:
        cur = self._cursors.get(group_id)
        return None if cur is None else cur.last

    def push(self, frame: str) -> bool:
        """Queue a frame of the endpoint's own (pong, error); False if the connection is closing."""
        self._emit(frame, False)
        return not self._closing

    # -- output ------------------------------------------------------------------------------------------
    def _emit(self, frame: str, is_message: bool) -> None:
        if self._closing:
            return
        if self._outbox is not None:
            assert self._hub is not None
            if len(self._outbox) >= self._hub.attach_buffer:
                self._fail("slow_consumer", CLOSE_SLOW_CONSUMER)
            else:
                self._outbox.append((frame, is_message))
            return
        try:
            self._queue.put_nowait((frame, is_message))
        except asyncio.QueueFull:
            self._fail("slow_consumer", CLOSE_SLOW_CONSUMER)

    async def _write(self, metrics: HubMetrics) -> None:
        get, send = self._queue.get, self._send
        try:
            while True:
                frame, is_message = await get()
                await send(frame)
                metrics.frames_sent.inc()
                if is_message:
                    metrics.messages_delivered.inc()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.debug("websocket send failed; dropping connection of user %s", self.user_id, exc_info=True)
            self._stop()

    async def _drain_outbox(self) -> None:
        box = self._outbox
        while box and not self._closing:
            await self._queue.put(box.popleft())

    async def _go_live(self) -> None:
        while not self._closing:
            await self._drain_outbox()
            if not self._outbox:  # checked with no await since the drain: nothing can slip in between
                self._outbox = None
                self._left.clear()
                return

    # -- ordering ----------------------------------------------------------------------------------------
    def _offer(self, ev: Event) -> None:
        if self._closing:
            return
        cur = self._cursors.get(ev.group_id)
        if cur is None:
            return
        seq = ev.seq
        if seq is None:
            self._emit(ev.frame, False)
        elif ev.kind == "message":
            if seq > cur.top:
                cur.top = seq
            self._accept(ev.group_id, cur, seq, ev.frame)
        elif cur.last is not None and seq > cur.last:
            cur.after.append((seq, ev.frame))
            self._want_fill(ev.group_id, cur)
        else:
            self._emit(ev.frame, False)

    def _accept(self, group_id: int, cur: _Cursor, seq: int, frame: str) -> None:
        last = cur.last
        if last is None:
            cur.last = last = seq - 1
        if seq <= last or seq in cur.held:
            return
        if seq == last + 1:
            self._advance(cur, seq, frame)
            if cur.held:
                self._flush(cur)
            if cur.timer is not None and not cur.held and not cur.after:
                cur.timer.cancel()
                cur.timer = None
            return
        assert self._hub is not None
        if len(cur.held) >= self._hub.max_held:
            self._fail("resync", CLOSE_RESYNC)
            return
        cur.held[seq] = frame
        self._want_fill(group_id, cur)

    def _advance(self, cur: _Cursor, seq: int, frame: str) -> None:
        self._emit(frame, True)
        cur.last = seq
        if cur.after:
            self._release_after(cur, seq)

    def _release_after(self, cur: _Cursor, last: int) -> None:
        waiting = []
        for barrier, frame in cur.after:
            if barrier <= last:
                self._emit(frame, False)
            else:
                waiting.append((barrier, frame))
        cur.after = waiting

    def _flush(self, cur: _Cursor) -> None:
        held = cur.held
        while held and cur.last is not None:
            frame = held.pop(cur.last + 1, None)
            if frame is None:
                return
            self._advance(cur, cur.last + 1, frame)

    def _settle(self, cur: _Cursor, upto: int) -> None:
        """Everything up to `upto` has been fetched: what is still missing does not exist."""
        if cur.last is None or upto <= cur.last:
            return
        for seq in sorted(s for s in cur.held if s <= upto):
            self._advance(cur, seq, cur.held.pop(seq))
        if cur.last < upto:
            cur.last = upto
            if cur.after:
                self._release_after(cur, upto)
        self._flush(cur)

    # -- gap repair --------------------------------------------------------------------------------------
    def _want_fill(self, group_id: int, cur: _Cursor) -> None:
        if cur.timer is None and not cur.filling and cur.last is not None and self._hub is not None:
            loop = asyncio.get_running_loop()
            cur.timer = loop.call_later(self._hub.gap_grace, self._on_gap_timer, group_id, cur)

    def _on_gap_timer(self, group_id: int, cur: _Cursor) -> None:
        cur.timer = None
        if self._closing or cur.filling or self._cursors.get(group_id) is not cur:
            return
        if cur.held or cur.after:
            cur.filling = True
            self._spawn(self._fill(group_id, cur))

    async def _fill(self, group_id: int, cur: _Cursor) -> None:
        assert self._hub is not None
        try:
            while not self._closing and self._cursors.get(group_id) is cur and (cur.held or cur.after):
                after = cur.last
                assert after is not None
                upto = min(cur.held) - 1 if cur.held else max(b for b, _ in cur.after)
                rows = await self._hub._fetch(group_id, after, upto)
                if self._closing or self._cursors.get(group_id) is not cur:
                    return
                for seq, frame in sorted(rows):
                    if after < seq <= upto:
                        self._accept(group_id, cur, seq, frame)
                self._settle(cur, upto)
        except Exception:
            log.warning("gap fill failed for group %s; asking the client to resume", group_id, exc_info=True)
            self._fail("resync", CLOSE_RESYNC)
        finally:
            cur.filling = False

    async def _replay(self, group_id: int, cur: _Cursor) -> None:
        """Fetch what the client missed; live events racing it are held by the cursor meanwhile."""
        assert self._hub is not None
        try:
            while not self._closing and self._cursors.get(group_id) is cur and cur.last is not None:
                after = cur.last
                rows = sorted(r for r in await self._hub._fetch(group_id, after, None) if r[0] > after)
                if not rows:
                    break
                for seq, frame in rows:
                    if self._closing or self._cursors.get(group_id) is not cur:
                        return
                    self._accept(group_id, cur, seq, frame)
                    if self._outbox is not None and len(self._outbox) >= self._queue_size:
                        await self._drain_outbox()
                if self._closing or self._cursors.get(group_id) is not cur:
                    return
                self._settle(cur, rows[-1][0])
                if cur.top >= cur.last:  # the live stream has caught up: it (or a gap fill) does the rest
                    break
        finally:
            cur.filling = False
        if cur.held or cur.after:
            self._want_fill(group_id, cur)

    # -- membership --------------------------------------------------------------------------------------
    def _subscribe(self, group_id: int, start: int | None, *, replaying: bool = False) -> _Cursor | None:
        self._left.discard(group_id)
        if self._closing or group_id in self._cursors:
            return None
        cur = self._cursors[group_id] = _Cursor(start, replaying)
        return cur

    def _unsubscribe(self, group_id: int) -> None:
        cur = self._cursors.pop(group_id, None)
        if self._outbox is not None:
            self._left.add(group_id)
        if cur is not None and cur.timer is not None:
            cur.timer.cancel()
            cur.timer = None

    # -- lifecycle ---------------------------------------------------------------------------------------
    def _bind(self, hub: Hub) -> None:
        if self._hub is not None:
            raise RuntimeError("connection already attached")
        self._hub = hub
        self._outbox = deque()
        self._writer = asyncio.create_task(self._write(hub.metrics), name=f"ws-writer-{self.user_id}")

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _fail(self, reason: str, code: int, last: str | None = None) -> None:
        """Stop delivering, then (in a task of its own) send `last` (default: `resume`) as the last frame and close.
        Frames still queued are dropped: the client either replays them on reconnecting or must not see them."""
        if self._closing:
            return
        self._closing = True
        self._cancel_timers()
        if self._hub is not None and reason == "slow_consumer":
            self._hub.metrics.slow_consumer_disconnects.inc()
        self._spawn(self._shutdown(reason, code, resume_frame(reason) if last is None else last))

    async def _shutdown(self, reason: str, code: int, last: str) -> None:
        timeout = self._hub.close_timeout if self._hub is not None else 1.0
        try:
            if self._writer is not None:
                self._writer.cancel()
                await asyncio.wait([self._writer])
            self._clear_queue()
            for step in (self._send(last), self._close(code, reason)):
                try:
                    await asyncio.wait_for(step, timeout)
                except Exception:  # the socket may already be gone: close anyway
                    log.debug("closing websocket of user %s", self.user_id, exc_info=True)
        finally:
            self._stop()

    def _end_session(self, frame: str) -> None:
        """The account's sessions ended: `frame` (session_ended) last, then close 4401 (the client signs in again)."""
        self._fail("session_ended", CLOSE_SESSION_ENDED, frame)

    def _cancel_timers(self) -> None:
        for cur in self._cursors.values():
            if cur.timer is not None:
                cur.timer.cancel()
                cur.timer = None

    def _clear_queue(self) -> None:
        while not self._queue.empty():  # also wakes a replay blocked on put(), which then sees _closing
            self._queue.get_nowait()

    def _stop(self) -> None:
        """Deliver nothing more, stop the writer and background tasks, leave the hub. Idempotent."""
        self._closing = True
        self._cancel_timers()
        current = asyncio.current_task()
        if self._writer is not None and self._writer is not current:
            self._writer.cancel()
        for task in list(self._tasks):
            if task is not current:
                task.cancel()
        self._clear_queue()
        self._closed.set()
        if self._hub is not None:
            self._hub._forget(self)


class Hub:
    """All local connections of this process, indexed by group and by user. One per server process."""

    def __init__(
        self,
        fetch_range: FetchRange,
        *,
        metrics: HubMetrics | None = None,
        gap_grace: float = 0.2,
        max_held: int = 1024,
        attach_buffer: int = 10_000,
        close_timeout: float = 1.0,
        ended_memory: float = 60.0,
    ) -> None:
        self._fetch_range = fetch_range
        self.metrics = metrics if metrics is not None else HubMetrics(CollectorRegistry())
        self.gap_grace = gap_grace
        self.max_held = max_held
        self.attach_buffer = attach_buffer
        self.close_timeout = close_timeout
        self.ended_memory = ended_memory
        # (user, token hash or None for all their sessions) → (loop time, frame) of the last end
        self._ended: dict[tuple[int, str | None], tuple[float, str]] = {}
        self._conns: set[Connection] = set()
        self._groups: dict[int, set[Connection]] = {}
        self._users: dict[int, set[Connection]] = {}
        self._inflight: dict[tuple[int, int, int | None], _Rows] = {}
        self._seats: dict[int, int] = {}

    @property
    def connection_count(self) -> int:
        return len(self._conns)

    def take_seat(self, user_id: int, *, limit: int) -> bool:
        """Count one more WebSocket of `user_id`, until `free_seat`; False (nothing counted) if `limit` are taken."""
        held = self._seats.get(user_id, 0)
        if held >= limit:
            self.metrics.too_many_connections.inc()
            return False
        self._seats[user_id] = held + 1
        return True

    def free_seat(self, user_id: int) -> None:
        """Give back a seat of `take_seat` (call once per seat taken, from the endpoint's `finally`)."""
        held = self._seats.get(user_id, 0) - 1
        if held > 0:
            self._seats[user_id] = held
        else:
            self._seats.pop(user_id, None)

    def seats(self, user_id: int) -> int:
        """The seats `user_id` holds in this process."""
        return self._seats.get(user_id, 0)

    def group_connection_count(self, group_id: int) -> int:
        return len(self._groups.get(group_id, ()))

    async def attach(self, conn: Connection, subscriptions: SubscriptionSource) -> None:
        """Subscribe `conn`, replay what its client missed, send `ready`, go live: no gap, no duplicate.

        `subscriptions` is a list, or an async loader called after the connection is registered for its user
        (so a join or leave committed while the list is read is not lost: a group left meanwhile is skipped).
        If the loader or `fetch_range` raises, the connection is detached and the error propagates.
        """
        conn._bind(self)
        self._conns.add(conn)
        self._users.setdefault(conn.user_id, set()).add(conn)
        self.metrics.connections.inc()
        for key in ((conn.user_id, None), (conn.user_id, conn.token_hash)):
            ended = self._ended.get(key)
            if ended is not None and ended[0] >= conn.opened_at:  # authenticated, then signed out before the hello
                conn._end_session(ended[1])
                return
        try:
            subs = list(await subscriptions() if callable(subscriptions) else subscriptions)
            codes: dict[int, str] = {}
            replays: list[tuple[int, _Cursor]] = []
            for sub in subs:
                if sub.group_id in conn._left:
                    continue
                cur = conn._subscribe(sub.group_id, sub.after_seq, replaying=sub.replay)
                if cur is None:  # joined while the list was read: the membership event's cursor stands
                    continue
                self._groups.setdefault(sub.group_id, set()).add(conn)
                codes[sub.group_id] = sub.code
                if sub.replay:
                    replays.append((sub.group_id, cur))
            for group_id, cur in replays:
                await conn._replay(group_id, cur)
                await conn._drain_outbox()
            ready = {code: last for g, code in codes.items() if (last := conn.last_seq(g)) is not None}
            conn._emit(ready_frame(ready), False)
            await conn._go_live()
        except BaseException:
            await self.detach(conn)
            raise

    async def detach(self, conn: Connection) -> None:
        """Forget `conn` (call from the endpoint's `finally`). Does not close the socket. Idempotent."""
        writer = conn._writer
        conn._stop()
        pending = [t for t in (writer, *conn._tasks) if t is not None and t is not asyncio.current_task()]
        if pending:
            await asyncio.wait(pending, timeout=self.close_timeout)

    def publish_local(self, event: Event) -> None:
        """Deliver a broker event to this process's connections. Never blocks."""
        if event.kind == "membership":
            self._membership(event)
            return
        if event.kind == "user":
            for conn in self._users.get(event.user_id or 0, ()):
                conn._emit(event.frame, False)
            return
        if event.kind == "end_sessions":
            self._end_sessions(event.user_id or 0, event.token, event.frame)
            return
        conns = self._groups.get(event.group_id)
        if conns:
            for conn in conns:
                conn._offer(event)

    def resync(self, reason: str = "resync") -> None:
        """Events may have been lost (broker reconnect): tell every connection to resume, then close it."""
        for conn in list(self._conns):
            conn._fail(reason, CLOSE_RESYNC)

    async def shutdown(self) -> None:
        """Tell every connection to resume elsewhere and close it (server stopping)."""
        conns = list(self._conns)
        for conn in conns:
            conn._fail("shutdown", CLOSE_RESYNC)
        if conns:
            waiters = [asyncio.create_task(c.wait_closed()) for c in conns]
            await asyncio.wait(waiters, timeout=self.close_timeout * 3)
            for waiter in waiters:
                waiter.cancel()

    def _end_sessions(self, user_id: int, token: str | None, frame: str) -> None:
        """Close the connections of `user_id` opened with session `token` (None: every session)."""
        now = asyncio.get_running_loop().time()
        horizon = now - self.ended_memory
        self._ended = {k: e for k, e in self._ended.items() if e[0] >= horizon}
        self._ended[(user_id, token)] = (now, frame)
        for conn in list(self._users.get(user_id, ())):
            if token is None or conn.token_hash == token:
                conn._end_session(frame)

    def _membership(self, ev: Event) -> None:
        group_id, users = ev.group_id, self._users.get(ev.user_id or 0, set())
        if ev.op == "subscribe":
            for conn in users:
                if conn._subscribe(group_id, ev.seq) is not None:
                    self._groups.setdefault(group_id, set()).add(conn)
        if ev.frame:
            plain = Event("group_event", group_id, ev.frame)
            for conn in self._groups.get(group_id, ()):
                conn._offer(plain)
        if ev.op == "unsubscribe":
            for conn in users:
                conn._unsubscribe(group_id)
                self._discard(group_id, conn)

    def _discard(self, group_id: int, conn: Connection) -> None:
        conns = self._groups.get(group_id)
        if conns is not None:
            conns.discard(conn)
            if not conns:
                del self._groups[group_id]

    def _forget(self, conn: Connection) -> None:
        if conn not in self._conns:
            return
        self._conns.discard(conn)
        self.metrics.connections.dec()
        users = self._users.get(conn.user_id)
        if users is not None:
            users.discard(conn)
            if not users:
                del self._users[conn.user_id]
        for group_id in list(conn._cursors):
            self._discard(group_id, conn)

    async def _fetch(self, group_id: int, after: int, upto: int | None) -> Sequence[tuple[int, str]]:
        """`fetch_range`, shared by every connection asking for the same range at the same time."""
        key = (group_id, after, upto)
        fut = self._inflight.get(key)
        if fut is None:
            self.metrics.range_fetches.inc()
            fut = asyncio.ensure_future(self._fetch_range(group_id, after, upto))
            self._inflight[key] = fut
            fut.add_done_callback(lambda f: self._fetched(key, f))
        return await asyncio.shield(fut)

    def _fetched(self, key: tuple[int, int, int | None], fut: _Rows) -> None:
        self._inflight.pop(key, None)
        if not fut.cancelled():
            fut.exception()  # retrieved here too, so a fetch whose waiters all left does not warn
