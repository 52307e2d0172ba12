"""The review engine of this process, kept in step with the lexicon in the database.

Every process polls the newest lexicon version every `poll_seconds` (2 s by default) and rebuilds its engine off the
event loop when it changed, so a lexicon change reaches every process within 5 seconds, with or without Redis; the
process that made the change refreshes at once. The compiled automata are cached on disk by content hash, so a
restart or a rebuild of a known lexicon takes about a second.

It also holds the content bans (R-10-3): the SHA-256 of every text confirmed illegal, normalised as the engine sees
it (`ban_digest`), so the same text, or one that normalises to the same (full width, traditional forms, separators),
is refused anywhere it is screened. Every process checks the bans' version (row count and newest id) every
`ban_poll_seconds` (1 s), so processes agree within a second or two; the process that bans refreshes at once. A post
pays one normalisation and one hash, and nothing while there are no bans.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from datetime import datetime
from importlib import resources
from pathlib import Path

import structlog
from sqlalchemy import func, insert, select

from qunzu.review import Lexicon, ReviewEngine, ScanResult
from qunzu.storage.tables import content_bans, lexicons
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
    def __init__(
        self, db: Database, *, cache_dir: Path | None, poll_seconds: float = 2.0, ban_poll_seconds: float = 1.0
    ) -> None:
        self.db = db
        self.cache_dir = cache_dir
        self.poll_seconds = poll_seconds
        self.ban_poll_seconds = ban_poll_seconds
        self._bans: dict[str, str] = {}  # SHA-256 of the normalised text -> its taxonomy category
        self._bans_version: tuple[int, int] = (0, 0)  # (rows, newest id) when last loaded
        self._ban_task: asyncio.Task[None] | None = None
        self.engine: ReviewEngine = ReviewEngine.build(Lexicon.from_entries([]))
        self.version = 0
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    def scan(self, text: str) -> ScanResult:
        return self.engine.scan(text)

    def ban_digest(self, text: str) -> str:
        """The key of a content ban: the SHA-256 of the text as the review engine normalises it."""
        return hashlib.sha256(self.engine.normalize(text).encode("utf-8")).hexdigest()

    def banned(self, text: str) -> str | None:
        """The category of the ban `text` falls under, or None (free while there are no bans)."""
        bans = self._bans
        return bans.get(self.ban_digest(text)) if bans else None

    async def refresh_bans(self) -> bool:
        """Reload the banned hashes if they changed. Returns True when they were reloaded."""
        async with self.db.uow(write=False) as uow:
            count, newest = (
                await uow.conn.execute(select(func.count(), func.max(content_bans.c.id)).select_from(content_bans))
            ).one()
            version = (int(count), int(newest or 0))
            if version == self._bans_version:
                return False
            rows = await uow.conn.execute(select(content_bans.c.text_sha256, content_bans.c.category))
            self._bans = {r.text_sha256: r.category for r in rows}
        self._bans_version = version
        return True

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
        await self.refresh_bans()
        if self._task is None:
            self._task = asyncio.create_task(self._poll(), name="qunzu-lexicon-poll")
        if self._ban_task is None:
            self._ban_task = asyncio.create_task(self._poll_bans(), name="qunzu-ban-poll")

    async def stop(self) -> None:
        task, self._task = self._task, None
        ban_task, self._ban_task = self._ban_task, None
        for t in (task, ban_task):
            if t is not None:
                t.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await t

    async def _poll_bans(self) -> None:
        while True:
            await asyncio.sleep(self.ban_poll_seconds)
            try:
                await self.refresh_bans()
            except Exception:  # a failed reload keeps the bans held; the next poll tries again
                log.exception("content_bans_reload_failed")

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self.poll_seconds)
            try:
                await self.refresh()
            except Exception:  # a failed reload keeps the current engine; the next poll tries again
                log.exception("lexicon_reload_failed")
