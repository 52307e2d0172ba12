"""The message writer's statements on PostgreSQL, on one dedicated asyncpg connection in a thread of its own.

The portable path (SQLAlchemy Core, `services/message_writer.write_batch`) costs, per batch, a pool check-out with
its ping, a statement compilation per expanding IN list and a prepare whenever a list length is new, and every
round trip waits for a turn of the server's busy event loop. Here the statements take arrays (`= ANY($1)`,
`unnest(...)`), so their text never changes: each is prepared once per connection. A batch is one read (groups,
senders and earlier posts) and one write (the sequences move and the messages go in, atomically, in one statement
that commits on its own): two round trips whatever the batch size, answered on the writer thread's own loop. A
batch that also queues review items wraps the write and that insert in a transaction (four round trips).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any, TypeVar

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine

from qunzu.storage.outage import database_unreachable
from qunzu.storage.post_batch import EARLIER_COLUMNS, MESSAGE_COLUMNS, REVIEW_COLUMNS

T = TypeVar("T")
INSERT_COLUMNS = ("group_id", "k", *MESSAGE_COLUMNS)

# The batch's groups (not locked: see WRITE), each with the batch's senders who are members of it (one row per such
# member, or one row with NULLs), their standing and the current agreement version; and, in the same round trip,
# the messages already posted under the batch's (group code, sender, client id) keys, as one JSON array (an
# uncorrelated subquery: computed once, NULL when there are none, which is the common case).
GROUPS_AND_SENDERS = """
SELECT g.id, g.code, g.status, g.last_seq, m.user_id, m.role, u.nickname, u.verification_level, u.agreement_version,
       (SELECT max(d.version) FROM documents d WHERE d.kind = $3::text) AS current_agreement,
       (SELECT json_agg(json_build_array(e.id, e.group_id, e.seq, e.sender_id, e.sender_nickname, e.text,
                                         e.client_msg_id, e.created_at, e.deleted_at, e.review_state))
        FROM unnest($4::text[], $5::bigint[], $6::text[]) AS k(code, sender_id, client_msg_id)
        JOIN groups kg ON kg.code = k.code
        JOIN messages e ON e.group_id = kg.id AND e.sender_id = k.sender_id AND e.client_msg_id = k.client_msg_id
       ) AS earlier
FROM groups g
LEFT JOIN (memberships m JOIN users u ON u.id = m.user_id)
       ON m.group_id = g.id AND m.user_id = ANY($2::bigint[])
WHERE g.code = ANY($1::text[])
ORDER BY g.id
"""

# One statement, atomic on its own (autocommit): each group's sequence moves by the number of the batch's published
# messages for it, and the messages take the numbers just below the new value, in batch order (`k`). The UPDATE
# takes each group's row lock, and under READ COMMITTED a concurrent UPDATE of the same row (another process's
# writer, a reviewer approving a held message) waits and then re-reads the row, so numbers are never given twice
# and never skipped, without a lock taken by an earlier statement. A group closed since the read is not moved and
# gets no messages (they are missing from RETURNING). Data-modifying CTEs run exactly once (PostgreSQL's WITH).
WRITE = """
WITH counts AS (
    SELECT * FROM unnest($11::bigint[], $12::int[]) AS c(group_id, n)
),
moved AS (
    UPDATE groups g SET last_seq = g.last_seq + c.n
    FROM counts c
    WHERE g.id = c.group_id AND g.status = 'active'
    RETURNING g.id, g.last_seq
),
open_groups AS (
    SELECT g.id FROM groups g WHERE g.id = ANY($13::bigint[]) AND g.status = 'active'
)
INSERT INTO messages (group_id, seq, review_state, sender_id, sender_nickname, text, client_msg_id, created_at,
                      src_ip, src_port)
SELECT r.group_id, CASE WHEN r.k IS NULL THEN NULL ELSE m.last_seq - c.n + r.k END, r.review_state, r.sender_id,
       r.sender_nickname, r.text, r.client_msg_id, r.created_at, r.src_ip, r.src_port
FROM unnest($1::bigint[], $2::int[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::text[],
            $8::timestamptz[], $9::text[], $10::int[])
     AS r(group_id, k, review_state, sender_id, sender_nickname, text, client_msg_id, created_at, src_ip, src_port)
LEFT JOIN moved m ON m.id = r.group_id
LEFT JOIN counts c ON c.group_id = r.group_id
WHERE (r.k IS NOT NULL AND m.id IS NOT NULL) OR (r.k IS NULL AND r.group_id IN (SELECT id FROM open_groups))
RETURNING id, group_id, sender_id, client_msg_id, seq
"""

INSERT_REVIEWS = """
INSERT INTO review_items (kind, target_id, group_id, author_id, text, action, categories, hits, lexicon_version, state,
                          created_at)
SELECT kind, target_id, group_id, author_id, text, action, categories::json, hits::json, lexicon_version, state,
       created_at
FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::text[],
            $9::text[], $10::text[], $11::timestamptz[])
     AS r(kind, target_id, group_id, author_id, text, action, categories, hits, lexicon_version, state, created_at)
"""


def _new_loop() -> asyncio.AbstractEventLoop:
    try:
        import uvloop
    except ImportError:  # uvloop comes with uvicorn[standard]; the stdlib loop does the same job a little slower
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def _parse_ts(value: str | None) -> datetime | None:
    """A timestamptz as json_build_array writes it (ISO 8601 with an offset) -> aware UTC."""
    return None if value is None else datetime.fromisoformat(value).astimezone(UTC)


def _ms(value: datetime) -> datetime:
    """As UTCDateTime stores it: aware UTC, milliseconds."""
    value = value.astimezone(UTC)
    return value.replace(microsecond=(value.microsecond // 1000) * 1000)


class PgPostStatements:
    """The writer's own asyncpg connection, in a thread of its own with its own event loop, and its prepared
    statements.

    Why a thread: on the server's event loop each of a batch's round trips waits for a turn of a
    loop that is busy parsing requests and writing frames, which made a batch take several milliseconds instead
    of about one. Here the round trips are answered at once; the server's loop only hears when the batch is done
    (`run`). The work function runs in that thread, so it must not touch the server loop's objects.

    Not safe for concurrent use: the one writer task of a process owns it. Any error but a statement the server
    refused closes the connection (the next batch opens a fresh one), so a broken connection never outlives the
    batch that found it.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        _, kwargs = engine.dialect.create_connect_args(engine.url)
        kwargs.pop("prepared_statement_cache_size", None)  # SQLAlchemy's own option, not asyncpg's
        kwargs.pop("prepared_statement_name_func", None)
        kwargs.setdefault("command_timeout", 30)  # a hung database fails the batch (503, retry) instead of the writer
        settings = dict(kwargs.get("server_settings") or {})
        settings.setdefault("application_name", "qunzu-message-writer")  # so it can be told apart in pg_stat_activity
        # Plan each execution with the current statistics: a generic plan cached while the tables were small keeps
        # scanning them as they grow (measured: the database's CPU per message rose from 0.26 to 0.43 ms within a
        # 30-second run on a new database; planned each time it stayed at 0.28 ms).
        settings.setdefault("plan_cache_mode", "force_custom_plan")
        kwargs["server_settings"] = settings
        self._connect_kwargs: dict[str, Any] = dict(kwargs)
        self._conn: Any = None
        self._stmts: dict[str, Any] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def _start(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            loop = _new_loop()
            ready = threading.Event()

            def main() -> None:
                asyncio.set_event_loop(loop)
                loop.call_soon(ready.set)
                loop.run_forever()

            self._thread = threading.Thread(target=main, name="qunzu-pg-writer", daemon=True)
            self._thread.start()
            ready.wait()
            self._loop = loop
        return self._loop

    async def run(self, work: Callable[[PgPostStatements], Awaitable[T]]) -> T:
        """`await work(self)` in the writer thread. Statements autocommit unless `work` opens `transaction()`."""
        loop = self._start()
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(self._run(work), loop))

    async def close(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        with contextlib.suppress(Exception):
            await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(self._close(), loop))
        loop.call_soon_threadsafe(loop.stop)
        await asyncio.get_running_loop().run_in_executor(None, thread.join, 10)
        loop.close()
        self._loop = self._thread = None

    # -- in the writer thread

    async def _connection(self) -> Any:
        if self._conn is None:
            conn = await asyncpg.connect(**self._connect_kwargs)
            try:
                self._stmts = {
                    "read": await conn.prepare(GROUPS_AND_SENDERS),
                    "write": await conn.prepare(WRITE),
                    "reviews": await conn.prepare(INSERT_REVIEWS),
                }
            except BaseException:
                conn.terminate()
                raise
            self._conn = conn
        return self._conn

    async def _close(self) -> None:
        conn, self._conn, self._stmts = self._conn, None, {}
        if conn is not None:
            try:
                await asyncio.wait_for(conn.close(), 5)
            except Exception:
                conn.terminate()

    async def _run(self, work: Callable[[PgPostStatements], Awaitable[T]]) -> T:
        conn = await self._connection()
        try:
            return await work(self)
        except BaseException as exc:
            # A statement the server refused (a bad value, a constraint) leaves the connection usable, and a batch
            # being bisected (services/message_writer.py) keeps it; a lost or timed-out one does not: start afresh.
            refused = isinstance(exc, asyncpg.PostgresError) and not database_unreachable(exc)
            if not refused or conn.is_closed() or conn.is_in_transaction():
                await self._close()
            raise

    def transaction(self) -> Any:
        """`async with stmts.transaction():` for work of several statements that must commit together."""
        return self._conn.transaction()

    async def groups_and_senders(
        self, codes: Sequence[str], actors: Sequence[int], agreement_kind: str, keys: Sequence[tuple[str, int, str]]
    ) -> tuple[list[Any], list[Any]]:
        """The locked groups with their senders' standing, and the messages earlier posted under `keys`
        ((group code, sender, client id)) as objects with the message columns as attributes."""
        codes_k, senders_k, cids_k = (list(c) for c in zip(*keys, strict=True)) if keys else ([], [], [])
        rows = list(
            await self._stmts["read"].fetch(list(codes), list(actors), agreement_kind, codes_k, senders_k, cids_k)
        )
        raw = rows[0]["earlier"] if rows else None
        earlier = []
        for values in json.loads(raw) if raw else ():
            rec = dict(zip(EARLIER_COLUMNS, values, strict=True))
            rec["created_at"] = _parse_ts(rec["created_at"])
            rec["deleted_at"] = _parse_ts(rec["deleted_at"])
            earlier.append(SimpleNamespace(**rec))
        return rows, earlier

    async def write(
        self, rows: Sequence[dict[str, Any]], counts: Sequence[tuple[int, int]], groups: Sequence[int]
    ) -> dict[tuple[int, int, str], tuple[int, int | None]]:
        """Insert the messages (`k`: the published message's place among its group's in this batch, None when
        held), moving each group in `counts` ((group id, published messages)) by its count. The (id, seq) of each
        message stored, by (group, sender, client id); a message of a group closed meanwhile is not stored."""
        columns: list[list[Any]] = [[row[c] for row in rows] for c in INSERT_COLUMNS]
        columns[7] = [_ms(v) for v in columns[7]]
        out = await self._stmts["write"].fetch(*columns, [g for g, _ in counts], [n for _, n in counts], list(groups))
        return {(r["group_id"], r["sender_id"], r["client_msg_id"]): (r["id"], r["seq"]) for r in out}

    async def insert_reviews(self, rows: Sequence[dict[str, Any]]) -> None:
        """Queue review items (rows as `services.review.review_item_values` makes them)."""
        columns: list[list[Any]] = [[row[c] for row in rows] for c in REVIEW_COLUMNS]
        columns[6] = [json.dumps(list(v)) for v in columns[6]]
        columns[7] = [json.dumps(list(v)) for v in columns[7]]
        columns[10] = [_ms(v) for v in columns[10]]
        await self._stmts["reviews"].fetch(*columns)
