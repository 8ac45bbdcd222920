"""In-memory implementations of the runtime's ports, for tests and for running without a store."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class MemoryEventLog:
    """An append-only log kept in memory, with the same contract as ``storage.event_log``."""

    def __init__(self) -> None:
        self.records: dict[str, list[tuple[int, float, str, dict[str, Any]]]] = {}
        self.snapshots: dict[str, tuple[int, dict[str, Any]]] = {}
        self.fail_next_append: Exception | None = None

    async def append(self, tenant: str, records: Sequence[tuple[float, str, dict[str, Any]]]) -> list[int]:
        if self.fail_next_append is not None:
            exc, self.fail_next_append = self.fail_next_append, None
            raise exc
        rows = self.records.setdefault(tenant, [])
        start = rows[-1][0] if rows else 0
        seqs = []
        for i, (at, kind, payload) in enumerate(records, start=1):
            rows.append((start + i, at, kind, dict(payload)))
            seqs.append(start + i)
        return seqs

    async def read(
        self, tenant: str, after_seq: int = 0, limit: int | None = None
    ) -> list[tuple[int, float, str, dict[str, Any]]]:
        rows = [r for r in self.records.get(tenant, []) if r[0] > after_seq]
        return rows if limit is None else rows[:limit]

    async def save_snapshot(self, tenant: str, seq: int, data: dict[str, Any]) -> None:
        self.snapshots[tenant] = (seq, data)

    async def latest_snapshot(self, tenant: str) -> tuple[int, dict[str, Any]] | None:
        return self.snapshots.get(tenant)
