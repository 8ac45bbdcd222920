"""Calls end to end with real peers on loopback: SIPp callers, baresip agents."""

from __future__ import annotations

import asyncio
import time
import wave
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from voice_peers import (
    BARESIP,
    SIPP,
    TENANT,
    ShiftedClock,
    baresip_agent,
    contact_center,
    file_size,
    free_port,
    run_sipp,
    until,
)

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
        await center.helpline.partitions["acme"].settle()
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



async def test_a_trunk_call_with_a_late_offer_is_queued_with_media_both_ways(tmp_path: Path, shared_data: Path) -> None:
    sip = {"queue_experience": {"announce_every_s": 20, "leave_when_empty": False}}
    async with contact_center(tmp_path, shared_data, sip=sip) as center:
        code, errors = await run_sipp("caller_late_offer.xml", center.sip, tmp_path, service="200")
        assert code == 0, errors
        record = await center.voice.wait_for_record(lambda r: r.direction == "inbound")
        await center.helpline.partitions["acme"].settle()
    assert record.outcome == "abandoned" and record.end_reason == "remote-bye" and record.queue_id == "sales"
    assert record.legs[0].rx_packets > 25 and record.legs[0].tx_packets > 25

@needs_baresip
async def test_callback_keeps_the_place_then_rings_the_agent_and_dials_the_customer(
    tmp_path: Path, shared_data: Path
) -> None:
    trunk_port = free_port()
    sip = {
        "queue_experience": {"announce_every_s": 20, "leave_when_empty": False},
        "trunks": {"loopback": {"allow_from": ["127.0.0.1"]}, "carrier": {"address": f"127.0.0.1:{trunk_port}"}},
        "default_trunk": "carrier",
    }
    async with contact_center(tmp_path, shared_data, sip=sip) as center:
        engine = center.helpline.partitions["acme"].core
        code, errors = await run_sipp("caller_asks_callback.xml", center.sip, tmp_path)
        assert code == 0, errors
        first = await center.voice.wait_for_record(lambda r: r.direction == "inbound")
        assert first.outcome == "callback-requested" and first.interaction_id is not None
        assert engine.position(first.interaction_id) == 1  # still in line, without the caller on hold
        # The customer's phone behind the trunk answers; then the agent comes online.
        customer = asyncio.create_task(run_sipp("uas", None, tmp_path, port=trunk_port, name="customer"))
        with baresip_agent(tmp_path / "ana", center.sip, talk_s=5.0):
            callback = await center.voice.wait_for_record(lambda r: r.direction == "callback", limit=40)
        code, errors = await customer
        assert code == 0, errors
        await center.helpline.partitions["acme"].settle()
    assert callback.interaction_id == first.interaction_id and callback.agent_id == "ana"
    assert callback.outcome == "completed" and callback.called == "+31207654321"
    agent, dialed = callback.legs
    assert dialed.role == "customer" and dialed.party == "+31207654321" and dialed.answered_at is not None
    assert agent.answered_at is not None and agent.answered_at <= dialed.started_at
    assert callback.recording is not None and file_size(callback.recording) > 44
    assert {"interaction.callback_requested", "offer.accepted", "interaction.ended"} <= set(center.kinds())


async def test_parcel_line_looks_the_parcel_up_over_http(tmp_path: Path, shared_data: Path) -> None:
    from helpline.app import DEMO_FLOWS
    from helpline.demo.tracking_service import TrackingService
    from helpline.features.flows.loader import load_flow

    tuesday_morning = datetime(2026, 11, 24, 11, 0, tzinfo=ZoneInfo("Europe/Amsterdam")).timestamp()
    tenant = TENANT.replace("id: support\n", "id: tracking\n").replace("queues: [support, sales]", "queues: [tracking, sales]")
    for queue in ("billing", "claims"):
        tenant = tenant.replace("queues:\n  - id: tracking", f"queues:\n  - id: {queue}\n    channels: [voice]\n  - id: tracking")
        tenant = tenant.replace("queues: [tracking, sales]", f"queues: [tracking, sales, {queue}]")
    async with TrackingService(port=0) as tracking:
        flow = load_flow(DEMO_FLOWS / "parcelo.yaml", constants={"tracking_url": tracking.url}).flow
        sip = {"dids": {"1000": {"tenant": "acme", "flow": "parcelo"}}}
        async with contact_center(tmp_path, shared_data, sip=sip, flows={"parcelo": flow},
                                  clock=ShiftedClock(tuesday_morning), tenant=tenant) as center:
            code, errors = await run_sipp("caller_tracks_parcel.xml", center.sip, tmp_path, service="1000")
            assert code == 0, errors
            record = await center.voice.wait_for_record(lambda r: r.direction == "inbound")
    assert record.ivr_path[:5] == ["check_hours", "welcome", "main_menu", "ask_number", "lookup"]
    assert "say_eta" in record.ivr_path and record.ivr_path[-2:] == ["goodbye", "end"]
    assert record.outcome == "ivr" and record.end_reason == "caller served by the IVR"


async def test_a_wrong_password_registers_nothing(tmp_path: Path, shared_data: Path) -> None:
    async with contact_center(tmp_path, shared_data) as center:
        code, errors = await run_sipp("register_wrong_password.xml", center.sip, tmp_path)
        assert code == 0, errors
        assert center.voice.endpoint.registrar.contacts("ana", time.time()) == []
        assert center.voice.endpoint.registrar.failures == 1
        await center.helpline.partitions["acme"].settle()
        assert "agent.logged_in" not in center.kinds()


async def test_an_unanswered_agent_phone_is_cancelled_when_the_offer_times_out(
    tmp_path: Path, shared_data: Path
) -> None:
    sip = {"queue_experience": {"announce_every_s": 20, "leave_when_empty": False}}
    async with contact_center(tmp_path, shared_data, sip=sip) as center:
        engine = center.helpline.partitions["acme"].core
        phone_port = free_port()
        phone = asyncio.create_task(
            run_sipp("agent_rings_unanswered.xml", None, tmp_path, port=phone_port, name="phone")
        )
        code, errors = await run_sipp(
            "register_agent.xml", center.sip, tmp_path, extra=["-set", "phone", str(phone_port)], name="register"
        )
        assert code == 0, errors
        await until(lambda: engine.agent_state("ben") is not AgentState.OFFLINE, what="ben logged in")
        code, errors = await run_sipp("caller_abandons.xml", center.sip, tmp_path, service="200")
        assert code == 0, errors
        code, errors = await phone
        assert code == 0, errors  # it saw INVITE, rang, got CANCEL, answered 487 and got the ACK
        record = await center.voice.wait_for_record(lambda r: r.direction == "inbound")
        await center.helpline.partitions["acme"].settle()
    assert record.outcome == "abandoned"
    assert {"interaction.offered", "offer.timed_out", "interaction.abandoned"} <= set(center.kinds())


async def test_a_call_over_tcp(tmp_path: Path, shared_data: Path) -> None:
    async with contact_center(tmp_path, shared_data) as center:
        code, errors = await run_sipp("uac", center.sip, tmp_path, extra=["-t", "t1", "-d", "1500"])
        assert code == 0, errors
        record = await center.voice.wait_for_record(lambda r: r.direction == "inbound")
    assert record.answered_at is not None and record.outcome == "ivr-hangup"
    assert record.ivr_path == ["menu"] and record.legs[0].tx_packets > 25
