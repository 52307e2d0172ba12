"""Running Alembic from code (the CLI and the tests use this; no alembic.ini needed)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import AsyncEngine

from qunzu.storage.engine import create_engine

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url)
    return cfg


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


async def upgrade(url: str, revision: str = "head") -> None:
    """Apply migrations up to `revision` on the database at `url`."""
    await _run(url, command.upgrade, revision)


async def downgrade(url: str, revision: str) -> None:
    """Revert migrations down to `revision` ("base": an empty database)."""
    await _run(url, command.downgrade, revision)


async def _run(url: str, step: Callable[[Config, str], None], revision: str) -> None:
    engine = create_engine(url, pool_size=0)
    try:
        async with engine.connect() as conn:
            await conn.run_sync(_step_sync, url, step, revision)
            await conn.commit()
    finally:
        await engine.dispose()


def _step_sync(connection: Any, url: str, step: Callable[[Config, str], None], revision: str) -> None:
    cfg = alembic_config(url)
    cfg.attributes["connection"] = connection
    step(cfg, revision)


async def current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as conn:
        return await conn.run_sync(lambda c: MigrationContext.configure(c).get_current_revision())


def run_upgrade(url: str) -> None:
    asyncio.run(upgrade(url))
