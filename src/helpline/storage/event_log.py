"""The append-only event log: every fact of a tenant, in order, numbered without gaps.

Each tenant has its own sequence: ``seq`` runs 1, 2, 3, ... with no gaps and no repeats, so a
reader that has seen up to ``n`` knows exactly what it missed. The next numbers are taken from
a per-tenant counter row that the appending transaction updates first: on PostgreSQL the row
lock serialises concurrent writers of one tenant (others proceed), and a rolled-back append
gives its numbers back. On SQLite a write transaction is exclusive anyway.

A batch (one turn of a partition's inbox) is one transaction: group commit. There is no update
or delete of events. Snapshots of a tenant's live state (tagged with the ``seq`` they include)
shorten the replay at start; they are a cache, and only the latest few are kept.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Sequence
from typing import Any, NamedTuple

from sqlalchemy import Double, ForeignKey, Index, String, UniqueConstraint, delete, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.orm import Mapped, mapped_column

from helpline.storage.base import Base, BigIdType, JsonType
from helpline.storage.engine import WRITE_OPTIONS

Record = tuple[float, str, dict[str, Any]]  # (at, kind, payload) as the core's codec makes them


class EventRow(Base):
    __tablename__ = "events"
    __table_args__ = (UniqueConstraint("tenant", "seq"),)

    id: Mapped[int] = mapped_column(BigIdType, primary_key=True, autoincrement=True)
    tenant: Mapped[str] = mapped_column(String(64), ForeignKey("event_counters.tenant"))
    seq: Mapped[int] = mapped_column(BigIdType)
    at: Mapped[float] = mapped_column(Double)  # when it happened (seconds since the epoch)
    kind: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JsonType)
    recorded_at: Mapped[float] = mapped_column(Double)  # when it was committed to the log


class EventCounterRow(Base):
    __tablename__ = "event_counters"

    tenant: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_seq: Mapped[int] = mapped_column(BigIdType, default=0)


class SnapshotRow(Base):
    __tablename__ = "snapshots"
    __table_args__ = (Index("ix_snapshots_tenant_seq", "tenant", "seq", unique=True),)

    id: Mapped[int] = mapped_column(BigIdType, primary_key=True, autoincrement=True)
    tenant: Mapped[str] = mapped_column(String(64))
    seq: Mapped[int] = mapped_column(BigIdType)
    data: Mapped[dict[str, Any]] = mapped_column(JsonType)
    taken_at: Mapped[float] = mapped_column(Double)


class EventRecord(NamedTuple):
    """One logged event as read back."""

    seq: int
    at: float
    kind: str
    payload: dict[str, Any]


async def append_events(conn: AsyncConnection, tenant: str, records: Sequence[Record]) -> list[int]:
    """Append ``records`` inside the caller's transaction; returns their sequence numbers."""
    if not records:
        return []
    await conn.execute(_insert_counter(conn, tenant))
    last = (
        await conn.execute(
            update(EventCounterRow)
            .where(EventCounterRow.tenant == tenant)
            .values(last_seq=EventCounterRow.last_seq + len(records))
            .returning(EventCounterRow.last_seq)
        )
    ).scalar_one()
    first = last - len(records) + 1
    now = time.time()
    rows = [
        {"tenant": tenant, "seq": first + i, "at": at, "kind": kind, "payload": payload, "recorded_at": now}
        for i, (at, kind, payload) in enumerate(records)
    ]
    await conn.execute(insert(EventRow), rows)
    return list(range(first, last + 1))


def _insert_counter(conn: AsyncConnection, tenant: str) -> Any:
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(EventCounterRow).values(tenant=tenant, last_seq=0).on_conflict_do_nothing()


class EventLog:
    """The event log of every tenant, over one engine."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._writer = engine.execution_options(**WRITE_OPTIONS)

    async def append(self, tenant: str, records: Sequence[Record]) -> list[int]:
        """Append a batch in one transaction; returns the batch's sequence numbers, in order."""
        if not records:
            return []
        async with self._writer.begin() as conn:
            return await append_events(conn, tenant, records)

    async def read(
        self, tenant: str, after_seq: int = 0, limit: int | None = None
    ) -> list[tuple[int, float, str, dict[str, Any]]]:
        """The tenant's events with ``seq > after_seq``, oldest first, at most ``limit``.

        Rows are ``(seq, at, kind, payload)``; they are ``EventRecord`` named tuples, and
        ``read_records`` says so in its type.
        """
        return [*await self.read_records(tenant, after_seq, limit)]

    async def read_records(
        self, tenant: str, after_seq: int = 0, limit: int | None = None
    ) -> list[EventRecord]:
        """Like ``read``, typed as ``EventRecord`` (``.seq``, ``.at``, ``.kind``, ``.payload``)."""
        query = (
            select(EventRow.seq, EventRow.at, EventRow.kind, EventRow.payload)
            .where(EventRow.tenant == tenant, EventRow.seq > after_seq)
            .order_by(EventRow.seq)
        )
        if limit is not None:
            query = query.limit(limit)
        async with self._engine.connect() as conn:
            result = await conn.execute(query)
            return [EventRecord(*row) for row in result]

    async def iterate(
        self, tenant: str, after_seq: int = 0, *, page: int = 1000
    ) -> AsyncIterator[EventRecord]:
        """Every event after ``after_seq``, read a page at a time (for long replays)."""
        while True:
            batch = await self.read_records(tenant, after_seq, limit=page)
            for record in batch:
                yield record
            if len(batch) < page:
                return
            after_seq = batch[-1].seq

    async def last_seq(self, tenant: str) -> int:
        """The sequence number of the tenant's newest event, 0 when it has none."""
        async with self._engine.connect() as conn:
            value = await conn.scalar(
                select(EventCounterRow.last_seq).where(EventCounterRow.tenant == tenant)
            )
        return int(value or 0)

    async def tenants(self) -> list[str]:
        """Every tenant that has logged at least one event."""
        async with self._engine.connect() as conn:
            result = await conn.execute(select(EventCounterRow.tenant).order_by(EventCounterRow.tenant))
            return list(result.scalars())

    async def save_snapshot(self, tenant: str, seq: int, data: dict[str, Any], *, keep: int = 3) -> None:
        """Store the tenant's state as of ``seq``; older snapshots beyond the newest ``keep`` go."""
        async with self._writer.begin() as conn:
            await conn.execute(
                delete(SnapshotRow).where(SnapshotRow.tenant == tenant, SnapshotRow.seq == seq)
            )
            await conn.execute(
                insert(SnapshotRow).values(tenant=tenant, seq=seq, data=data, taken_at=time.time())
            )
            kept = (
                select(SnapshotRow.seq)
                .where(SnapshotRow.tenant == tenant)
                .order_by(SnapshotRow.seq.desc())
                .limit(max(keep, 1))
            )
            await conn.execute(
                delete(SnapshotRow).where(SnapshotRow.tenant == tenant, SnapshotRow.seq.not_in(kept))
            )

    async def latest_snapshot(self, tenant: str) -> tuple[int, dict[str, Any]] | None:
        """The newest snapshot as ``(seq, data)``, or None."""
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(
                    select(SnapshotRow.seq, SnapshotRow.data)
                    .where(SnapshotRow.tenant == tenant)
                    .order_by(SnapshotRow.seq.desc())
                    .limit(1)
                )
            ).first()
        return None if row is None else (int(row[0]), dict(row[1]))
