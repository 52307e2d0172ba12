"""Group commit for posts: concurrent posts share one transaction and a handful of statements.

Each post is acknowledged only after the transaction holding it has committed (durable), and each gets its own
result: its message, the message first posted under its client_msg_id, or its own error. While a batch is being
written, new posts queue up and form the next batch, so the batch size follows the load by itself: one post alone
is written at once; under load, hundreds share a commit.

Per batch, whatever its size: read the groups and the senders' standing, find earlier posts with the same client
ids, insert all new messages (and any review items), move each group's sequence, and commit. Each database has its
own few statements with the lists bound as one array parameter, so their text never changes, they stay prepared,
and their plans stay on the indexes (storage/post_batch_pg.py: unnest and ANY, on the writer's own connection and
thread; storage/post_batch_sqlite.py: json_each, on the writer thread's sqlite3 connection). The decisions in
between (`_plan`, `_finish`) are the same code for both.

One bad post never fails the others. A post the rules refuse (not a member, group closed, ...) gets its own error
from `_plan` and the rest of the batch goes on. A post that makes the write itself fail (the database refuses one
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
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

import structlog
from prometheus_client import CollectorRegistry, Counter, Histogram
from sqlalchemy import Engine

from qunzu.domain.documents import DocumentKind, check_agreement_current
from qunzu.domain.groupcode import parse_group_code
from qunzu.domain.groups import check_group_open, group_closed, group_not_found
from qunzu.domain.identity import check_verified
from qunzu.domain.roles import GroupRole
from qunzu.errors import Conflict, ErrorCode, Forbidden, QunzuError, Unavailable, ValidationFailed
from qunzu.services.context import Ctx
from qunzu.services.events import MessagePosted
from qunzu.services.messages import message_payload, stored_view
from qunzu.services.review import review_item_values
from qunzu.services.views import MessageView
from qunzu.storage.engine import create_sync_sqlite_engine
from qunzu.storage.outage import database_unreachable, value_refused
from qunzu.storage.post_batch_pg import PgPostStatements
from qunzu.storage.post_batch_sqlite import SqlitePostStatements
from qunzu.storage.uow import Database

log = structlog.get_logger(__name__)

Result = tuple[MessageView, bool]


@dataclass(slots=True)
class PostRequest:
    actor: int
    code: str  # canonical: parse_group_code at submit
    text: str
    client_msg_id: str
    ctx: Ctx
    verdict: Any  # services.review.Verdict for hold / flag, else None
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
    ) -> None:
        self.db = db
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
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="qunzu-sqlite-writer")
        self._sync_engine: Engine | None = None
        self._pg: PgPostStatements | None = None if db.is_sqlite else PgPostStatements(db.engine)

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
        if self._pg is not None:
            await self._pg.close()
        engine, self._sync_engine = self._sync_engine, None
        if engine is not None:
            await asyncio.get_running_loop().run_in_executor(self._executor, engine.dispose)

    async def submit(
        self, *, actor: int, code: str, text: str, client_msg_id: str, ctx: Ctx, verdict: Any = None
    ) -> Result:
        if self._task is None:
            raise Unavailable("The message writer is not running")
        code = parse_group_code(code)  # a malformed code never reaches the queue; the queue holds the canonical form
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(PostRequest(actor, code, text, client_msg_id, ctx, verdict, future))
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

    async def _commit(self, batch: list[PostRequest]) -> tuple[dict[int, Result | QunzuError], list[Any]]:
        """Write and commit `batch` (one transaction); each post's outcome and the events to publish. On an
        exception nothing of the batch was stored."""
        if self.db.is_sqlite:
            # One thread hop for the whole batch (aiosqlite would hop per statement and per fetch).
            async with self.db.write_lock():
                return await asyncio.get_running_loop().run_in_executor(self._executor, self._sqlite_batch, batch)
        # PostgreSQL: prepared array statements on the writer's own connection and thread
        # (storage/post_batch_pg.py); write_batch_pg runs in that thread and returns plain values.
        assert self._pg is not None
        return await self._pg.run(lambda stmts: write_batch_pg(stmts, batch))

    async def _deliver(
        self, batch: list[PostRequest], outcomes: dict[int, Result | QunzuError], events: list[Any]
    ) -> None:
        """After the commit, never before: publish the events, then give each post its outcome."""
        if events and self.db.dispatcher is not None:
            await self.db.dispatcher(events)
        for i, req in enumerate(batch):
            outcome = outcomes[i]
            if isinstance(outcome, QunzuError):
                _settle(req, error=outcome)
            else:
                _settle(req, result=outcome)

    def _sqlite_batch(self, batch: list[PostRequest]) -> tuple[dict[int, Result | QunzuError], list[Any]]:
        """Runs in the writer thread: BEGIN IMMEDIATE, the batch, COMMIT on a plain sqlite3 connection."""
        if self._sync_engine is None:
            self._sync_engine = create_sync_sqlite_engine(self.db.engine.url)
        pooled = self._sync_engine.raw_connection()
        try:
            dbapi: Any = pooled.driver_connection
            dbapi.execute("BEGIN IMMEDIATE")
            try:
                result = write_batch_sqlite(SqlitePostStatements(dbapi), batch)
                dbapi.execute("COMMIT")
            except BaseException:
                if dbapi.in_transaction:
                    dbapi.execute("ROLLBACK")
                raise
            return result
        finally:
            pooled.close()


@dataclass(slots=True)
class _Plan:
    """What a batch will do, decided from the rows the batch read (pure; no I/O)."""

    outcomes: dict[int, Result | QunzuError]
    by_code: dict[str, Any]
    roles: dict[tuple[int, int], tuple[GroupRole, str]]
    earlier: dict[tuple[int, int, str], Any]
    fresh: dict[tuple[int, int, str], tuple[int, PostRequest]]
    to_insert: list[dict[str, Any]]
    moved: list[tuple[int, int]]  # (group id, its new last_seq)


def _read_rows(rows: Any) -> tuple[dict[str, Any], dict[tuple[int, int], tuple[GroupRole, str]], dict[int, Any], int]:
    by_code: dict[str, Any] = {}
    roles: dict[tuple[int, int], tuple[GroupRole, str]] = {}
    standing: dict[int, tuple[int, int]] = {}  # user → (verification level, agreement version accepted)
    agreement = 0
    for r in rows:
        by_code.setdefault(r["code"], r)
        agreement = r["current_agreement"] or 0
        if r["user_id"] is not None:
            roles[(r["id"], r["user_id"])] = (GroupRole(r["role"]), r["nickname"])
            standing[r["user_id"]] = (r["verification_level"], r["agreement_version"])
    return by_code, roles, standing, agreement


def _earlier_keys(batch: list[PostRequest], by_code: dict[str, Any]) -> list[tuple[int, int, str]]:
    return sorted({(gid, r.actor, r.client_msg_id) for r in batch if (gid := _gid(by_code, r)) is not None})


def _plan(batch: list[PostRequest], rows: Any, earlier_rows: Any) -> _Plan:
    """Check every post against its group and sender; give the new ones their sequence numbers."""
    by_code, roles, standing, agreement = _read_rows(rows)
    earlier = {(r.group_id, r.sender_id, r.client_msg_id): r for r in earlier_rows}
    outcomes: dict[int, Result | QunzuError] = {}
    start_seq = {g["id"]: g["last_seq"] for g in by_code.values()}
    next_seq = dict(start_seq)
    fresh: dict[tuple[int, int, str], tuple[int, PostRequest]] = {}
    to_insert: list[dict[str, Any]] = []
    for i, req in enumerate(batch):
        group = by_code.get(req.code)
        if group is None:
            outcomes[i] = group_not_found()
            continue
        gid = group["id"]
        member = roles.get((gid, req.actor))
        if member is None:
            outcomes[i] = Forbidden("Only members of this group can do this", code=ErrorCode.NOT_MEMBER)
            continue
        level, accepted = standing[req.actor]
        try:
            check_group_open(group["status"])
            check_verified(level, action="post")  # R-6.1-4: no posting without real identity
            check_agreement_current(accepted=accepted, current=agreement)  # R-5.2-2
        except QunzuError as refused:
            outcomes[i] = refused
            continue
        key = (gid, req.actor, req.client_msg_id)
        if key in earlier or key in fresh:
            continue  # settled by _finish, once the first one is known
        held = req.verdict is not None and req.verdict.action == "hold"
        if not held:  # only published messages take a sequence number
            next_seq[gid] += 1
        fresh[key] = (i, req)
        to_insert.append(
            {
                "group_id": gid,
                "seq": None if held else next_seq[gid],
                "review_state": "held" if held else ("flagged" if req.verdict is not None else "clean"),
                "sender_id": req.actor,
                "sender_nickname": member[1],
                "text": req.text,
                "client_msg_id": req.client_msg_id,
                "created_at": req.ctx.now,
                "src_ip": req.ctx.ip,
                "src_port": req.ctx.port,
            }
        )
    moved = [(gid, seq) for gid, seq in next_seq.items() if seq != start_seq[gid]]
    return _Plan(outcomes, by_code, roles, earlier, fresh, to_insert, moved)


def _finish(
    plan: _Plan, batch: list[PostRequest], ids: list[int]
) -> tuple[dict[int, Result | QunzuError], list[Any], list[dict[str, Any]]]:
    """Each request's outcome once the new messages have ids; the events to publish; the review items to queue."""
    outcomes, roles, fresh = plan.outcomes, plan.roles, plan.fresh
    events: list[Any] = []
    reviews: list[dict[str, Any]] = []
    for row, msg_id in zip(plan.to_insert, ids, strict=True):
        i, req = fresh[(row["group_id"], row["sender_id"], row["client_msg_id"])]
        code = req.code
        view = MessageView(
            id=msg_id,
            group_code=code,
            seq=row["seq"],
            sender_id=req.actor,
            sender_nickname=row["sender_nickname"],
            sender_role=roles[(row["group_id"], req.actor)][0],
            text=req.text,
            client_msg_id=req.client_msg_id,
            created_at=req.ctx.now,
        )
        if req.verdict is not None:
            reviews.append(
                review_item_values(
                    kind="message",
                    target_id=msg_id,
                    author_id=req.actor,
                    text=req.text,
                    verdict=req.verdict,
                    now=req.ctx.now,
                    group_id=row["group_id"],
                )
            )
        if row["seq"] is None:
            outcomes[i] = (replace(view, status="under_review"), True)
            continue  # held: delivered to the group only if a reviewer approves
        outcomes[i] = (view, True)
        events.append(
            MessagePosted(group_id=row["group_id"], group_code=code, seq=row["seq"], message=message_payload(view))
        )
    # Retries (same sender, group and client id): the message first posted, if the text is the same.
    for i, req in enumerate(batch):
        if i in outcomes:
            continue
        gid = _gid(plan.by_code, req)
        assert gid is not None
        key = (gid, req.actor, req.client_msg_id)
        if key in plan.earlier:
            row = plan.earlier[key]
            first_text, view = row.text, stored_view(row, req.code, roles[(gid, req.actor)][0])
        else:
            j, first = fresh[key]
            if isinstance(outcomes[j], QunzuError):  # the first post of this client id failed: so does this one
                outcomes[i] = outcomes[j]
                continue
            first_text, view = first.text, outcomes[j][0]  # type: ignore[index]
        if first_text != req.text:
            outcomes[i] = Conflict(
                "This client_msg_id was already used for a different message",
                code=ErrorCode.CLIENT_MSG_ID_CONFLICT,
                details={"seq": view.seq},
            )
        else:
            outcomes[i] = (view, False)
    return outcomes, events, reviews


def write_batch_sqlite(
    stmts: SqlitePostStatements, batch: list[PostRequest]
) -> tuple[dict[int, Result | QunzuError], list[Any]]:
    """The same batch on SQLite's fixed JSON-array statements (the caller's transaction commits it)."""
    codes = sorted({r.code for r in batch})
    actors = sorted({r.actor for r in batch})
    rows = stmts.groups_and_senders(codes, actors, DocumentKind.AGREEMENT.value)
    by_code: dict[str, Any] = {}
    for r in rows:
        by_code.setdefault(r["code"], r)
    plan = _plan(batch, rows, stmts.earlier(_earlier_keys(batch, by_code)))
    ids: list[int] = []
    if plan.to_insert:
        new_ids = stmts.insert_and_move(plan.to_insert, plan.moved)
        ids = [new_ids[(r["group_id"], r["sender_id"], r["client_msg_id"])] for r in plan.to_insert]
    outcomes, events, reviews = _finish(plan, batch, ids)
    if reviews:
        stmts.insert_reviews(reviews)
    return outcomes, events


async def write_batch_pg(
    stmts: PgPostStatements, batch: list[PostRequest]
) -> tuple[dict[int, Result | QunzuError], list[Any]]:
    """The same batch on PostgreSQL: one read, then one statement that moves the sequences and stores the messages
    atomically (storage/post_batch_pg.py says why no lock is needed between them). With review items to queue, that
    statement and their insert share a transaction."""
    codes = sorted({r.code for r in batch})
    actors = sorted({r.actor for r in batch})
    keys = sorted({(r.code, r.actor, r.client_msg_id) for r in batch})
    rows, earlier_rows = await stmts.groups_and_senders(codes, actors, DocumentKind.AGREEMENT.value, keys)
    plan = _plan(batch, rows, earlier_rows)
    places: dict[int, int] = {}
    for row in plan.to_insert:  # a published message's place among its group's in this batch; the database numbers
        if row["seq"] is None:
            row["k"] = None
        else:
            row["k"] = places[row["group_id"]] = places.get(row["group_id"], 0) + 1

    async def store() -> tuple[dict[int, Result | QunzuError], list[Any]]:
        stored: dict[tuple[int, int, str], tuple[int, int | None]] = {}
        if plan.to_insert:
            groups = sorted({row["group_id"] for row in plan.to_insert})
            stored = await stmts.write(plan.to_insert, sorted(places.items()), groups)
        kept, ids = [], []
        for row in plan.to_insert:
            key = (row["group_id"], row["sender_id"], row["client_msg_id"])
            if key in stored:
                ids.append(stored[key][0])
                row["seq"] = stored[key][1]
                kept.append(row)
            else:  # the group was closed after the read: nothing of it was stored
                plan.outcomes[plan.fresh[key][0]] = group_closed()
        plan.to_insert = kept
        outcomes, events, reviews = _finish(plan, batch, ids)
        if reviews:
            await stmts.insert_reviews(reviews)
        return outcomes, events

    if any(req.verdict is not None for req in batch):
        async with stmts.transaction():
            return await store()
    return await store()


def _gid(by_code: dict[str, Any], req: PostRequest) -> int | None:
    group = by_code.get(req.code)
    return None if group is None else int(group["id"])
