"""Call detail records in the store (SQLite and PostgreSQL), and the spoken numbers of the
queue announcements."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from helpline.features.voice.prompts import number_words
from helpline.features.voice.repository import CallRecord, CallRecordRepository, LegRecord


async def test_call_records_round_trip_with_their_legs(db_engine: AsyncEngine) -> None:
    repo = CallRecordRepository(db_engine)
    record = CallRecord(
        id="c1", tenant_id="acme", direction="inbound", caller="+3120", called="100", started_at=10.0,
        ended_at=70.0, interaction_id="i1", flow="support", queue_id="support", agent_id="ana",
        answered_at=10.5, queued_at=12.0, connected_at=20.0, outcome="completed", end_reason="agent-hangup",
        recording="/data/recordings/acme/i1.wav",
        legs=[LegRecord("caller", "x@h", "127.0.0.1:5062", "+3120", 10.0, 10.5, 70.0, "local-bye", 3000, 2900, 2500),
              LegRecord("agent", "y@h", "127.0.0.1:5080", "ana", 18.0, 20.0, 70.0, "remote-bye", 2500, 2500, 2499)],
        ivr_path=["menu", "to_support"],
    )
    await repo.add(record)
    await repo.add(CallRecord(id="c2", tenant_id="acme", direction="inbound", caller="+3121", called="100",
                              started_at=80.0, ended_at=90.0, outcome="abandoned"))
    await repo.add(CallRecord(id="c3", tenant_id="other", direction="inbound", caller="+3122", called="100",
                              started_at=85.0, ended_at=95.0, interaction_id="i1"))
    assert await repo.get("c1") == record
    assert await repo.for_interaction("acme", "i1") == [record]
    assert [r.id for r in await repo.recent("acme")] == ["c2", "c1"]
    assert await repo.get("nope") is None


def test_numbers_are_spoken_as_words_rendered_once_each() -> None:
    assert number_words(0) == ["zero"]
    assert number_words(17) == ["seventeen"]
    assert number_words(40) == ["forty"]
    assert number_words(347) == ["three", "hundred", "and", "forty", "seven"]
    assert number_words(1200) == ["one", "thousand", "two", "hundred"]
    words = {w for n in range(1000) for w in number_words(n)}
    assert len(words) <= 30
