"""Reading and writing call detail records."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from helpline.features.voice.models import CallRecordRow


@dataclass
class LegRecord:
    role: str  # caller, agent, customer
    call_id: str
    peer: str
    party: str  # number, agent id or SIP user
    started_at: float
    answered_at: float | None = None
    ended_at: float | None = None
    end_reason: str = ""
    rx_packets: int = 0  # RTP audio packets received from this party
    tx_packets: int = 0  # RTP packets sent to this party (prompts, music and the bridged party)
    relayed_packets: int = 0  # of those, packets relayed from the bridged party


@dataclass
class CallRecord:
    id: str
    tenant_id: str
    direction: str
    caller: str
    called: str
    started_at: float
    ended_at: float = 0.0
    interaction_id: str | None = None
    flow: str | None = None
    queue_id: str | None = None
    agent_id: str | None = None
    answered_at: float | None = None
    queued_at: float | None = None
    connected_at: float | None = None
    outcome: str = "unknown"
    end_reason: str = ""
    recording: str | None = None
    legs: list[LegRecord] = field(default_factory=list)
    ivr_path: list[str] = field(default_factory=list)

    def row(self) -> dict[str, Any]:
        data = asdict(self)
        data["legs"] = [asdict(leg) for leg in self.legs]
        return data


class CallRecordRepository:
    def __init__(self, db: AsyncEngine) -> None:
        self._db = db

    async def add(self, record: CallRecord) -> None:
        await self.add_many([record])

    async def add_many(self, records: list[CallRecord]) -> None:
        """Store several records in one transaction."""
        if not records:
            return
        async with self._db.begin() as conn:
            await conn.execute(insert(CallRecordRow), [r.row() for r in records])

    async def get(self, record_id: str) -> CallRecord | None:
        async with self._db.connect() as conn:
            row = (await conn.execute(select(CallRecordRow.__table__).where(CallRecordRow.id == record_id))).mappings().first()
        return None if row is None else _record(dict(row))

    async def for_interaction(self, tenant: str, interaction: str) -> list[CallRecord]:
        query = (
            select(CallRecordRow.__table__)
            .where(CallRecordRow.tenant_id == tenant, CallRecordRow.interaction_id == interaction)
            .order_by(CallRecordRow.started_at)
        )
        async with self._db.connect() as conn:
            rows = (await conn.execute(query)).mappings().all()
        return [_record(dict(r)) for r in rows]

    async def recent(self, tenant: str, limit: int = 100) -> list[CallRecord]:
        query = (
            select(CallRecordRow.__table__)
            .where(CallRecordRow.tenant_id == tenant)
            .order_by(CallRecordRow.started_at.desc())
            .limit(limit)
        )
        async with self._db.connect() as conn:
            rows = (await conn.execute(query)).mappings().all()
        return [_record(dict(r)) for r in rows]


def _record(row: dict[str, Any]) -> CallRecord:
    row["legs"] = [LegRecord(**leg) for leg in row["legs"]]
    return CallRecord(**row)
