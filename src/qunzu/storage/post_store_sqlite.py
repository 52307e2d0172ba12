"""The post store on SQLite: the message writer's statements on a plain sqlite3 connection.

A batch is one `BEGIN IMMEDIATE ... COMMIT` on that connection, from the read to the write, so the sequence numbers
planned from the groups' `last_seq` as read are the ones written. The calls block: the message writer makes them in
its own thread (services/posting/loop_thread.py), holding this process's SQLite writer slot
(`Database.write_lock`) meanwhile; aiosqlite would hop threads per statement and per fetch.

Lists travel as one JSON array bound to one parameter (`json_each(?)`), so each statement's text never changes and
sqlite3's statement cache keeps it prepared. It also keeps the planner on the indexes: the portable row-value form
`(group_id, sender_id, client_msg_id) IN (VALUES ...)` makes SQLite scan the whole messages table (measured: 5 ms
per batch at 50,000 messages, growing with the table), where a join on `json_each` is one index search per key.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from qunzu.storage.engine import create_sync_sqlite_engine
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
from qunzu.storage.uow import Database

GROUPS_AND_SENDERS = """
SELECT g.id, g.code, g.status, g.last_seq, m.user_id, m.role, u.nickname, u.verification_level, u.agreement_version,
       (SELECT max(d.version) FROM documents d WHERE d.kind = ?) AS current_agreement,
       g.member_count, g.mute_all, g.slow_mode_seconds, m.muted_until, u.created_at AS user_created_at,
       (SELECT json_group_array(gk.term) FROM group_keywords gk WHERE gk.group_id = g.id) AS keywords,
       g.suspended_until AS group_suspended_until, u.platform_muted_until, u.suspended_until AS user_suspended_until,
       u.blacklist_level, g.stars
FROM json_each(?) AS c
JOIN groups g ON g.code = c.value
LEFT JOIN memberships m ON m.group_id = g.id AND m.user_id IN (SELECT value FROM json_each(?))
LEFT JOIN users u ON u.id = m.user_id
ORDER BY g.id
"""
READ_COLUMNS = (
    "id",
    "code",
    "status",
    "last_seq",
    "user_id",
    "role",
    "nickname",
    "verification_level",
    "agreement_version",
    "current_agreement",
    "member_count",
    "mute_all",
    "slow_mode_seconds",
    "muted_until",
    "user_created_at",
    "keywords",
    "group_suspended_until",
    "platform_muted_until",
    "user_suspended_until",
    "blacklist_level",
    "stars",
)

# The columns in the order of EarlierPost's fields.
EARLIER = """
SELECT m.id, m.group_id, m.seq, m.sender_id, m.sender_nickname, m.text, m.client_msg_id, m.created_at,
       m.deleted_at, m.review_state
FROM json_each(?) AS k
JOIN messages m ON m.group_id = json_extract(k.value, '$[0]')
               AND m.sender_id = json_extract(k.value, '$[1]')
               AND m.client_msg_id = json_extract(k.value, '$[2]')
"""

INSERT = """
INSERT INTO messages (group_id, seq, review_state, sender_id, sender_nickname, text, client_msg_id, created_at,
                      src_ip, src_port)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
RETURNING id
"""

MOVE = "UPDATE groups SET last_seq = ? WHERE id = ?"

INSERT_REVIEWS = """
INSERT INTO review_items (kind, target_id, group_id, author_id, text, action, categories, hits, lexicon_version, state,
                          created_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
"""


def to_stored(value: datetime) -> str:
    """A datetime as UTCDateTime stores it on SQLite (naive UTC, milliseconds, SQLAlchemy's text format)."""
    value = value.astimezone(UTC)
    return value.replace(microsecond=(value.microsecond // 1000) * 1000, tzinfo=None).isoformat(" ", "microseconds")


def from_stored(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value).replace(tzinfo=UTC)


class SqlitePostStatements:
    """The writer's statements on a raw sqlite3 connection (the caller owns the transaction)."""

    def __init__(self, conn: Any) -> None:
        self._conn = conn

    def read(self, lookup: Lookup) -> BatchRows:
        params = (lookup.agreement_kind, json.dumps(lookup.codes), json.dumps(lookup.actors))
        joined = [dict(zip(READ_COLUMNS, row, strict=True)) for row in self._conn.execute(GROUPS_AND_SENDERS, params)]
        groups, members, agreement = read_rows(joined)
        gid = {g.code: g.id for g in groups}
        keys = [(gid[code], actor, cid) for code, actor, cid in lookup.keys if code in gid]
        return BatchRows(groups, members, agreement, self.earlier(keys))

    def earlier(self, keys: Sequence[tuple[int, int, str]]) -> list[EarlierPost]:
        """The messages stored under (group id, sender, client id) `keys`."""
        if not keys:
            return []
        cur = self._conn.execute(EARLIER, (json.dumps([list(k) for k in keys]),))
        out = []
        for row in cur.fetchall():
            values = list(row)
            values[7], values[8] = from_stored(values[7]), from_stored(values[8])
            out.append(EarlierPost(*values))
        return out

    def insert_and_move(self, rows: Sequence[NewMessage], moves: Sequence[GroupMove]) -> list[int]:
        """Insert the messages (numbered as planned) and set each moved group's last_seq; the new ids, in order."""
        execute = self._conn.execute
        ids = []
        for m in rows:
            values = (
                m.group_id,
                m.seq,
                m.review_state,
                m.sender_id,
                m.sender_nickname,
                m.text,
                m.client_msg_id,
                to_stored(m.created_at),
                m.src_ip,
                m.src_port,
            )
            ids.append(execute(INSERT, values).fetchone()[0])
        if moves:
            self._conn.executemany(MOVE, [(move.last_seq, move.group_id) for move in moves])
        return ids

    def insert_reviews(self, rows: Sequence[dict[str, Any]]) -> None:
        """Queue review items (rows as `services.review.review_item_values` makes them)."""
        values = []
        for r in rows:
            row = [r[c] for c in REVIEW_COLUMNS]
            row[6], row[7], row[10] = json.dumps(list(row[6])), json.dumps(list(row[7])), to_stored(row[10])
            values.append(row)
        self._conn.executemany(INSERT_REVIEWS, values)


class SqlitePostStore:
    """The post store on SQLite (storage/post_store.py). One per message writer, one batch at a time, used from the
    writer's thread only (its calls block)."""

    def __init__(self, db: Database) -> None:
        self._url = db.engine.url
        self._engine: Engine | None = None

    @contextlib.asynccontextmanager
    async def batch(self) -> AsyncIterator[_SqliteBatch]:
        if self._engine is None:
            self._engine = create_sync_sqlite_engine(self._url)
        pooled = self._engine.raw_connection()
        try:
            dbapi: Any = pooled.driver_connection
            dbapi.execute("BEGIN IMMEDIATE")
            try:
                yield _SqliteBatch(dbapi)
            finally:
                if dbapi.in_transaction:  # not committed (an exception, or no write): nothing of the batch stays
                    dbapi.execute("ROLLBACK")
        finally:
            pooled.close()

    async def close(self) -> None:
        engine, self._engine = self._engine, None
        if engine is not None:
            engine.dispose()


class _SqliteBatch:
    """One batch in the transaction its store began: `write` commits it."""

    def __init__(self, conn: Any) -> None:
        self._conn = conn
        self._stmts = SqlitePostStatements(conn)

    async def read(self, lookup: Lookup) -> BatchRows:
        return self._stmts.read(lookup)

    async def write(self, messages: Sequence[NewMessage], moves: Sequence[GroupMove]) -> list[Stored]:
        stored: list[Stored] = []
        if messages:
            ids = self._stmts.insert_and_move(messages, moves)
            stored = [(i, m.seq) for i, m in zip(ids, messages, strict=True)]
            reviews = [
                {**m.review, "target_id": str(i)} for i, m in zip(ids, messages, strict=True) if m.review is not None
            ]
            if reviews:
                self._stmts.insert_reviews(reviews)
        self._conn.execute("COMMIT")
        return stored
