"""Group commit for posts: concurrent posts share one transaction and a handful of statements.

Each post is acknowledged only after the transaction holding it has committed (durable), and each gets its own
result: its message, the message first posted under its client_msg_id, or its own error. While a batch is being
written, new posts queue up and form the next batch, so the batch size follows the load by itself: one post alone
is written at once; under load, hundreds share a commit.

Per batch, whatever its size: read the groups and the senders' standing and find earlier posts with the same client
ids, decide (`plan`), insert all new messages (and any review items), move each group's sequence, commit, and
answer each post (`finish`). The decisions are pure functions, the same for both databases
(services/posting/plan.py); reading and writing is the post store's (storage/post_store.py, picked by dialect in
`open_post_store`): each database has its own few statements with the lists bound as one array parameter, so their
text never changes, they stay prepared, and their plans stay on the indexes (storage/post_store_pg.py: unnest and
ANY, on the store's own asyncpg connection; storage/post_store_sqlite.py: json_each, on a plain sqlite3
connection, one BEGIN IMMEDIATE from the read to the commit). The whole batch, from the read to the outcomes, runs in
the writer's own thread and event loop (services/posting/loop_thread.py): one hop per batch, and the round trips
never wait for the server's busy loop.

One bad post never fails the others. A post the rules refuse (not a member, group closed, ...) gets its own error
from `plan` and the rest of the batch goes on. A post that makes the write itself fail (the database refuses one
of its values, as PostgreSQL refuses a NUL character in a text) fails the whole transaction, and then nothing of
the batch was stored; the batch is then bisected (`_isolate`): each half is written as a batch of its own,
recursively, until the failing post is alone. The others are stored and acknowledged, each after the commit of
the half that holds it, and the failing post alone gets its error: `validation_failed` (422) when the database
refused one of its values (a data exception, SQLSTATE class 22, told by the exception's class), else
`service_unavailable` (503, retry with the same client_msg_id). A batch of n with one such post costs about
2 log2(n) extra writes, at most 2n; a half that fails because the database is out of reach (storage/outage.py)
stops the bisection and everything not yet written gets 503 at once. Sequence numbers stay gapless: a failed
write rolled back entirely (on PostgreSQL the write is one statement, or one transaction with the review items;
on SQLite one BEGIN IMMEDIATE ... COMMIT), and each half numbers its messages when it is written. The fast path,
a batch that does not fail, is unchanged. `qunzu_writer_isolated_failures` counts the posts found this way.

Send rates and slow mode (R-7.1-4, R-9.3-1) are decided per batch between the read and the plan: the plan says which
buckets each new post takes (`send_requests`), the limiter takes them in one hit (services/posting/limits.py: in
process, or one Redis call), and the plan refuses the posts whose buckets were full. What the rate depends on beyond
the batch's rows (the policy in force, the sender's credit score, both kept briefly) is read in `submit`.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from typing import Any

import structlog
from prometheus_client import CollectorRegistry, Counter, Histogram

from qunzu.context import Ctx
from qunzu.domain.groupcode import parse_group_code
from qunzu.errors import QunzuError, Unavailable, ValidationFailed
from qunzu.services.emergency import gate_post
from qunzu.services.events import MessagePosted
from qunzu.services.posting.limits import PostLimiter
from qunzu.services.posting.loop_thread import LoopThread
from qunzu.services.posting.plan import Outcome, Post, Result, finish, lookup, plan, send_requests, throttled
from qunzu.storage.outage import database_unreachable, value_refused
from qunzu.storage.post_store import open_post_store
from qunzu.storage.uow import Database

log = structlog.get_logger(__name__)


@dataclass(slots=True)
class PostRequest(Post):
    """A queued post, and the future its request waits on."""

    future: asyncio.Future[Result] = field(repr=False)


def _retry_later() -> Unavailable:
    return Unavailable("The message could not be stored; retry with the same client_msg_id")


def _alone(exc: BaseException) -> QunzuError:
    """The outcome of a post whose write failed with nothing else in its batch."""
    if value_refused(exc):  # the database refused a value of this post (e.g. a NUL character): retrying cannot help
        return ValidationFailed("The message contains characters that cannot be stored", details={"field": "text"})
    return _retry_later()


def _settle(req: PostRequest, *, result: Result | None = None, error: BaseException | None = None) -> None:
    if req.future.done():  # the client went away; the outcome stands in the database all the same
        return
    if error is not None:
        req.future.set_exception(error)
    else:
        assert result is not None
        req.future.set_result(result)


class MessageWriter:
    """One per process. `submit` queues a post and waits for its commit."""

    def __init__(
        self,
        db: Database,
        *,
        max_batch: int = 512,
        gather_turns: int = 4,
        registry: CollectorRegistry | None = None,
        limiter: PostLimiter | None = None,
    ) -> None:
        self.db = db
        self.limiter = limiter  # send rates, slow mode and group keywords (services/posting/limits.py)
        self._batch_size = Histogram(
            "qunzu_writer_batch_size",
            "Posts written per transaction by the message writer (group commit)",
            registry=registry,
            buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512),
        )
        self._batch_seconds = Histogram(
            "qunzu_writer_batch_seconds",
            "Time to write, commit and hand out one batch",
            registry=registry,
            buckets=(0.0005, 0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 1),
        )
        self._isolated = Counter(
            "qunzu_writer_isolated_failures",
            "Posts that failed alone after their batch failed and was split (the other posts were stored)",
            registry=registry,
        )
        self.max_batch = max_batch
        self.gather_turns = gather_turns
        self._queue: asyncio.Queue[PostRequest] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self.batches = 0
        self.posts = 0
        self.isolated_failures = 0
        self._store = open_post_store(db)
        self._thread = LoopThread("qunzu-message-writer")

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="qunzu-message-writer")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        while not self._queue.empty():
            _settle(self._queue.get_nowait(), error=Unavailable("The server is shutting down"))
        if self._thread.running:
            with contextlib.suppress(Exception):
                await self._thread.run(self._store.close())
            if self.limiter is not None:
                with contextlib.suppress(Exception):
                    await self._thread.run(self.limiter.aclose())
            await self._thread.stop()

    async def submit(
        self, *, actor: int, code: str, text: str, client_msg_id: str, ctx: Ctx, verdict: Any = None
    ) -> Result:
        if self._task is None:
            raise Unavailable("The message writer is not running")
        code = parse_group_code(code)  # a malformed code never reaches the queue; the queue holds the canonical form
        # Emergency switches (R-5.1-4): refused or held here, from the board in memory, before the post takes a place
        # in a batch (the batch's reads carry no category); no read while no switch touches posting.
        verdict = await gate_post(self.db, actor=actor, code=code, text=text, verdict=verdict)
        standing = None if self.limiter is None else await self.limiter.standing(actor, ctx.now)
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(
            PostRequest(actor, code, text, client_msg_id, ctx.now, ctx.ip, ctx.port, verdict, standing, future)
        )
        return await future

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            # Let requests the event loop is already handling join this batch: a few loop turns, no timer, so a lone
            # post is not delayed by more than the turns themselves.
            for _ in range(self.gather_turns):
                size = self._queue.qsize()
                await asyncio.sleep(0)
                if self._queue.qsize() == size:
                    break
            while len(batch) < self.max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            started = time.perf_counter()
            try:
                await self._write(batch)
            except Exception:  # after a commit (publishing its events): whoever has no outcome yet may retry
                log.exception("message_batch_failed", size=len(batch))
                for req in batch:
                    _settle(req, error=_retry_later())
            self.batches += 1
            self.posts += len(batch)
            self._batch_size.observe(len(batch))
            self._batch_seconds.observe(time.perf_counter() - started)

    async def _write(self, batch: list[PostRequest]) -> None:
        """Write `batch` as one transaction; if it fails as a whole, find the posts that made it fail (`_isolate`)."""
        try:
            outcomes, events = await self._commit(batch)
        except QunzuError as exc:
            for req in batch:
                _settle(req, error=exc)
            return
        except Exception as exc:  # the whole batch rolled back: nothing of it was stored
            if len(batch) == 1:
                log.warning("message_post_failed", error=type(exc).__name__, exc_info=not value_refused(exc))
                _settle(batch[0], error=_alone(exc))
            elif database_unreachable(exc):
                log.error("message_batch_failed", size=len(batch), error=type(exc).__name__, exc_info=True)
                for req in batch:
                    _settle(req, error=_retry_later())
            else:
                log.warning("message_batch_failed_isolating", size=len(batch), error=type(exc).__name__)
                await self._isolate(batch)
            return
        await self._deliver(batch, outcomes, events)

    async def _isolate(self, batch: list[PostRequest]) -> bool:
        """Bisect a failed batch: write each half as a batch of its own, recursively, so that the posts that make a
        write fail end up alone and fail alone, and every other post is stored and acknowledged after its own
        half's commit. One failing post in n costs about 2 log2(n) writes; at worst (all fail) 2n.

        False when a half failed because the database is out of reach: what was not written yet fails at once
        (`service_unavailable`, retry) instead of being split further; the caller stops as well."""
        half = len(batch) // 2
        parts = (batch[:half], batch[half:])
        for n, part in enumerate(parts):
            try:
                outcomes, events = await self._commit(part)
            except QunzuError as exc:
                for req in part:
                    _settle(req, error=exc)
                continue
            except Exception as exc:
                if database_unreachable(exc):
                    log.error("message_batch_failed", size=len(part), error=type(exc).__name__, exc_info=True)
                    for rest in parts[n:]:
                        for req in rest:
                            _settle(req, error=_retry_later())
                    return False
                if len(part) == 1:
                    self.isolated_failures += 1
                    self._isolated.inc()
                    log.warning("message_post_isolated", error=type(exc).__name__, exc_info=not value_refused(exc))
                    _settle(part[0], error=_alone(exc))
                    continue
                if not await self._isolate(part):
                    for req in parts[1] if n == 0 else ():
                        _settle(req, error=_retry_later())
                    return False
                continue
            await self._deliver(part, outcomes, events)
        return True

    async def _commit(self, batch: list[PostRequest]) -> tuple[list[Outcome], list[MessagePosted]]:
        """Write and commit `batch` (one transaction); each post's outcome and the events to publish. On an
        exception nothing of the batch was stored."""
        async with self.db.write_lock():  # this process's SQLite writer slot (a no-op on PostgreSQL)
            return await self._thread.run(self._batch(batch))

    async def _batch(self, batch: list[PostRequest]) -> tuple[list[Outcome], list[MessagePosted]]:
        """In the writer's thread: read, plan, write and commit, finish (never touching the requests' futures)."""
        async with self._store.batch() as tx:
            rows = await tx.read(lookup(batch))
            limiter = self.limiter
            if limiter is None:
                planned = plan(batch, rows)
            else:  # send rates and slow mode (R-7.1-4, R-9.3-1): one hit per batch, before anything is written
                requests, refused = send_requests(batch, rows)
                taken = await limiter.take(requests, now_ms=int(max(p.now for p in batch).timestamp() * 1000))
                refused.update(throttled(requests, taken))
                planned = plan(batch, rows, refused=refused, matcher=limiter.matcher)
            stored = await tx.write(planned.messages, planned.moves)
        return finish(planned, batch, stored)

    async def _deliver(self, batch: list[PostRequest], outcomes: list[Outcome], events: list[MessagePosted]) -> None:
        """After the commit, never before: publish the events, then give each post its outcome."""
        if events and self.db.dispatcher is not None:
            await self.db.dispatcher(events)
        for req, outcome in zip(batch, outcomes, strict=True):
            if isinstance(outcome, QunzuError):
                _settle(req, error=outcome)
            else:
                _settle(req, result=outcome)
