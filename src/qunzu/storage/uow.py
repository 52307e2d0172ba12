"""Unit of work: one transaction per use case; events collected in it leave only after commit."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from types import TracebackType
from typing import Any

import structlog
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from qunzu.errors import Unavailable
from qunzu.storage.engine import is_sqlite_url

log = structlog.get_logger(__name__)

Dispatcher = Callable[[list[Any]], Awaitable[None]]


class Database:
    """The engine plus what a unit of work needs: the dialect, a writer lock for SQLite, the event dispatcher."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.is_sqlite = is_sqlite_url(str(engine.url))
        # SQLite has one writer at a time; queue writers in-process instead of spinning on busy_timeout.
        self._write_lock = asyncio.Lock() if self.is_sqlite else None
        self.dispatcher: Dispatcher | None = None

    @contextlib.asynccontextmanager
    async def write_lock(self) -> AsyncIterator[None]:
        """Hold this process's SQLite writer slot (a no-op on PostgreSQL)."""
        if self._write_lock is None:
            yield
            return
        async with self._write_lock:
            yield

    def uow(self, *, write: bool = True) -> UnitOfWork:
        return UnitOfWork(self, write=write)

    async def ping(self) -> bool:
        try:
            async with self.engine.connect() as conn:
                await conn.exec_driver_sql("SELECT 1")
            return True
        except Exception:  # any failure means not ready
            return False

    async def dispose(self) -> None:
        await self.engine.dispose()


class UnitOfWork:
    """`async with db.uow() as uow: ...; await uow.commit()` — anything not committed is rolled back."""

    def __init__(self, db: Database, *, write: bool) -> None:
        self.db = db
        self.write = write
        self.events: list[Any] = []
        self._conn: AsyncConnection | None = None
        self._committed = False
        self._locked = False

    @property
    def conn(self) -> AsyncConnection:
        if self._conn is None:
            raise RuntimeError("unit of work not entered")
        return self._conn

    @property
    def dialect(self) -> str:
        return "sqlite" if self.db.is_sqlite else "postgresql"

    async def __aenter__(self) -> UnitOfWork:
        lock = self.db._write_lock
        if lock is not None and self.write:
            await lock.acquire()
            self._locked = True
        try:
            conn = await self.db.engine.connect()
            if self.db.is_sqlite:
                conn = await conn.execution_options(sqlite_begin="IMMEDIATE" if self.write else "DEFERRED")
            self._conn = conn
            await conn.begin()
        except (OperationalError, DBAPIError, OSError) as exc:
            await self._release()
            log.error("database_unavailable", error=str(exc.__class__.__name__))
            raise Unavailable("The database is not reachable") from exc
        except BaseException:
            await self._release()
            raise
        return self

    def collect(self, event: Any) -> None:
        """Queue an event for publication once (and only if) this transaction commits."""
        self.events.append(event)

    async def commit(self) -> None:
        await self.conn.commit()
        self._committed = True

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if self._conn is not None and not self._committed:
                await self._conn.rollback()
        finally:
            await self._release()
        if self._committed and self.events and self.db.dispatcher is not None:
            await self.db.dispatcher(self.events)

    async def _release(self) -> None:
        if self._conn is not None:
            await self._conn.close()
            self._conn = None
        if self._locked and self.db._write_lock is not None:
            self.db._write_lock.release()
            self._locked = False
