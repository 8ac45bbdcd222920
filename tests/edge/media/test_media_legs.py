"""Legs over real UDP on 127.0.0.1: bridging, recording, DTMF, source addresses, ports,
the no-media watchdog."""

from __future__ import annotations

import asyncio
import random
import socket
import wave
from pathlib import Path

import numpy as np
import pytest

from helpline.edge.media import (
    DtmfReceived,
    DtmfSource,
    MediaEngine,
    MediaPortsExhausted,
    PlayItem,
    RemotePolicy,
    RtpPortAllocator,
)
from helpline.edge.media.bridge import BridgeError
from helpline.protocols.rtp.g711 import G711, alaw_encode, ulaw_encode
from helpline.protocols.rtp.rfc4733 import dtmf_frames


def frames_of(data: bytes) -> list[bytes]:
    return [data[i : i + 160] for i in range(0, len(data), 160)]


def tone(freq: float, seconds: float) -> np.ndarray:
    t = np.arange(round(seconds * 8000)) / 8000
    return (8000 * np.sin(2 * np.pi * freq * t)).astype(np.int16)


def dominant_hz(samples: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(samples.astype(float)))
    return float(np.fft.rfftfreq(len(samples), 1 / 8000)[int(np.argmax(spectrum))])


async def test_bridged_legs_carry_audio_both_ways_in_each_legs_own_numbering(
    engine: MediaEngine, make_peer
) -> None:  # type: ignore[no-untyped-def]
    caller, agent = await make_peer(), await make_peer()
    a = await engine.open_leg(name="caller")
    b = await engine.open_leg(codec=G711.PCMA, name="agent")
    a.set_remote(*caller.address)
    b.set_remote(*agent.address)
    bridge = engine.bridge(a, b)
    with pytest.raises(BridgeError, match="already bridged"):
        engine.bridge(a, b)
    caller_audio = frames_of(ulaw_encode(tone(440, 0.2)))
    agent_audio = frames_of(alaw_encode(tone(1000, 0.2)))
    await asyncio.gather(
        caller.stream(a.local_address, 0, caller_audio), agent.stream(b.local_address, 8, agent_audio)
    )
    to_agent = await agent.wait_for_packets(10)
    to_caller = await caller.wait_for_packets(10)
    assert (a.stats.rx_packets, b.stats.rx_packets) == (10, 10)
    assert a.reception is not None and (a.reception.ssrc, a.reception.lost) == (caller.ssrc, 0)
    assert (len(to_agent), len(to_caller)) == (10, 10)
    # Each far end sees the leg's SSRC and payload type, continuous numbering, the source's pacing.
    assert {r.packet.ssrc for r in to_caller} == {a.ssrc} and {r.packet.payload_type for r in to_caller} == {
        0
    }
    assert {r.packet.ssrc for r in to_agent} == {b.ssrc} and {r.packet.payload_type for r in to_agent} == {8}
    for got in (to_caller, to_agent):
        seqs = [r.packet.sequence for r in got]
        stamps = [r.packet.timestamp for r in got]
        assert all((y - x) % 65536 == 1 for x, y in zip(seqs, seqs[1:], strict=False))
        assert all((y - x) % 2**32 == 160 for x, y in zip(stamps, stamps[1:], strict=False))
        assert got[0].packet.marker
    # A-law from the agent reaches the µ-law caller translated.
    assert [r.packet.payload for r in to_caller] == [
        G711.PCMA.transcode_to(G711.PCMU, f) for f in agent_audio
    ]
    assert [r.packet.payload for r in to_agent] == [
        G711.PCMU.transcode_to(G711.PCMA, f) for f in caller_audio
    ]
    bridge.close()
    assert a.peer is None and b.peer is None


async def test_recording_is_a_stereo_wav_with_caller_left_and_agent_right(
    engine: MediaEngine, make_peer, tmp_path: Path, until
) -> None:  # type: ignore[no-untyped-def]
    caller, agent = await make_peer(), await make_peer()
    a = await engine.open_leg(name="caller")
    b = await engine.open_leg(name="agent")
    a.set_remote(*caller.address)
    b.set_remote(*agent.address)
    engine.bridge(a, b)
    path = tmp_path / "calls" / "call-1.wav"
    recorder = a.record(path)
    # The caller talks from the start; the agent only after 0.3 s. Recording keeps them aligned.
    await asyncio.gather(
        caller.stream(a.local_address, 0, frames_of(ulaw_encode(tone(440, 0.8)))),
        agent.stream(b.local_address, 0, frames_of(ulaw_encode(tone(1000, 0.5))), start_delay=0.3),
    )
    await caller.wait_for_packets(25)
    # The file grows while the call goes on, not only at the end.
    await until(lambda: recorder.frames_written > 0)
    assert path.stat().st_size > 44
    assert a.stop_recording() == path
    with wave.open(str(path), "rb") as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (2, 2, 8000)
        pcm = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").reshape(-1, 2)
    assert 0.7 * 8000 < len(pcm) < 3 * 8000
    left, right = pcm[:, 0], pcm[:, 1]
    first_left = int(np.argmax(np.abs(left) > 100))
    first_right = int(np.argmax(np.abs(right) > 100))
    assert dominant_hz(left[first_left : first_left + 2000]) == pytest.approx(440, abs=5)
    assert dominant_hz(right[first_right : first_right + 2000]) == pytest.approx(1000, abs=5)
    # Silence fills the right channel until the agent spoke, 0.3 s into the call.
    assert 0.15 * 8000 < first_right - first_left < 0.6 * 8000
    assert not right[:first_right].any()
    assert np.count_nonzero(left) > 0.7 * 6400 and np.count_nonzero(right) > 0.7 * 4000


async def test_rfc4733_digits_from_a_real_sender_are_reported_once_each(
    engine: MediaEngine, make_peer, until
) -> None:  # type: ignore[no-untyped-def]
    phone = await make_peer()
    digits: list[DtmfReceived] = []
    leg = await engine.open_leg(telephone_event_pt=101, on_dtmf=digits.append)
    leg.set_remote(*phone.address)
    ts = phone.ts
    for digit in "1223#":
        frames = dtmf_frames(digit, duration_ms=80)
        sent = [frames[0], *frames]  # the start goes out twice; the ends are already three
        for f in sent:
            phone.send(leg.local_address, 101, f.payload, marker=f.marker, ts=ts)
        ts = (ts + 3200) & 0xFFFFFFFF
    phone.send(leg.local_address, 0, b"\xff" * 160, ts=ts)  # loopback keeps order: a barrier
    await until(lambda: leg.stats.rx_packets == 1)
    assert [d.digit for d in digits] == list("1223#")
    assert {d.source for d in digits} == {DtmfSource.RFC4733}
    leg.inject_dtmf("5")
    assert digits[-1] == DtmfReceived("5", DtmfSource.SIP_INFO)


async def test_packets_from_other_addresses_are_ignored(engine: MediaEngine, make_peer, until) -> None:  # type: ignore[no-untyped-def]
    phone, stranger = await make_peer(), await make_peer()
    digits: list[DtmfReceived] = []
    leg = await engine.open_leg(on_dtmf=digits.append)
    leg.set_remote(*phone.address)
    for f in dtmf_frames("9"):
        stranger.send(leg.local_address, 101, f.payload, marker=f.marker)
    stranger.send(leg.local_address, 0, b"\xff" * 160)
    phone.send(leg.local_address, 0, b"\xff" * 160)
    await until(lambda: leg.stats.rx_packets == 1)
    assert leg.stats.rx_wrong_source == len(dtmf_frames("9")) + 1 and digits == []


async def test_latching_follows_the_first_source_and_answers_it(
    engine: MediaEngine, make_peer, until
) -> None:  # type: ignore[no-untyped-def]
    behind_nat, later = await make_peer(), await make_peer()
    leg = await engine.open_leg(policy=RemotePolicy.LATCH)
    leg.set_remote("192.0.2.10", 4000)  # the private address a phone behind NAT announces
    behind_nat.send(leg.local_address, 0, b"\xff" * 160)
    await until(lambda: leg.stats.rx_packets == 1)
    later.send(leg.local_address, 0, b"\xff" * 160)
    behind_nat.send(leg.local_address, 0, b"\xff" * 160)
    await until(lambda: leg.stats.rx_packets == 2)
    assert leg.stats.rx_wrong_source == 1 and leg.remote == behind_nat.address
    leg.send_dtmf("1")
    got = await behind_nat.wait_for_packets(3)
    assert got[0].source == leg.local_address and later.received == []


async def test_a_hostname_is_refused_as_remote(engine: MediaEngine) -> None:
    leg = await engine.open_leg()
    with pytest.raises(ValueError, match="not an IP address"):
        leg.set_remote("phone.example", 4000)


async def test_no_media_timeout_fires_once_and_rearms_when_media_returns(
    engine: MediaEngine, make_peer
) -> None:  # type: ignore[no-untyped-def]
    phone = await make_peer()
    leg = await engine.open_leg()
    leg.set_remote(*phone.address)
    fired = asyncio.Event()
    calls = []

    def on_timeout(timed_out) -> None:  # type: ignore[no-untyped-def]
        calls.append(timed_out)
        fired.set()

    leg.watch_media(0.2, on_timeout)
    await asyncio.wait_for(fired.wait(), 5)
    assert calls == [leg]
    fired.clear()
    phone.send(leg.local_address, 0, b"\xff" * 160)
    await asyncio.wait_for(fired.wait(), 5)
    assert calls == [leg, leg] and leg.stats.rx_packets == 1
    leg.watch_media(None)
    assert not engine.ticker.running


def test_allocator_hands_out_even_ports_and_says_when_none_is_left() -> None:
    ports = RtpPortAllocator(10001, 10006)  # even ports with room for RTCP: 10002, 10004
    assert [ports.allocate(), ports.allocate()] == [10002, 10004]
    with pytest.raises(MediaPortsExhausted, match="all 2 RTP ports in 10001-10006"):
        ports.allocate()
    ports.release(10002)
    assert ports.allocate() == 10002
    with pytest.raises(ValueError, match="no even port"):
        RtpPortAllocator(10001, 10002)


async def test_engine_raises_when_ports_run_out_and_skips_ports_others_hold(until) -> None:  # type: ignore[no-untyped-def]
    held = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for base in random.sample(range(61000, 65000, 10), 50):  # outside the ephemeral range
        try:
            held.bind(("127.0.0.1", base))
            break
        except OSError:
            continue
    engine = MediaEngine("127.0.0.1", base, base + 5)  # even ports base, base+2, base+4
    try:
        first = await engine.open_leg()
        second = await engine.open_leg()
        assert {first.local_port, second.local_port} == {base + 2, base + 4}
        with pytest.raises(MediaPortsExhausted, match=f"no free RTP port in {base}-{base + 5}"):
            await engine.open_leg()
        first.close()
        await until(lambda: engine.ports.available == 2)  # the socket has closed
        again = await engine.open_leg()
        assert again.local_port == first.local_port
    finally:
        held.close()
        await engine.close()


async def test_engine_takes_its_port_range_from_the_settings() -> None:
    from helpline.settings import Settings

    settings = Settings(sip={"host": "127.0.0.1", "rtp_port_min": 61001, "rtp_port_max": 61010})
    engine = MediaEngine.from_settings(settings)
    try:
        assert (engine.ports.port_min, engine.ports.port_max, engine.ports.capacity) == (61001, 61010, 4)
    finally:
        await engine.close()


async def test_the_relay_keeps_the_sources_reordering_and_own_media_continues_after_the_newest(
    engine: MediaEngine, make_peer
) -> None:  # type: ignore[no-untyped-def]
    caller, agent = await make_peer(), await make_peer()
    a, b = await engine.open_leg(name="caller"), await engine.open_leg(name="agent")
    a.set_remote(*caller.address)
    b.set_remote(*agent.address)
    bridge = engine.bridge(a, b)
    first_seq, first_ts = 65534, 2**32 - 320  # both counters wrap within the burst
    for k in (0, 1, 3, 2):  # the fourth packet overtook the third on the way
        caller.seq = (first_seq + k) & 0xFFFF
        caller.send(a.local_address, 0, bytes([k + 1]) * 160, ts=(first_ts + 160 * k) % 2**32)
    got = await agent.wait_for_packets(4)
    base_seq, base_ts = got[0].packet.sequence, got[0].packet.timestamp
    assert [r.packet.payload[0] for r in got] == [1, 2, 4, 3]
    assert [(r.packet.sequence - base_seq) % 65536 for r in got] == [0, 1, 3, 2]
    assert [(r.packet.timestamp - base_ts) % 2**32 for r in got] == [0, 160, 480, 320]
    bridge.close()
    await asyncio.wait_for(b.play([PlayItem(bytes([0x7F]) * 160)]).done, 10)
    own = (await agent.wait_for_packets(5))[4].packet
    assert (own.sequence - base_seq) % 65536 == 4 and own.ssrc == got[0].packet.ssrc
