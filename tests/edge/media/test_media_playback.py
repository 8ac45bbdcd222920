"""Playing prompts and music over real UDP: pacing, continuity, playlists, DTMF sending."""

from __future__ import annotations

import asyncio
import socket

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from helpline.edge.media import MediaEngine, PlayItem
from helpline.edge.media.player import Playback, Player
from helpline.protocols.rtp.g711 import G711, ulaw_encode
from helpline.protocols.rtp.rfc4733 import DtmfDetector


def tone_ulaw(freq: float, seconds: float, level: int = 8000) -> bytes:
    t = np.arange(round(seconds * 8000)) / 8000
    return ulaw_encode((level * np.sin(2 * np.pi * freq * t)).astype(np.int16))


async def test_a_prompt_is_sent_every_20_ms_with_continuous_numbering(engine: MediaEngine, make_peer) -> None:  # type: ignore[no-untyped-def]
    peer = await make_peer()
    leg = await engine.open_leg()
    leg.set_remote(*peer.address)
    prompt = tone_ulaw(440, 0.5)
    playback = leg.play([PlayItem(prompt, name="welcome")])
    assert await asyncio.wait_for(playback.done, 10) is True
    got = await peer.wait_for_packets(25)
    packets = [r.packet for r in got]
    assert len(packets) == 25
    assert {p.ssrc for p in packets} == {leg.ssrc} and {p.payload_type for p in packets} == {0}
    assert all((b.sequence - a.sequence) % 65536 == 1 for a, b in zip(packets, packets[1:], strict=False))
    assert all((b.timestamp - a.timestamp) % 2**32 == 160 for a, b in zip(packets, packets[1:], strict=False))
    assert [p.marker for p in packets] == [True] + [False] * 24
    assert b"".join(p.payload for p in packets) == prompt
    # Paced, not dumped: the 25 packets span most of their 480 ms (generous for a busy machine).
    assert got[-1].at - got[0].at > 0.24
    assert not engine.ticker.running  # nothing left to send: the ticker sleeps


async def test_ticker_deadlines_are_absolute(engine: MediaEngine) -> None:
    ticker = engine.ticker
    seen: list[float] = []
    finished = asyncio.Event()

    class Counter:
        def on_tick(self, now: float) -> None:
            seen.append(now)
            if len(seen) == 20:
                ticker.discard(self)
                finished.set()

    counter = Counter()
    ticker.add(counter)
    await asyncio.wait_for(finished.wait(), 10)
    # Every tick ran at or after its own deadline start + n * 20 ms, never before.
    assert all(now >= ticker.deadline(n) - 0.002 for n, now in enumerate(seen))
    assert abs(ticker.deadline(19) - ticker.deadline(0) - 19 * 0.020) < 1e-9
    assert not ticker.running


async def test_prompt_then_music_then_announcement_resumes_the_music(engine: MediaEngine, make_peer) -> None:  # type: ignore[no-untyped-def]
    peer = await make_peer()
    leg = await engine.open_leg(codec=G711.PCMA)
    leg.set_remote(*peer.address)
    prompt = bytes([0x10]) * 320  # two frames
    music = bytes(range(0x20, 0x20 + 100)) * 4  # 400 bytes: frames straddle the loop point
    first = leg.play([PlayItem(prompt), PlayItem(music, loop=True)])
    await peer.wait_for_packets(5)
    note = leg.announce([PlayItem(bytes([0x50]) * 160)])
    assert await asyncio.wait_for(note.done, 10) is True
    count = len(peer.received)
    await peer.wait_for_packets(count + 3)
    leg.stop_playback()
    assert await asyncio.wait_for(first.done, 10) is False
    # Prompts are stored as µ-law; an A-law leg sends them translated.
    sent = b"".join(r.packet.payload for r in peer.received)
    assert {r.packet.payload_type for r in peer.received} == {8}
    assert sent.startswith(G711.PCMA.from_ulaw(prompt))
    announcement = sent.index(G711.PCMA.from_ulaw(bytes([0x50]) * 160))
    # Music before and after the announcement is one unbroken loop.
    music_heard = sent[320:announcement] + sent[announcement + 160 :]
    assert len(music_heard) >= 5 * 160
    assert G711.PCMA.from_ulaw(music * 10).startswith(music_heard)


async def test_play_replaces_and_reports_the_replaced_playback_as_not_completed() -> None:
    player = Player(asyncio.get_running_loop())
    first = player.play([PlayItem(b"\x01" * 500, loop=True)])
    second = player.play([PlayItem(b"\x02" * 170)])
    assert first.done.result() is False
    frames = [player.next_frame(), player.next_frame(), player.next_frame()]
    assert frames[0] == b"\x02" * 160
    assert frames[1] == b"\x02" * 10 + b"\xff" * 150  # the tail padded with µ-law silence
    assert frames[2] is None and second.done.result() is True and not player.active


async def test_dtmf_is_sent_as_rfc4733_events_between_audio(engine: MediaEngine, make_peer) -> None:  # type: ignore[no-untyped-def]
    peer = await make_peer()
    leg = await engine.open_leg(telephone_event_pt=96)
    leg.set_remote(*peer.address)
    leg.send_dtmf("19#", duration_ms=60, gap_ms=40)
    # Each digit: 2 updates + 3 ends; 2 silent ticks between digits.
    await peer.wait_for_packets(15)
    detector = DtmfDetector()
    digits = []
    for r in peer.received:
        assert r.packet.payload_type == 96
        d = detector.feed(r.packet.ssrc, r.packet.timestamp, r.packet.payload, r.at)
        if d is not None:
            digits.append(d.digit)
    assert digits == ["1", "9", "#"]
    seqs = [r.packet.sequence for r in peer.received]
    assert all((b - a) % 65536 == 1 for a, b in zip(seqs, seqs[1:], strict=False))
    starts = sorted({r.packet.timestamp for r in peer.received})
    assert len(starts) == 3


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(0, 700), max_size=4),
    st.one_of(st.none(), st.integers(1, 700)),
)
def test_playback_frames_are_the_items_in_order_padded_and_looped(lengths: list[int], music: int | None) -> None:
    items = [PlayItem(bytes([1 + i % 200]) * n, name=f"p{i}") for i, n in enumerate(lengths)]
    if music is not None:
        items.append(PlayItem(bytes(range(256)) * 3 * (music // 768 + 1), loop=True, name="moh"))
        items[-1] = PlayItem(items[-1].audio[:music], loop=True, name="moh")
    loop = asyncio.new_event_loop()
    try:
        playback = Playback(items, loop.create_future())
        expected = b"".join(i.audio + b"\xff" * (-len(i.audio) % 160) for i in items if not i.loop)
        frames: list[bytes] = []
        while len(frames) * 160 < len(expected) + 3000:
            frame = playback.next_frame()
            if frame is None:
                break
            assert len(frame) == 160
            frames.append(frame)
        sent = b"".join(frames)
        if music is None:
            assert sent == expected and playback.next_frame() is None
        else:
            moh = items[-1].audio
            looped = sent[len(expected) :]
            assert sent[: len(expected)] == expected
            assert looped == (moh * (len(looped) // len(moh) + 1))[: len(looped)]
    finally:
        loop.close()


async def test_a_datagram_the_socket_refuses_goes_out_through_the_transport(engine: MediaEngine, make_peer) -> None:  # type: ignore[no-untyped-def]
    peer = await make_peer()
    leg = await engine.open_leg()
    leg.set_remote(*peer.address)
    broken = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    broken.close()  # every direct send now fails with EBADF
    leg.use_socket(broken)
    prompt = tone_ulaw(440, 0.2)
    assert await asyncio.wait_for(leg.play([PlayItem(prompt)]).done, 10) is True
    got = await peer.wait_for_packets(10)
    assert b"".join(r.packet.payload for r in got) == prompt and leg.stats.tx_packets == 10


async def test_a_codec_changed_mid_stream_applies_from_the_next_frame(engine: MediaEngine, make_peer) -> None:  # type: ignore[no-untyped-def]
    peer = await make_peer()
    leg = await engine.open_leg()
    leg.set_remote(*peer.address)
    music = tone_ulaw(300, 1.0)
    leg.play([PlayItem(music, loop=True, name="moh")])
    await peer.wait_for_packets(3)
    leg.codec = G711.PCMA  # as a re-INVITE's answer may settle on
    got = await peer.wait_for_packets(len(peer.received) + 5)
    leg.stop_playback()
    types = [r.packet.payload_type for r in got]
    switch = types.index(8)
    assert set(types[:switch]) == {0} and set(types[switch:]) == {8}
    frames = [music[i : i + 160] for i in range(0, len(music), 160)]
    assert [r.packet.payload for r in got] == frames[:switch] + [
        G711.PCMA.from_ulaw(f) for f in frames[switch : len(got)]
    ]
    assert all((b.packet.sequence - a.packet.sequence) % 65536 == 1 for a, b in zip(got, got[1:], strict=False))
