"""SQLite runs in WAL mode with foreign keys on and durable commits."""

from qunzu.storage.engine import create_engine


async def test_sqlite_pragmas(tmp_path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    try:
        async with engine.connect() as conn:
            mode = (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar()
            fks = (await conn.exec_driver_sql("PRAGMA foreign_keys")).scalar()
            sync = (await conn.exec_driver_sql("PRAGMA synchronous")).scalar()
    finally:
        await engine.dispose()
    assert (mode, fks, sync) == ("wal", 1, 2)
