from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from tests.conftest import PgServer, service_missing


@pytest.fixture(params=["sqlite", "postgres"])
async def server_db(request: pytest.FixtureRequest, tmp_path: Path, pg_server: PgServer | None) -> AsyncIterator[str]:
    """A database URL for server processes (migrated by the test through the CLI)."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'server.db'}"
        return
    if pg_server is None:
        service_missing("PostgreSQL at 127.0.0.1:5432")
    assert pg_server is not None
    yield PgServer.url(await pg_server.create_database("qunzu_sys"))
