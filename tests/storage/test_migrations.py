from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncEngine

from helpline.storage.engine import create_engine
from helpline.storage.migrate import current_revision, downgrade, head_revision, migrate, upgrade
from helpline.storage.schema import metadata


async def test_given_an_empty_database_when_upgraded_then_every_table_exists(
    empty_db_engine: AsyncEngine,
) -> None:
    assert await current_revision(empty_db_engine) is None
    await upgrade(empty_db_engine)
    assert await current_revision(empty_db_engine) == head_revision()
    async with empty_db_engine.connect() as conn:
        tables = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
    assert set(metadata.tables) <= tables


async def test_upgrading_twice_changes_nothing(db_engine: AsyncEngine) -> None:
    await upgrade(db_engine)
    assert await current_revision(db_engine) == head_revision()


async def test_the_migrations_match_the_models(db_engine: AsyncEngine) -> None:
    def diff(conn: object) -> list[object]:
        context = MigrationContext.configure(conn, opts={"compare_type": True})  # type: ignore[arg-type]
        return list(compare_metadata(context, metadata))

    async with db_engine.connect() as conn:
        assert await conn.run_sync(diff) == []


async def test_migrate_creates_the_data_folder_and_a_wal_database(tmp_path: Path) -> None:
    db = tmp_path / "data" / "nested" / "helpline.db"
    url = f"sqlite+aiosqlite:///{db}"
    await migrate(url)
    assert db.is_file()
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            assert (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar() == "wal"
            assert (await conn.exec_driver_sql("PRAGMA foreign_keys")).scalar() == 1
        assert await current_revision(engine) == head_revision()
    finally:
        await engine.dispose()


async def test_upgrade_takes_a_url_too(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'helpline.db'}"
    await upgrade(url)
    engine = create_engine(url)
    try:
        assert await current_revision(engine) == head_revision()
    finally:
        await engine.dispose()


async def test_downgrading_to_base_removes_every_table_and_upgrading_restores_them(
    db_engine: AsyncEngine,
) -> None:
    async def tables() -> set[str]:
        async with db_engine.connect() as conn:
            return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))

    await downgrade(db_engine, "base")
    assert await current_revision(db_engine) is None
    assert not set(metadata.tables) & await tables()
    await upgrade(db_engine)
    assert set(metadata.tables) <= await tables()
