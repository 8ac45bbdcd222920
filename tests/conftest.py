"""Shared fixtures.

Databases: ``db_engine`` is a migrated, empty database, once on SQLite (a file in the test's
temporary folder) and once on PostgreSQL (a fresh schema, dropped afterwards) when PostgreSQL
answers at ``HELPLINE_TEST_POSTGRES_URL``. When it does not, the PostgreSQL variants are skipped
with the reason and the run's summary says so.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from helpline.storage.engine import create_engine
from helpline.storage.migrate import upgrade

POSTGRES_URL = os.environ.get(
    "HELPLINE_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
DATABASES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@cache
def postgres_unreachable() -> str | None:
    """Why PostgreSQL cannot be used for tests, or None when it can."""
    where = make_url(POSTGRES_URL).render_as_string(hide_password=True)

    async def probe() -> None:
        engine = create_engine(POSTGRES_URL, pool_pre_ping=False)
        try:
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        finally:
            await engine.dispose()

    try:
        # A thread of its own: this may be asked from inside a running event loop.
        with ThreadPoolExecutor(1) as pool:
            pool.submit(asyncio.run, asyncio.wait_for(probe(), timeout=5)).result()
    except Exception as exc:  # any failure to connect means: skip, and say why
        return f"PostgreSQL not reachable at {where} ({type(exc).__name__}: {exc})"
    return None


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if postgres_unreachable.cache_info().currsize and (reason := postgres_unreachable()):
        terminalreporter.write_line(f"note: {reason}; the PostgreSQL variants were skipped.", yellow=True)


async def _fresh_engine(kind: str, tmp_path: Path) -> tuple[AsyncEngine, str | None]:
    if kind == "sqlite":
        return create_engine(f"sqlite+aiosqlite:///{tmp_path / 'db' / 'helpline.db'}"), None
    reason = postgres_unreachable()
    if reason:
        pytest.skip(reason)
    schema = f"test_{uuid.uuid4().hex[:16]}"
    admin = create_engine(POSTGRES_URL)
    try:
        async with admin.begin() as conn:
            await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    finally:
        await admin.dispose()
    engine = create_engine(POSTGRES_URL, connect_args={"server_settings": {"search_path": schema}})
    return engine, schema


async def _drop(schema: str | None) -> None:
    if schema is None:
        return
    admin = create_engine(POSTGRES_URL)
    try:
        async with admin.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    finally:
        await admin.dispose()


@pytest.fixture(params=DATABASES)
async def empty_db_engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """An engine on an empty database (never migrated), on each database kind."""
    engine, schema = await _fresh_engine(request.param, tmp_path)
    try:
        yield engine
    finally:
        await engine.dispose()
        await _drop(schema)


@pytest.fixture
async def db_engine(empty_db_engine: AsyncEngine) -> AsyncEngine:
    """An engine on a freshly migrated, empty database, on each database kind."""
    await upgrade(empty_db_engine)
    return empty_db_engine


def pytest_report_header(config: pytest.Config) -> str:
    from helpline import native

    if native.active():
        return "helpline core: compiled (build/native)"
    state = native.check(native.default_build_dir())
    return f"helpline core: interpreted ({state.problem or 'HELPLINE_NATIVE=0'})"

