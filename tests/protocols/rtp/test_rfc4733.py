from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpline.protocols.rtp.rfc4733 import (
    DetectorState,
    DtmfDetector,
    IllegalDetectorEvent,
    TelephoneEvent,
    TelephoneEventError,
    digit_to_event,
    dtmf_frames,
    event_to_digit,
)

SSRC = 0x1234


def test_payload_layout_matches_the_rfc() -> None:
    # Event 5, E bit, volume 10, duration 800: 05 8a 03 20.
    assert TelephoneEvent(5, True, 10, 800).serialize() == bytes.fromhex("058a0320")
    e = TelephoneEvent.parse(bytes.fromhex("0b0a00a0"))
    assert (e.digit, e.end, e.volume, e.duration) == ("#", False, 10, 160)


@given(st.integers(0, 255), st.booleans(), st.integers(0, 63), st.integers(0, 0xFFFF))
def test_payload_round_trip(event: int, end: bool, volume: int, duration: int) -> None:
    e = TelephoneEvent(event, end, volume, duration)
    assert TelephoneEvent.parse(e.serialize()) == e


def test_digit_codes() -> None:
    assert [digit_to_event(d) for d in "09*#AD"] == [0, 9, 10, 11, 12, 15]
    assert digit_to_event("b") == 13 and event_to_digit(16) == "flash"
    with pytest.raises(TelephoneEventError, match="not a DTMF digit"):
        digit_to_event("x")
    with pytest.raises(TelephoneEventError, match="need 4"):
        TelephoneEvent.parse(b"\x01\x02")


def test_sender_frames_start_with_marker_grow_and_end_three_times() -> None:
    frames = dtmf_frames("7", duration_ms=100)
    events = [TelephoneEvent.parse(f.payload) for f in frames]
    assert [f.marker for f in frames] == [True] + [False] * 6
    assert [e.duration for e in events] == [160, 320, 480, 640, 800, 800, 800]
    assert [e.end for e in events] == [False] * 4 + [True] * 3
    assert {e.event for e in events} == {7}
    single = dtmf_frames("1", duration_ms=20)
    assert [f.marker for f in single] == [True, False, False]


def feed_frames(det: DtmfDetector, frames: list[bytes], ts: int, now: float = 0.0) -> list[str]:
    out = []
    for i, payload in enumerate(frames):
        d = det.feed(SSRC, ts, payload, now + 0.02 * i)
        if d is not None:
            out.append(d.digit)
    return out


def payloads(digit: str, ms: int = 100) -> list[bytes]:
    return [f.payload for f in dtmf_frames(digit, duration_ms=ms)]


def test_one_digit_per_event_despite_redundant_ends() -> None:
    det = DtmfDetector()
    assert feed_frames(det, payloads("5"), ts=1000) == ["5"]
    assert det.state is DetectorState.ENDED


def test_same_key_twice_is_two_digits_and_retransmitted_start_is_not() -> None:
    det = DtmfDetector()
    p = payloads("3")
    assert feed_frames(det, [p[0], p[0], *p[1:]], ts=1000) == ["3"]
    assert feed_frames(det, p, ts=2600, now=1.0) == ["3"]


def test_lost_start_and_lost_end_still_give_each_digit_once() -> None:
    det = DtmfDetector()
    p1, p2 = payloads("1"), payloads("2")
    # First event: only its ends arrive. Second: ends lost, the third begins before any end.
    assert feed_frames(det, p1[4:], ts=1000) == ["1"]
    assert feed_frames(det, p2[:3], ts=3000, now=0.5) == ["2"]
    assert det.state is DetectorState.ACTIVE
    assert feed_frames(det, payloads("9"), ts=5000, now=1.0) == ["9"]


def test_late_packets_of_older_events_are_ignored() -> None:
    det = DtmfDetector()
    feed_frames(det, payloads("4"), ts=8000)
    assert feed_frames(det, payloads("6"), ts=4000, now=0.3) == []
    assert feed_frames(det, payloads("4")[-1:], ts=8000, now=5.0) == []


def test_timestamps_that_wrap_still_order_events() -> None:
    det = DtmfDetector()
    assert feed_frames(det, payloads("1"), ts=0xFFFFFF00) == ["1"]
    assert feed_frames(det, payloads("2"), ts=0x00000200, now=0.5) == ["2"]


def test_a_new_stream_starts_afresh() -> None:
    det = DtmfDetector()
    feed_frames(det, payloads("1"), ts=9000)
    d = det.feed(SSRC + 1, 100, payloads("8")[0], 1.0)
    assert d is not None and (d.digit, d.ssrc, d.timestamp) == ("8", SSRC + 1, 100)


def test_long_event_segments_continue_one_digit() -> None:
    det = DtmfDetector()
    full = TelephoneEvent(0, False, 10, 0xFFFF).serialize()
    assert det.feed(SSRC, 1000, TelephoneEvent(0, False, 10, 160).serialize(), 0.0) is not None
    det.feed(SSRC, 1000, full, 8.0)
    assert det.feed(SSRC, 1000 + 0xFFFF, TelephoneEvent(0, False, 10, 160).serialize(), 8.02) is None
    assert det.feed(SSRC, 1000 + 0xFFFF, TelephoneEvent(0, True, 10, 800).serialize(), 8.1) is None


def test_timer_ends_an_event_whose_end_was_lost() -> None:
    det = DtmfDetector(active_timeout=0.5)
    assert det.next_timer() is None
    feed_frames(det, payloads("5")[:2], ts=1000)
    deadline = det.next_timer()
    assert deadline == pytest.approx(0.02 + 0.5)
    with pytest.raises(IllegalDetectorEvent):
        det.on_timer(0.1)
    assert det.state is DetectorState.ACTIVE
    det.on_timer(deadline)
    assert det.state is DetectorState.IDLE and det.next_timer() is None
    with pytest.raises(IllegalDetectorEvent):
        det.on_timer(99.0)
    # The forgotten event's stragglers still do not come back as a digit.
    assert feed_frames(det, payloads("5")[4:], ts=1000, now=2.0) == []


def test_malformed_payload_changes_nothing() -> None:
    det = DtmfDetector()
    feed_frames(det, payloads("5")[:1], ts=1000)
    with pytest.raises(TelephoneEventError):
        det.feed(SSRC, 2000, b"\x01", 0.1)
    assert det.state is DetectorState.ACTIVE


digit_st = st.sampled_from(list("0123456789*#ABCD"))


@given(
    st.lists(digit_st, min_size=1, max_size=8), st.randoms(use_true_random=False), st.integers(0, 2**32 - 1)
)
def test_any_loss_pattern_that_leaves_a_packet_yields_each_digit_once(
    digits: list[str], rnd: random.Random, start_ts: int
) -> None:
    det = DtmfDetector()
    got: list[str] = []
    ts = start_ts
    now = 0.0
    for digit in digits:
        frames = payloads(digit)
        kept = [p for p in frames if rnd.random() < 0.6] or [rnd.choice(frames)]
        # Duplicates anywhere, in order of sending.
        sent = sorted(kept + [p for p in kept if rnd.random() < 0.3], key=frames.index)
        for p in sent:
            d = det.feed(SSRC, ts, p, now)
            now += 0.02
            if d is not None:
                got.append(d.digit)
        ts = (ts + 1600) % 2**32
    assert got == digits
