"""The Alembic migrations and the SQLAlchemy models agree, on both databases; downgrade and upgrade round-trip."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from qunzu.storage.engine import create_engine
from qunzu.storage.migrate import downgrade, head_revision, upgrade
from qunzu.storage.tables import metadata


def _not_a_partition(name: str | None, type_: str, parent_names: object) -> bool:
    """The monthly partitions of operation_log on PostgreSQL (migration 0012) are not tables of the model."""
    return not (type_ == "table" and name is not None and name.startswith("operation_log_"))


async def _diff(url: str) -> list:
    engine = create_engine(url, pool_size=0)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(
                lambda c: compare_metadata(
                    MigrationContext.configure(c, opts={"compare_type": True, "include_name": _not_a_partition}),
                    metadata,
                )
            )
    finally:
        await engine.dispose()


async def _revision(url: str) -> str | None:
    engine = create_engine(url, pool_size=0)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(lambda c: MigrationContext.configure(c).get_current_revision())
    finally:
        await engine.dispose()


async def test_models_and_migrations_agree(database_url: str) -> None:
    assert await _diff(database_url) == []
    assert await _revision(database_url) == head_revision()


async def test_downgrade_to_base_and_back(database_url: str) -> None:
    await downgrade(database_url, "base")
    assert await _revision(database_url) is None
    await upgrade(database_url)
    assert await _diff(database_url) == []
