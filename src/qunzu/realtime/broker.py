"""Brokers carry events from the process that committed them to every process's hub.

`MemoryBroker` is in-process; `RedisBroker` shares delivery between server processes through Redis pub/sub.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import random
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff, NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from qunzu.errors import Unavailable
from qunzu.realtime.frames import Event

log = logging.getLogger(__name__)

OnEvent = Callable[[Event], Awaitable[None] | None]
OnResync = Callable[[], Awaitable[None] | None]


async def _call(fn: Callable[..., Awaitable[None] | None], *args: Any) -> None:
    result = fn(*args)
    if inspect.isawaitable(result):
        await result


class Broker(Protocol):
    """Publish events after commit; hand every event (own ones too) to `on_event` in publish order."""

    async def start(self, on_event: OnEvent, *, on_resync: OnResync | None = None) -> None: ...

    async def publish(self, event: Event) -> None: ...

    async def stop(self) -> None: ...


class MemoryBroker:
    """One process: `publish` hands the event straight to `on_event`, in the same order."""

    def __init__(self) -> None:
        self._on_event: OnEvent | None = None

    async def start(self, on_event: OnEvent, *, on_resync: OnResync | None = None) -> None:
        self._on_event = on_event

    async def publish(self, event: Event) -> None:
        if self._on_event is None:
            raise RuntimeError("MemoryBroker.publish before start")
        await _call(self._on_event, event)

    async def stop(self) -> None:
        self._on_event = None


class RedisBroker:
    """Many processes: PUBLISH on one channel, every process SUBSCRIBEs to it.

    `publish` only enqueues (no network wait on the post path); one writer task sends what has queued up
    in a single pipeline, in order. The reader task reconnects with backoff when Redis drops and then calls
    `on_resync`, because events published meanwhile were lost to this process. If a batch cannot be
    published, it is delivered locally so this process's own clients still get it (and it is logged).
    """

    def __init__(
        self,
        url: str,
        channel: str = "qunzu:events",
        *,
        max_batch: int = 512,
        max_queued: int = 100_000,
        reconnect_min: float = 0.05,
        reconnect_max: float = 5.0,
    ) -> None:
        self.url = url
        self.channel = channel
        self._max_batch = max_batch
        self._max_queued = max_queued
        self._reconnect_min = reconnect_min
        self._reconnect_max = reconnect_max
        self._on_event: OnEvent | None = None
        self._on_resync: OnResync | None = None
        self._out: asyncio.Queue[bytes] | None = None
        self._pub: Redis | None = None
        self._sub: Redis | None = None
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self, on_event: OnEvent, *, on_resync: OnResync | None = None) -> None:
        """Connect and subscribe; raises `Unavailable` when Redis cannot be reached."""
        self._on_event, self._on_resync = on_event, on_resync
        self._out = asyncio.Queue(self._max_queued)
        retry = Retry(ExponentialWithJitterBackoff(base=0.01, cap=0.5), 3)
        self._pub = Redis.from_url(self.url, retry=retry, socket_keepalive=True)
        # The subscriber must not reconnect silently (redis-py would resubscribe and hide the lost events).
        self._sub = Redis.from_url(
            self.url,
            retry=Retry(NoBackoff(), 0),
            socket_keepalive=True,
            client_name=f"qunzu-sub:{self.channel}",
        )
        try:
            pubsub = await self._subscribe()
        except (RedisError, OSError) as exc:
            await self._close_clients()
            raise Unavailable(f"Redis at {self.url} is not reachable: {exc}") from exc
        self._tasks = [
            asyncio.create_task(self._read_loop(pubsub), name="redis-broker-reader"),
            asyncio.create_task(self._write_loop(self._out), name="redis-broker-writer"),
        ]

    async def publish(self, event: Event) -> None:
        if self._out is None:
            raise RuntimeError("RedisBroker.publish before start")
        try:
            self._out.put_nowait(event.encode())
        except asyncio.QueueFull:
            log.error("redis broker backlog full (%s events); delivering locally only", self._max_queued)
            await self._deliver(event)

    async def stop(self, flush_timeout: float = 1.0) -> None:
        """Flush what is queued (best effort), then stop both tasks and close the connections."""
        if self._out is not None and self._tasks:
            try:
                await asyncio.wait_for(self._out.join(), flush_timeout)
            except TimeoutError:
                log.warning("redis broker stopped with %d event(s) unpublished", self._out.qsize())
        for task in self._tasks:
            task.cancel()
        if self._tasks:
            await asyncio.wait(self._tasks)
        self._tasks = []
        await self._close_clients()

    # -- internals ---------------------------------------------------------------------------------------
    async def _subscribe(self) -> Any:
        assert self._sub is not None
        pubsub: Any = self._sub.pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.subscribe(self.channel)
        except BaseException:
            await pubsub.aclose()
            raise
        return pubsub

    async def _deliver(self, event: Event) -> None:
        if self._on_event is not None:
            try:
                await _call(self._on_event, event)
            except Exception:
                log.exception("event handler failed for %s event of group %s", event.kind, event.group_id)

    async def _read_loop(self, pubsub: Any) -> None:
        delay = self._reconnect_min
        while True:
            try:
                if pubsub is None:
                    pubsub = await self._subscribe()
                    log.warning("redis broker resubscribed to %s; resyncing clients", self.channel)
                    delay = self._reconnect_min
                    if self._on_resync is not None:
                        await _call(self._on_resync)
                async for msg in pubsub.listen():
                    if msg.get("type") != "message":
                        continue
                    try:
                        event = Event.decode(msg["data"])
                    except ValueError:
                        log.warning("dropping malformed broker payload %r", msg["data"][:200])
                        continue
                    await self._deliver(event)
                raise RedisConnectionError("subscription ended")
            except asyncio.CancelledError:
                if pubsub is not None:
                    await asyncio.shield(pubsub.aclose())
                raise
            except (RedisError, OSError) as exc:
                log.warning("redis broker lost its subscription (%s); retrying in %.2fs", exc, delay)
                if pubsub is not None:
                    try:
                        await pubsub.aclose()
                    except Exception:
                        log.debug("closing a broken pubsub", exc_info=True)
                    pubsub = None
                await asyncio.sleep(delay * random.uniform(0.5, 1.0))
                delay = min(delay * 2, self._reconnect_max)

    async def _write_loop(self, out: asyncio.Queue[bytes]) -> None:
        assert self._pub is not None
        pub, channel = self._pub, self.channel
        while True:
            batch = [await out.get()]
            while len(batch) < self._max_batch and not out.empty():
                batch.append(out.get_nowait())
            try:
                if len(batch) == 1:
                    await pub.publish(channel, batch[0])
                else:
                    async with pub.pipeline(transaction=False) as pipe:
                        for data in batch:
                            pipe.publish(channel, data)
                        await pipe.execute()
            except (RedisError, OSError) as exc:
                kind = "timed out" if isinstance(exc, RedisTimeoutError) else "failed"
                log.error("redis publish %s (%s); delivering %d event(s) locally only", kind, exc, len(batch))
                for data in batch:
                    await self._deliver(Event.decode(data))
            finally:
                for _ in batch:
                    out.task_done()

    async def _close_clients(self) -> None:
        for client in (self._pub, self._sub):
            if client is not None:
                try:
                    await client.aclose()
                except Exception:
                    log.debug("closing a redis client", exc_info=True)
        self._pub = self._sub = None


def make_broker(redis_url: str | None, *, channel: str = "qunzu:events") -> Broker:
    """Redis when a URL is configured (several server processes), otherwise in-process."""
    if redis_url:
        return RedisBroker(redis_url, channel)
    return MemoryBroker()
