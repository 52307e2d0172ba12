"""What the message writer needs from the database, and the one place that picks it by dialect.

A batch of posts is one `async with store.batch() as tx:` holding one `tx.read(lookup)` (the groups, the senders'
memberships and standing, the current agreement version, earlier posts under the same client ids) and one
`tx.write(messages, moves)`, which stores the planned messages, their review items and the groups' new sequences
atomically and commits. Leaving the block without a write (an exception) stores nothing of the batch. What to write
is decided between the two, above storage (services/posting/plan.py); a store calls nothing above it.

- SQLite (post_store_sqlite.py): a plain sqlite3 connection; the batch is one `BEGIN IMMEDIATE ... COMMIT`.
- PostgreSQL (post_store_pg.py): its own asyncpg connection; an unlocked read, then one statement that numbers and
  inserts the messages and commits (with the review items, one transaction).

Each has its own few statements taking every list as one array parameter (docs/decisions/0006). Both are used from
the message writer's own thread and event loop (services/posting/loop_thread.py): the SQLite calls block, and the
asyncpg connection belongs to the loop that opened it.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from typing import Protocol

from qunzu.storage.post_rows import BatchRows, GroupMove, Lookup, NewMessage, Stored
from qunzu.storage.post_store_pg import PgPostStore
from qunzu.storage.post_store_sqlite import SqlitePostStore
from qunzu.storage.uow import Database


class PostBatch(Protocol):
    async def read(self, lookup: Lookup) -> BatchRows:
        """The batch's groups, its senders who are members of them with their standing, and earlier posts."""
        ...

    async def write(self, messages: Sequence[NewMessage], moves: Sequence[GroupMove]) -> list[Stored]:
        """Store `messages` (and their review items), move the groups' sequences, commit: all or nothing.
        For each message, in order, (id, seq), or None if its group was closed since the read."""
        ...


class PostStore(Protocol):
    def batch(self) -> AbstractAsyncContextManager[PostBatch]:
        """One batch: a read, then a write. Leaving without a write, or by an exception, stores nothing."""
        ...

    async def close(self) -> None:
        """Let go of the connection and the thread; the next batch opens them again."""
        ...


def open_post_store(db: Database) -> PostStore:
    """The post store for `db`'s dialect (no I/O yet: it connects on its first batch)."""
    if db.is_sqlite:
        return SqlitePostStore(db)
    return PgPostStore(db.engine)
