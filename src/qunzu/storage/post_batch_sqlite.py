"""The message writer's statements on SQLite, on the writer thread's own sqlite3 connection.

Lists travel as one JSON array bound to one parameter (`json_each(?)`), so each statement's text never changes and
sqlite3's statement cache keeps it prepared. It also keeps the planner on the indexes: the portable row-value form
`(group_id, sender_id, client_msg_id) IN (VALUES ...)` makes SQLite scan the whole messages table (measured: 5 ms
per batch at 50,000 messages, growing with the table), where a join on `json_each` is one index search per key.

Called in the writer thread only (`services/message_writer.MessageWriter._sqlite_batch`), inside the BEGIN IMMEDIATE
transaction that thread opened.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from qunzu.storage.post_batch import EARLIER_COLUMNS, MESSAGE_COLUMNS, REVIEW_COLUMNS

INSERT_COLUMNS = ("group_id", "seq", *MESSAGE_COLUMNS)

GROUPS_AND_SENDERS = """
SELECT g.id, g.code, g.status, g.last_seq, m.user_id, m.role, u.nickname, u.verification_level, u.agreement_version,
       (SELECT max(d.version) FROM documents d WHERE d.kind = ?) AS current_agreement
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
)

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

    def groups_and_senders(self, codes: Sequence[str], actors: Sequence[int], agreement_kind: str) -> list[Any]:
        params = (agreement_kind, json.dumps(list(codes)), json.dumps(list(actors)))
        cur = self._conn.execute(GROUPS_AND_SENDERS, params)
        return [dict(zip(READ_COLUMNS, row, strict=True)) for row in cur.fetchall()]

    def earlier(self, keys: Sequence[tuple[int, int, str]]) -> list[Any]:
        if not keys:
            return []
        cur = self._conn.execute(EARLIER, (json.dumps([list(k) for k in keys]),))
        out = []
        for row in cur.fetchall():
            rec = dict(zip(EARLIER_COLUMNS, row, strict=True))
            rec["created_at"] = from_stored(rec["created_at"])
            rec["deleted_at"] = from_stored(rec["deleted_at"])
            out.append(SimpleNamespace(**rec))
        return out

    def insert_and_move(
        self, rows: Sequence[dict[str, Any]], moved: Sequence[tuple[int, int]]
    ) -> dict[tuple[int, int, str], int]:
        """Insert the messages and set each moved group's last_seq; the new ids by (group, sender, client id)."""
        execute = self._conn.execute
        ids: dict[tuple[int, int, str], int] = {}
        for row in rows:
            values = [row[c] for c in INSERT_COLUMNS]
            values[7] = to_stored(values[7])
            ids[(row["group_id"], row["sender_id"], row["client_msg_id"])] = execute(INSERT, values).fetchone()[0]
        if moved:
            self._conn.executemany(MOVE, [(seq, gid) for gid, seq in moved])
        return ids

    def insert_reviews(self, rows: Sequence[dict[str, Any]]) -> None:
        """Queue review items (rows as `services.review.review_item_values` makes them)."""
        values = []
        for r in rows:
            row = [r[c] for c in REVIEW_COLUMNS]
            row[6], row[7], row[10] = json.dumps(list(row[6])), json.dumps(list(row[7])), to_stored(row[10])
            values.append(row)
        self._conn.executemany(INSERT_REVIEWS, values)
