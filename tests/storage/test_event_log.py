from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy.exc import StatementError
from sqlalchemy.ext.asyncio import AsyncEngine

from helpline.storage.event_log import EventLog, EventRecord
from helpline.storage.unit_of_work import UnitOfWork


def records(
    n: int, kind: str = "interaction.offered", start: float = 1000.0
) -> list[tuple[float, str, dict[str, Any]]]:
    return [
        (start + i, kind, {"n": i, "nested": {"queue": "tracking", "skills": ["english"]}}) for i in range(n)
    ]


async def test_append_numbers_each_tenant_from_one_without_gaps(db_engine: AsyncEngine) -> None:
    log = EventLog(db_engine)
    assert await log.append("parcelo", records(3)) == [1, 2, 3]
    assert await log.append("parcelo", records(1)) == [4]
    assert await log.append("acme", records(2)) == [1, 2]
    assert await log.append("parcelo", []) == []
    assert await log.last_seq("parcelo") == 4
    assert await log.last_seq("acme") == 2
    assert await log.last_seq("nobody") == 0
    assert await log.tenants() == ["acme", "parcelo"]


async def test_read_returns_what_was_appended_in_order(db_engine: AsyncEngine) -> None:
    log = EventLog(db_engine)
    batch = records(3)
    await log.append("parcelo", batch)
    got = await log.read_records("parcelo")
    assert got == [EventRecord(i + 1, at, kind, payload) for i, (at, kind, payload) in enumerate(batch)]
    assert await log.read("parcelo") == got
    seq, at, kind, payload = (await log.read("parcelo"))[0]  # the runtime unpacks rows as plain tuples
    assert (seq, at, kind, payload["nested"]["skills"]) == (1, 1000.0, "interaction.offered", ["english"])


async def test_read_after_seq_and_limit(db_engine: AsyncEngine) -> None:
    log = EventLog(db_engine)
    await log.append("parcelo", records(10))
    assert [r.seq for r in await log.read_records("parcelo", after_seq=7)] == [8, 9, 10]
    assert [r.seq for r in await log.read_records("parcelo", after_seq=2, limit=3)] == [3, 4, 5]
    assert await log.read_records("parcelo", after_seq=10) == []
    assert [r.seq async for r in log.iterate("parcelo", after_seq=1, page=4)] == list(range(2, 11))


async def test_tenants_do_not_see_each_others_events(db_engine: AsyncEngine) -> None:
    log = EventLog(db_engine)
    await log.append("parcelo", records(2, kind="parcelo.only"))
    await log.append("acme", records(3, kind="acme.only"))
    assert {r.kind for r in await log.read_records("parcelo")} == {"parcelo.only"}
    assert {r.kind for r in await log.read_records("acme")} == {"acme.only"}
    assert await log.read_records("other") == []


async def test_a_failed_append_leaves_no_gap_and_no_partial_batch(db_engine: AsyncEngine) -> None:
    log = EventLog(db_engine)
    await log.append("parcelo", records(2))
    unserialisable: list[tuple[float, str, dict[str, Any]]] = [
        (1.0, "ok", {"a": 1}),
        (2.0, "bad", {"a": object()}),
    ]
    with pytest.raises(StatementError, match="not JSON serializable"):
        await log.append("parcelo", unserialisable)
    assert await log.last_seq("parcelo") == 2
    assert await log.append("parcelo", records(1)) == [3]
    assert [r.seq for r in await log.read_records("parcelo")] == [1, 2, 3]


async def test_concurrent_writers_never_duplicate_or_skip_a_seq(db_engine: AsyncEngine) -> None:
    log = EventLog(db_engine)
    batches, size = 40, 3

    async def writer(name: str) -> list[int]:
        seqs: list[int] = []
        for i in range(batches):
            got = await log.append("parcelo", records(size, kind=name, start=float(i)))
            assert got == list(range(got[0], got[0] + size))  # a batch is contiguous
            seqs.extend(got)
        return seqs

    a, b = await asyncio.gather(writer("a"), writer("b"))
    total = 2 * batches * size
    assert sorted(a + b) == list(range(1, total + 1))
    stored = await log.read_records("parcelo")
    assert [r.seq for r in stored] == list(range(1, total + 1))
    assert sum(r.kind == "a" for r in stored) == batches * size
    assert await log.last_seq("parcelo") == total


async def test_snapshots_keep_the_latest_per_tenant(db_engine: AsyncEngine) -> None:
    log = EventLog(db_engine)
    assert await log.latest_snapshot("parcelo") is None
    for seq in (10, 20, 30, 40):
        await log.save_snapshot("parcelo", seq, {"agents": {"a1": "available"}, "upto": seq}, keep=2)
    await log.save_snapshot("acme", 5, {"upto": 5})
    assert await log.latest_snapshot("parcelo") == (40, {"agents": {"a1": "available"}, "upto": 40})
    assert await log.latest_snapshot("acme") == (5, {"upto": 5})
    await log.save_snapshot("parcelo", 40, {"upto": "again"})  # same seq: replaced, not duplicated
    assert await log.latest_snapshot("parcelo") == (40, {"upto": "again"})


async def test_a_unit_of_work_appends_in_its_transaction_and_publishes_after_commit(
    db_engine: AsyncEngine,
) -> None:
    log = EventLog(db_engine)
    published: list[int] = []
    with pytest.raises(RuntimeError):
        async with UnitOfWork(db_engine) as uow:
            await uow.append("parcelo", records(2))
            uow.after_commit(lambda: _record(published, 99))
            raise RuntimeError("the command failed")
    assert await log.last_seq("parcelo") == 0
    assert published == []

    async with UnitOfWork(db_engine) as uow:
        seqs = await uow.append("parcelo", records(2))
        uow.after_commit(lambda: _record(published, len(uow.appended["parcelo"])))
        assert published == []
    assert seqs == [1, 2]
    assert published == [2]
    assert [r.seq for r in await log.read_records("parcelo")] == [1, 2]


async def _record(into: list[int], value: int) -> None:
    into.append(value)
