"""The partition runner with a tiny core: group commit, commit-then-publish, refusals, timers,
recovery from the log."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import pytest

from helpline.runtime.clock import ManualClock
from helpline.runtime.fakes import MemoryEventLog
from helpline.runtime.partition import Partition


@dataclass
class _Decision:
    events: list[Any] = field(default_factory=list)
    commands: list[Any] = field(default_factory=list)


class CounterCore:
    """Counts inputs; 'bad' is refused; ('alarm', t) arms a deadline that emits 'rang'."""

    def __init__(self, state: dict[str, Any] | None = None) -> None:
        self.seen: list[str] = list((state or {}).get("seen", []))
        self.alarm: float | None = (state or {}).get("alarm")

    def handle(self, event: Any, now: float) -> _Decision:
        if event == "bad":
            raise ValueError("refused: bad")
        if isinstance(event, tuple) and event[0] == "alarm":
            fact = ("armed", event[1])
            self.apply(fact)
            return _Decision([fact])
        fact = ("seen", event)
        self.apply(fact)
        return _Decision([fact], [("tell-edge", event)])

    def on_timer(self, now: float) -> _Decision:
        if self.alarm is None or now < self.alarm:
            return _Decision()
        fact = ("rang", now)
        self.apply(fact)
        return _Decision([fact])

    def next_timer(self) -> float | None:
        return self.alarm

    def apply(self, fact: Any) -> None:
        kind, value = fact
        if kind == "seen":
            self.seen.append(value)
        elif kind == "armed":
            self.alarm = value
        elif kind == "rang":
            self.seen.append(f"rang@{value}")
            self.alarm = None

    def snapshot(self) -> dict[str, Any]:
        return {"seen": list(self.seen), "alarm": self.alarm}


class TupleCodec:
    def to_record(self, event: Any) -> tuple[float, str, dict[str, Any]]:
        return (0.0, event[0], {"value": event[1]})

    def from_record(self, kind: str, payload: dict[str, Any]) -> Any:
        return (kind, payload["value"])


def make(log: MemoryEventLog, clock: ManualClock, sink: list[Any] | None = None, **kw: Any) -> Partition:
    async def commands(tenant: str, cmds: Any) -> None:
        if sink is not None:
            sink.extend(cmds)

    return Partition(
        "acme",
        core_factory=CounterCore,
        restore=CounterCore,
        codec=TupleCodec(),
        log_port=log,
        clock=clock,
        commands=commands,
        **kw,
    )


async def test_inputs_are_committed_before_they_are_published() -> None:
    log, clock, sink = MemoryEventLog(), ManualClock(100.0), []
    p = make(log, clock, sink)
    published: list[tuple[int, Any]] = []

    def subscriber(tenant: str, facts: Any) -> None:
        # Every fact a subscriber sees is already in the log under its sequence number.
        for seq, fact in facts:
            assert any(r[0] == seq and r[2] == fact[0] for r in log.records["acme"])
        published.extend(facts)

    p.subscribe(subscriber)
    await p.start()
    try:
        await p.submit("a")
        await p.submit("b")
    finally:
        await p.stop()
    assert [f for _, f in published] == [("seen", "a"), ("seen", "b")]
    assert [s for s, _ in published] == [1, 2]
    assert sink == [("tell-edge", "a"), ("tell-edge", "b")]


async def test_a_burst_is_one_commit() -> None:
    log, clock = MemoryEventLog(), ManualClock()
    p = make(log, clock)
    await p.start()
    try:
        for i in range(50):
            p.post(str(i))
        await p.settle()
    finally:
        await p.stop()
    assert p.stats.facts == 50
    assert p.stats.commits < 5, p.stats.batch_sizes


async def test_a_refused_input_is_answered_and_the_partition_goes_on() -> None:
    log, clock = MemoryEventLog(), ManualClock()
    p = make(log, clock)
    await p.start()
    try:
        with pytest.raises(ValueError, match="refused: bad"):
            await p.submit("bad")
        p.post("bad")  # fire-and-forget refusal is only logged
        await p.submit("after")
    finally:
        await p.stop()
    assert p.core.seen == ["after"]  # type: ignore[attr-defined]
    assert p.stats.refused == 2


async def test_timers_are_driven_by_the_clock() -> None:
    log, clock = MemoryEventLog(), ManualClock(1000.0)
    p = make(log, clock)
    await p.start()
    try:
        await p.submit(("alarm", 1030.0))
        p.timer_due()  # early: nothing happens
        await p.settle()
        assert p.core.seen == []  # type: ignore[attr-defined]
        clock.set(1030.0)
        p.timer_due()
        await p.settle()
    finally:
        await p.stop()
    assert p.core.seen == ["rang@1030.0"]  # type: ignore[attr-defined]


async def test_the_armed_timer_fires_on_its_own() -> None:
    log, clock = MemoryEventLog(), ManualClock(0.0)
    p = make(log, clock)
    rang = asyncio.Event()
    p.subscribe(lambda tenant, facts: rang.set() if any(f[0] == "rang" for _, f in facts) else None)
    await p.start()
    try:
        clock.set(5.0)
        await p.submit(("alarm", 5.0))  # already due: armed with zero delay
        await asyncio.wait_for(rang.wait(), timeout=5)
    finally:
        await p.stop()


async def test_a_failed_commit_rebuilds_from_the_log_and_fails_the_submission() -> None:
    log, clock = MemoryEventLog(), ManualClock()
    p = make(log, clock)
    await p.start()
    try:
        await p.submit("kept")
        log.fail_next_append = OSError("disk full")
        with pytest.raises(OSError, match="disk full"):
            await p.submit("lost")
        await p.submit("next")
    finally:
        await p.stop()
    # The live state never ran ahead of the log.
    assert p.core.seen == ["kept", "next"]  # type: ignore[attr-defined]
    assert [r[3]["value"] for r in log.records["acme"]] == ["kept", "next"]


async def test_restart_rebuilds_live_state_from_snapshot_and_log() -> None:
    log, clock = MemoryEventLog(), ManualClock()
    p = make(log, clock, snapshot_every=3)
    await p.start()
    for name in "abcde":
        await p.submit(name)
    await p.stop()
    assert log.snapshots["acme"][0] == 3
    again = make(log, clock)
    await again.start()
    try:
        assert again.core.snapshot() == p.core.snapshot()
        assert again.last_seq == 5
    finally:
        await again.stop()
