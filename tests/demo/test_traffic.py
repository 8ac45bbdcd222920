"""The demo's synthetic traffic: its running tally of the calls it sees."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from rich.console import Console

from helpline.app import DEMO_CONFIG, make_partition
from helpline.core import inputs as I
from helpline.core.config import Channel
from helpline.demo.traffic import SyntheticTraffic, TrafficProfile
from helpline.features.config.loader import read_tenant_configs
from helpline.runtime.clock import ManualClock
from helpline.runtime.command_bus import CommandBus
from helpline.runtime.fakes import MemoryEventLog


async def test_the_tally_counts_offered_answered_and_abandoned_calls_and_their_mean_wait() -> None:
    config = read_tenant_configs(DEMO_CONFIG)[0]
    queue = config.queues[0]
    agent = next(a for a in config.agents if queue.id in a.queues)
    clock = ManualClock(datetime(2026, 11, 24, 11, 0, tzinfo=UTC).timestamp())
    bus = CommandBus()
    partition = make_partition(config, log_port=MemoryEventLog(), clock=clock, commands=bus)
    out = io.StringIO()
    # Synthetic agents that never pick up: the test answers for them, at the times it chooses.
    traffic = SyntheticTraffic(
        partition, config, bus, clock, profile=TrafficProfile(miss_ratio=1.0), console=Console(file=out, width=200)
    )
    await partition.start()
    try:
        for n in (1, 2):
            await partition.submit(I.InteractionArrived(f"c{n}", queue.id, channel=Channel.VOICE, customer="+1"))
        clock.advance(10.0)
        await partition.submit(I.InteractionAbandoned("c2"))
        clock.advance(20.0)
        await partition.submit(I.AgentLogin(agent.id))
        await partition.submit(I.OfferAccepted("c1", agent.id))
        Console(file=out, width=200).print(traffic.summary_table())
    finally:
        await traffic.stop()
        await partition.stop()
    row = next(line for line in out.getvalue().splitlines() if line.strip("│ ").startswith(queue.id))
    cells = [c.strip() for c in row.strip("│").split("│")]
    offered, answered, _sl, asa, abandoned = cells[4:9]
    assert (offered, answered, asa, abandoned) == ("2", "1", "30.0s", "1")


async def test_synthetic_agents_answer_only_the_calls_the_demo_made_up() -> None:
    config = read_tenant_configs(DEMO_CONFIG)[0]
    queue = config.queues[0]
    agent = next(a for a in config.agents if queue.id in a.queues)
    clock = ManualClock(datetime(2026, 11, 24, 11, 0, tzinfo=UTC).timestamp())
    bus = CommandBus()
    partition = make_partition(config, log_port=MemoryEventLog(), clock=clock, commands=bus)
    # Always answer, at once: any offer the generator takes up shows as a pending answer.
    traffic = SyntheticTraffic(
        partition,
        config,
        bus,
        clock,
        profile=TrafficProfile(miss_ratio=0.0, ring_s=(0.0, 0.0)),
        console=Console(file=io.StringIO()),
    )
    await partition.start()
    try:
        await partition.submit(I.AgentLogin(agent.id))
        # A real call from the voice edge, offered to the agent the demo also drives.
        await partition.submit(I.InteractionArrived("sip-call-1", queue.id, channel=Channel.VOICE))
        assert partition.core.interaction_state("sip-call-1").value == "offered"  # type: ignore[attr-defined]
        assert not any(key[0] == "sip-call-1" for key in traffic._pending)
    finally:
        await traffic.stop()
        await partition.stop()
