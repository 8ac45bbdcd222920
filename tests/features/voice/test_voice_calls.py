"""Calls end to end with real peers on loopback: SIPp callers, baresip agents."""

from __future__ import annotations

import time
import wave
from pathlib import Path

import pytest
from voice_peers import BARESIP, SIPP, baresip_agent, contact_center, run_sipp, until

from helpline.core.agent import AgentState
from helpline.features.voice.repository import CallRecordRepository

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(SIPP is None, reason="SIPp is not installed (apt-get install sip-tester)"),
]
needs_baresip = pytest.mark.skipif(BARESIP is None, reason="baresip is not installed (apt-get install baresip-core)")


@needs_baresip
async def test_call_goes_through_the_ivr_and_queue_to_a_registered_agent(tmp_path: Path, shared_data: Path) -> None:
    async with contact_center(tmp_path, shared_data) as center:
        engine = center.helpline.partitions["acme"].core
        with baresip_agent(tmp_path / "ana", center.sip, talk_s=3.0):
            await until(lambda: engine.agent_state("ana") is not AgentState.OFFLINE, what="ana logged in by registering")
            code, errors = await run_sipp("caller_to_agent.xml", center.sip, tmp_path)
            assert code == 0, errors
            record = await center.voice.wait_for_record(lambda r: r.direction == "inbound")
    assert record.outcome == "completed" and record.agent_id == "ana"
    assert record.end_reason == "agent-hangup"
    assert "menu" in record.ivr_path and record.queue_id == "support"
    caller, agent = record.legs
    assert caller.party == "+31201234567" and agent.party == "ana"
    # Audio both ways: the caller's stream reached the agent, the agent's reached the caller.
    assert caller.rx_packets > 100 and agent.relayed_packets > 50
    assert agent.rx_packets > 50 and caller.relayed_packets > 50
    assert record.recording is not None
    with wave.open(record.recording) as w:
        assert w.getnchannels() == 2 and w.getnframes() > 8000 * 2
    assert {"interaction.created", "offer.accepted", "interaction.ended"} <= set(center.kinds())
    stored = await CallRecordRepository(center.helpline.db).for_interaction("acme", record.interaction_id or "")
    assert [r.id for r in stored] == [record.id]
    assert stored[0].legs[1].relayed_packets == agent.relayed_packets
    assert time.time() - record.ended_at < 60


async def test_caller_hanging_up_in_the_queue_abandons(tmp_path: Path, shared_data: Path) -> None:
    sip = {"queue_experience": {"announce_every_s": 20, "leave_when_empty": False}}
    async with contact_center(tmp_path, shared_data, sip=sip) as center:
        code, errors = await run_sipp("caller_abandons.xml", center.sip, tmp_path)
        assert code == 0, errors
        record = await center.voice.wait_for_record(lambda r: r.direction == "inbound")
        await center.helpline.partitions["acme"].settle()
    assert record.outcome == "abandoned" and record.end_reason == "remote-bye"
    assert record.interaction_id is not None and record.queued_at is not None
    assert "interaction.abandoned" in center.kinds()
