"""The review engine of this process, kept in step with the lexicon in the database.

Every process polls the newest lexicon version every `poll_seconds` (2 s by default) and rebuilds its engine off the
event loop when it changed, so a lexicon change reaches every process within 5 seconds, with or without Redis; the
process that made the change refreshes at once. The compiled automata are cached on disk by content hash, so a
restart or a rebuild of a known lexicon takes about a second.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime
from importlib import resources
from pathlib import Path

import structlog
from sqlalchemy import func, insert, select

from qunzu.review import Lexicon, ReviewEngine, ScanResult
from qunzu.storage.tables import lexicons
from qunzu.storage.uow import Database

log = structlog.get_logger(__name__)


def starter_lexicon() -> str:
    return resources.files("qunzu.data").joinpath("lexicon", "starter.txt").read_text("utf-8")


async def ensure_lexicon(db: Database, *, now: datetime) -> None:
    """A fresh deployment starts with the starter lexicon as version 1."""
    async with db.uow() as uow:
        if (await uow.conn.execute(select(func.count()).select_from(lexicons))).scalar_one():
            return
        content = starter_lexicon()
        lx = Lexicon.load_text(content.splitlines())
        await uow.conn.execute(
            insert(lexicons).values(
                version=1,
                content=content,
                content_hash=lx.content_hash,
                term_count=len(lx),
                note="starter lexicon",
                created_at=now,
                created_by=None,
            )
        )
        await uow.commit()


class ReviewRuntime:
    def __init__(self, db: Database, *, cache_dir: Path | None, poll_seconds: float = 2.0) -> None:
        self.db = db
        self.cache_dir = cache_dir
        self.poll_seconds = poll_seconds
        self.engine: ReviewEngine = ReviewEngine.build(Lexicon.from_entries([]))
        self.version = 0
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    def scan(self, text: str) -> ScanResult:
        return self.engine.scan(text)

    @property
    def lexicon_version(self) -> str:
        """What review records name: the lexicon version number and its content hash."""
        return f"v{self.version}:{self.engine.version[:12]}"

    async def refresh(self) -> bool:
        """Load the newest lexicon if it changed. Returns True when the engine was replaced."""
        async with self._lock:
            async with self.db.uow(write=False) as uow:
                newest = (await uow.conn.execute(select(func.max(lexicons.c.version)))).scalar_one_or_none()
                if newest is None or newest == self.version:
                    return False
                content = (
                    await uow.conn.execute(select(lexicons.c.content).where(lexicons.c.version == newest))
                ).scalar_one()
            engine = await asyncio.to_thread(self._build, content)
            self.engine, self.version = engine, newest
            log.info("lexicon_loaded", version=newest, terms=engine.term_count)
            return True

    def _build(self, content: str) -> ReviewEngine:
        return ReviewEngine.build(Lexicon.load_text(content.splitlines(), strict=False), cache_dir=self.cache_dir)

    async def start(self) -> None:
        await self.refresh()
        if self._task is None:
            self._task = asyncio.create_task(self._poll(), name="qunzu-lexicon-poll")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self.poll_seconds)
            try:
                await self.refresh()
            except Exception:  # a failed reload keeps the current engine; the next poll tries again
                log.exception("lexicon_reload_failed")
