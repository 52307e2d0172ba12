"""The post store on PostgreSQL: the message writer's own asyncpg connection and its prepared statements.

The portable path (SQLAlchemy Core on the server's event loop) cost, per batch, a pool check-out with its ping, a
statement compilation per expanding IN list and a prepare whenever a list length was new. Here the statements take
arrays (`= ANY($1)`, `unnest(...)`), so their text never changes: each is prepared once per connection. A batch is
one read (groups, senders and earlier posts) and one write (the sequences move and the messages go in, atomically,
in one statement that commits on its own): two round trips whatever the batch size. A batch that also queues review
items wraps the write and that insert in a transaction (four round trips). The connection lives on the message
writer's own event loop and thread (services/posting/loop_thread.py), where the round trips are answered at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from typing import Any

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine

from qunzu.storage.outage import database_unreachable
from qunzu.storage.post_rows import (
    REVIEW_COLUMNS,
    BatchRows,
    EarlierPost,
    GroupMove,
    Lookup,
    NewMessage,
    Stored,
    read_rows,
)

# The batch's groups (not locked: see WRITE), each with the batch's senders who are members of it (one row per such
# member, or one row with NULLs), their standing and the current agreement version; and, in the same round trip,
# the messages already posted under the batch's (group code, sender, client id) keys, as one JSON array (an
# uncorrelated subquery: computed once, NULL when there are none, which is the common case; the columns in the
# order of EarlierPost's fields).
GROUPS_AND_SENDERS = """
SELECT g.id, g.code, g.status, g.last_seq, m.user_id, m.role, u.nickname, u.verification_level, u.agreement_version,
       g.member_count, g.mute_all, g.slow_mode_seconds, m.muted_until, u.created_at AS user_created_at,
       g.suspended_until AS group_suspended_until, u.platform_muted_until, u.suspended_until AS user_suspended_until,
       u.blacklist_level, g.stars,
       (SELECT json_agg(gk.term) FROM group_keywords gk WHERE gk.group_id = g.id) AS keywords,
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


def _parse_ts(value: str | None) -> datetime | None:
    """A timestamptz as json_build_array writes it (ISO 8601 with an offset) -> aware UTC."""
    return None if value is None else datetime.fromisoformat(value).astimezone(UTC)


def _ms(value: datetime) -> datetime:
    """As UTCDateTime stores it: aware UTC, milliseconds."""
    value = value.astimezone(UTC)
    return value.replace(microsecond=(value.microsecond // 1000) * 1000)


class PgPostStatements:
    """The writer's prepared statements on its connection (used in the writer thread only)."""

    def __init__(self, conn: Any, prepared: dict[str, Any]) -> None:
        self.conn = conn
        self._prepared = prepared

    def transaction(self) -> Any:
        """`async with stmts.transaction():` for work of several statements that must commit together."""
        return self.conn.transaction()

    async def read(self, lookup: Lookup) -> BatchRows:
        keys = lookup.keys
        codes_k, senders_k, cids_k = (list(c) for c in zip(*keys, strict=True)) if keys else ([], [], [])
        joined = list(
            await self._prepared["read"].fetch(
                lookup.codes, lookup.actors, lookup.agreement_kind, codes_k, senders_k, cids_k
            )
        )
        raw = joined[0]["earlier"] if joined else None
        earlier = []
        for values in json.loads(raw) if raw else ():
            values[7], values[8] = _parse_ts(values[7]), _parse_ts(values[8])
            earlier.append(EarlierPost(*values))
        groups, members, agreement = read_rows(joined)
        return BatchRows(groups, members, agreement, earlier)

    async def write(
        self, rows: Sequence[NewMessage], counts: Sequence[tuple[int, int]], groups: Sequence[int]
    ) -> dict[tuple[int, int, str], tuple[int, int | None]]:
        """Insert the messages (numbered by `k`), moving each group in `counts` ((group id, published messages))
        by its count. The (id, seq) of each message stored, by (group, sender, client id); a message of a group
        closed meanwhile is not stored."""
        out = await self._prepared["write"].fetch(
            [m.group_id for m in rows],
            [m.k for m in rows],
            [m.review_state for m in rows],
            [m.sender_id for m in rows],
            [m.sender_nickname for m in rows],
            [m.text for m in rows],
            [m.client_msg_id for m in rows],
            [_ms(m.created_at) for m in rows],
            [m.src_ip for m in rows],
            [m.src_port for m in rows],
            [g for g, _ in counts],
            [n for _, n in counts],
            list(groups),
        )
        return {(r["group_id"], r["sender_id"], r["client_msg_id"]): (r["id"], r["seq"]) for r in out}

    async def insert_reviews(self, rows: Sequence[dict[str, Any]]) -> None:
        """Queue review items (rows as `services.review.review_item_values` makes them)."""
        columns: list[list[Any]] = [[row[c] for row in rows] for c in REVIEW_COLUMNS]
        columns[6] = [json.dumps(list(v)) for v in columns[6]]
        columns[7] = [json.dumps(list(v)) for v in columns[7]]
        columns[10] = [_ms(v) for v in columns[10]]
        await self._prepared["reviews"].fetch(*columns)


class PgPostStore:
    """The post store on PostgreSQL (storage/post_store.py): its own asyncpg connection, opened on the first batch,
    on the event loop of the batch (the message writer's thread); use it from that loop only.

    Not safe for concurrent use: the one writer of a process owns it. Any error but a statement the server refused
    closes the connection (the next batch opens a fresh one), so a broken connection never outlives the batch that
    found it. A batch needs no transaction of its own: the read takes no lock, the write is atomic.
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
        self._stmts: PgPostStatements | None = None

    @contextlib.asynccontextmanager
    async def batch(self) -> AsyncIterator[_PgBatch]:
        stmts = await self._statements()
        try:
            yield _PgBatch(stmts)
        except BaseException as exc:
            # A statement the server refused (a bad value, a constraint) leaves the connection usable, and a batch
            # being bisected (services/message_writer.py) keeps it; a lost or timed-out one does not: start afresh.
            refused = isinstance(exc, asyncpg.PostgresError) and not database_unreachable(exc)
            if not refused or stmts.conn.is_closed() or stmts.conn.is_in_transaction():
                await self.close()
            raise

    async def close(self) -> None:
        stmts, self._stmts = self._stmts, None
        if stmts is not None:
            try:
                await asyncio.wait_for(stmts.conn.close(), 5)
            except Exception:
                stmts.conn.terminate()

    async def _statements(self) -> PgPostStatements:
        if self._stmts is None:
            conn = await asyncpg.connect(**self._connect_kwargs)
            try:
                prepared = {
                    "read": await conn.prepare(GROUPS_AND_SENDERS),
                    "write": await conn.prepare(WRITE),
                    "reviews": await conn.prepare(INSERT_REVIEWS),
                }
            except BaseException:
                conn.terminate()
                raise
            self._stmts = PgPostStatements(conn, prepared)
        return self._stmts


class _PgBatch:
    """One batch on the store's connection: an unlocked read, then the atomic write."""

    def __init__(self, stmts: PgPostStatements) -> None:
        self._stmts = stmts

    async def read(self, lookup: Lookup) -> BatchRows:
        return await self._stmts.read(lookup)

    async def write(self, messages: Sequence[NewMessage], moves: Sequence[GroupMove]) -> list[Stored]:
        if not messages:
            return []
        if any(m.review is not None for m in messages):
            async with self._stmts.transaction():
                return await self._store(messages, moves)
        return await self._store(messages, moves)

    async def _store(self, messages: Sequence[NewMessage], moves: Sequence[GroupMove]) -> list[Stored]:
        counts = sorted((move.group_id, move.count) for move in moves)
        found = await self._stmts.write(messages, counts, sorted({m.group_id for m in messages}))
        stored = [found.get((m.group_id, m.sender_id, m.client_msg_id)) for m in messages]
        reviews = [
            {**m.review, "target_id": str(s[0])}
            for m, s in zip(messages, stored, strict=True)
            if m.review is not None and s is not None
        ]
        if reviews:
            await self._stmts.insert_reviews(reviews)
        return stored
