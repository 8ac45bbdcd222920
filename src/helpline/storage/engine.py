"""The database engine: one async SQLAlchemy engine per process, built from a URL.

SQLite (``sqlite+aiosqlite:///path``) is the embedded default and PostgreSQL
(``postgresql+asyncpg://...``) the production store; the same tables and code serve both.

SQLite specifics, and why:
- WAL journal, so readers (reports, the wallboard) never block the writer;
- ``synchronous=FULL``: a commit is on disk before the runtime publishes it (commit, then publish);
- foreign keys on, which SQLite leaves off by default;
- Python's sqlite3 module issues its own ``BEGIN`` lazily and hides transactional DDL; it is
  switched off and the engine emits ``BEGIN`` itself. A unit of work asks for ``BEGIN IMMEDIATE``
  (the ``sqlite_begin`` execution option) so that a transaction that reads and then writes waits
  for the write lock up front instead of failing with SQLITE_BUSY half-way.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

SQLITE_BUSY_TIMEOUT_MS = 10_000
WRITE_OPTIONS: dict[str, Any] = {"sqlite_begin": "IMMEDIATE"}


def create_engine(url: str | URL, *, echo: bool = False, **kwargs: Any) -> AsyncEngine:
    """An async engine for ``url``; for a SQLite file, its folder is created if missing."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed, echo=echo, **kwargs)
    kwargs.setdefault("pool_pre_ping", True)
    return create_async_engine(parsed, echo=echo, **kwargs)


def _sqlite_engine(url: URL, *, echo: bool, **kwargs: Any) -> AsyncEngine:
    database = url.database or ""
    in_memory = database in ("", ":memory:") or database.startswith("file::memory:")
    if not in_memory:
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(url, echo=echo, **kwargs)

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # the engine issues BEGIN itself (see below)
        cursor = dbapi_connection.cursor()
        if not in_memory:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine
