"""The ticker's schedule and the recorder's timeline, driven with explicit times."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

from helpline.edge.media.recorder import AGENT, CALLER, CallRecorder
from helpline.edge.media.ticker import MediaTicker


class FakeHandle:
    def __init__(self, when: float) -> None:
        self.when = when
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class ManualLoop:
    """Just what the ticker uses of a loop: a clock and call_at, advanced by the test."""

    def __init__(self) -> None:
        self.now = 100.0
        self.pending: list[tuple[FakeHandle, object]] = []

    def time(self) -> float:
        return self.now

    def call_at(self, when: float, callback) -> FakeHandle:  # type: ignore[no-untyped-def]
        handle = FakeHandle(when)
        self.pending.append((handle, callback))
        return handle

    def run_until(self, t: float) -> None:
        """Jump the clock to ``t`` and run what is due (a stalled loop wakes once, late)."""
        self.now = t
        due = [(h, cb) for h, cb in self.pending if h.when <= t and not h.cancelled]
        self.pending = [(h, cb) for h, cb in self.pending if (h, cb) not in due and not h.cancelled]
        for _, cb in due:
            cb()  # type: ignore[operator]


class Recorder:
    def __init__(self) -> None:
        self.calls: list[float] = []

    def on_tick(self, now: float) -> None:
        self.calls.append(now)


def test_ticks_keep_their_absolute_schedule_through_a_late_wake_up() -> None:
    loop = ManualLoop()
    ticker = MediaTicker(loop, period=0.02, max_catch_up=10)  # type: ignore[arg-type]
    sub = Recorder()
    ticker.add(sub)
    loop.run_until(100.02)
    assert len(sub.calls) == 1
    # The loop stalls for 70 ms: the missed ticks run back to back on waking...
    loop.run_until(100.09)
    assert len(sub.calls) == 4 and ticker.late_ticks == 2
    # ...and the next deadline is still on the original grid, not 20 ms after the late wake.
    assert loop.pending[-1][0].when == ticker.deadline(4) and abs(ticker.deadline(4) - 100.10) < 1e-9
    loop.run_until(100.10)
    assert len(sub.calls) == 5


def test_a_long_stall_skips_ahead_instead_of_bursting() -> None:
    loop = ManualLoop()
    ticker = MediaTicker(loop, period=0.02, max_catch_up=5)  # type: ignore[arg-type]
    sub = Recorder()
    ticker.add(sub)
    loop.run_until(101.0)  # a whole second lost
    assert len(sub.calls) == 5 and ticker.skipped_ticks > 40
    assert loop.pending[-1][0].when > 101.0
    ticker.discard(sub)
    assert not ticker.running and loop.pending[-1][0].cancelled


def frame(value: int) -> np.ndarray:
    return np.full(160, value, dtype=np.int16)


def read(path: Path) -> np.ndarray:
    with wave.open(str(path), "rb") as w:
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").reshape(-1, 2)


def test_packets_land_by_timestamp_not_by_jittery_arrival(tmp_path: Path) -> None:
    rec = CallRecorder(tmp_path / "r.wav", start=0.0)
    jitter = [0.0, 0.015, 0.003, 0.011, 0.0]
    for i, late in enumerate(jitter):
        rec.add(CALLER, 7, 1000 + 160 * i, frame(i + 1), now=0.02 * (i + 1) + late)
    rec.close(now=0.2)
    pcm = read(tmp_path / "r.wav")
    left = pcm[:, 0]
    assert len(pcm) == 1600
    assert list(left[0:800:160]) == [1, 2, 3, 4, 5] and left[800:].sum() == 0
    assert not pcm[:, 1].any()


def test_a_pause_is_silence_and_a_new_stream_is_placed_by_arrival(tmp_path: Path) -> None:
    rec = CallRecorder(tmp_path / "r.wav", start=0.0)
    rec.add(AGENT, 1, 0, frame(9), now=0.02)
    rec.add(AGENT, 1, 160 * 10, frame(9), now=0.22)  # 180 ms silence suppressed by the sender
    rec.add(AGENT, 2, 123456, frame(4), now=0.52)  # another source: timestamps unrelated
    rec.close(now=0.6)
    right = read(tmp_path / "r.wav")[:, 1]
    assert (right[0:160] == 9).all() and not right[160:1600].any() and (right[1600:1760] == 9).all()
    assert not right[1760:4000].any() and (right[4000:4160] == 4).all()


def test_flushing_writes_as_the_call_goes_and_very_late_audio_is_counted(tmp_path: Path) -> None:
    rec = CallRecorder(tmp_path / "r.wav", start=0.0, delay=0.2)
    for i in range(50):
        rec.add(CALLER, 1, 160 * i, frame(1), now=0.02 * (i + 1))
    rec.flush(now=1.0)
    assert rec.frames_written == 8000 - 1600
    assert len(read(tmp_path / "r.wav")) == 6400  # a valid file while recording
    rec.add(AGENT, 5, 0, frame(2), now=0.3)  # arrives after its place was written
    assert rec.late_samples == 160
    rec.close(now=1.0)
    assert rec.closed and len(read(tmp_path / "r.wav")) == 8000


def test_packets_held_up_by_a_stall_keep_their_place(tmp_path: Path) -> None:
    rec = CallRecorder(tmp_path / "r.wav", start=0.0)
    for i in range(5):
        rec.add(CALLER, 3, 160 * i, frame(1), now=0.02 * (i + 1))
    for i in range(5, 20):  # the loop was busy for 300 ms: these all arrive at once
        rec.add(CALLER, 3, 160 * i, frame(2), now=0.4)
    rec.add(CALLER, 3, 160 * 20, frame(3), now=0.42)  # on time again
    rec.close(now=0.8)
    left = read(tmp_path / "r.wav")[:, 0]
    assert (left[:800] == 1).all() and (left[800:3200] == 2).all() and (left[3200:3360] == 3).all()
    assert not left[3360:].any()


def test_a_late_anchor_is_corrected_by_the_packets_after_it(tmp_path: Path) -> None:
    rec = CallRecorder(tmp_path / "r.wav", start=0.0)
    rec.add(AGENT, 3, 0, frame(1), now=0.32)  # its first packet was held up 300 ms
    for i in range(1, 5):
        rec.add(AGENT, 3, 160 * i, frame(1), now=0.02 * (i + 1))
    rec.close(now=0.5)
    right = read(tmp_path / "r.wav")[:, 1]
    assert (right[160:800] == 1).all()  # the later packets sit where they were sent


class Remover:
    """Removes another subscriber (or adds one) from inside its own tick."""

    def __init__(self, ticker: MediaTicker, other: Recorder, *, add: bool = False) -> None:
        self.ticker, self.other, self.add = ticker, other, add
        self.calls = 0

    def on_tick(self, now: float) -> None:
        self.calls += 1
        if self.add:
            self.ticker.add(self.other)
        else:
            self.ticker.discard(self.other)


class Failing:
    def __init__(self) -> None:
        self.calls = 0

    def on_tick(self, now: float) -> None:
        self.calls += 1
        raise RuntimeError("broken subscriber")


def test_a_subscriber_removed_during_a_tick_is_not_ticked_after_its_removal() -> None:
    loop = ManualLoop()
    ticker = MediaTicker(loop, period=0.02)  # type: ignore[arg-type]
    later = Recorder()
    remover = Remover(ticker, later)
    ticker.add(remover)
    ticker.add(later)
    loop.run_until(100.02)
    loop.run_until(100.04)
    assert remover.calls == 2 and later.calls == []
    assert len(ticker) == 1


def test_a_subscriber_added_during_a_tick_starts_on_the_next_one() -> None:
    loop = ManualLoop()
    ticker = MediaTicker(loop, period=0.02)  # type: ignore[arg-type]
    newcomer = Recorder()
    adder = Remover(ticker, newcomer, add=True)
    ticker.add(adder)
    loop.run_until(100.02)
    assert newcomer.calls == []
    loop.run_until(100.04)
    loop.run_until(100.06)
    assert newcomer.calls == [100.04, 100.06] and adder.calls == 3


def test_a_failing_subscriber_is_removed_and_the_others_keep_their_ticks() -> None:
    loop = ManualLoop()
    ticker = MediaTicker(loop, period=0.02)  # type: ignore[arg-type]
    before, failing, after = Recorder(), Failing(), Recorder()
    for sub in (before, failing, after):
        ticker.add(sub)
    for k in range(1, 4):
        loop.run_until(100.0 + 0.02 * k)
    assert failing.calls == 1 and failing not in ticker
    assert before.calls == after.calls == [100.02, 100.04, 100.06]
    ticker.discard(before)
    ticker.discard(after)
    assert not ticker.running
