"""The same media paths on uvloop, the loop production runs (the other tests use the stock one)."""

from __future__ import annotations

import asyncio
import random

import pytest

from helpline.edge.media import DtmfReceived, MediaEngine, PlayItem
from helpline.protocols.rtp.packet import RtpPacket
from helpline.protocols.rtp.rfc4733 import dtmf_frames

uvloop = pytest.importorskip("uvloop")


class Sink(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.packets: list[RtpPacket] = []
        self.transport: asyncio.DatagramTransport | None = None
        self.arrived = asyncio.Event()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.packets.append(RtpPacket.parse(data))
        self.arrived.set()


async def scenario() -> None:
    loop = asyncio.get_running_loop()
    base = random.randrange(61000, 65000, 200)
    engine = MediaEngine("127.0.0.1", base, base + 199)
    caller_t, caller = await loop.create_datagram_endpoint(Sink, local_addr=("127.0.0.1", 0))
    agent_t, agent = await loop.create_datagram_endpoint(Sink, local_addr=("127.0.0.1", 0))
    try:
        digits: list[DtmfReceived] = []
        a = await engine.open_leg(on_dtmf=digits.append)
        b = await engine.open_leg()
        a.set_remote(*caller_t.get_extra_info("sockname")[:2])
        b.set_remote(*agent_t.get_extra_info("sockname")[:2])
        playback = a.play([PlayItem(b"\x11" * 800)])
        assert await asyncio.wait_for(playback.done, 10) is True
        assert [p.payload for p in caller.packets] == [b"\x11" * 160] * 5
        engine.bridge(a, b)
        for i, f in enumerate(dtmf_frames("7")):
            caller_t.sendto(RtpPacket(101, i, 5000, 42, f.payload, f.marker).serialize(), a.local_address)
        caller_t.sendto(RtpPacket(0, 9, 5800, 42, b"\x22" * 160).serialize(), a.local_address)
        while not any(p.payload_type == 0 for p in agent.packets):
            agent.arrived.clear()
            await asyncio.wait_for(agent.arrived.wait(), 10)
        assert [d.digit for d in digits] == ["7"]
        assert agent.packets[-1].payload == b"\x22" * 160 and agent.packets[-1].ssrc == b.ssrc
        assert {p.payload_type for p in agent.packets[:-1]} == {101}  # the digit is relayed too
    finally:
        await engine.close()
        caller_t.close()
        agent_t.close()


def test_playback_bridge_and_dtmf_on_uvloop() -> None:
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(scenario())
