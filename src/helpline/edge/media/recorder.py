"""Call recording to a stereo WAV file, written as the call goes.

Left is what the caller's leg receives (the caller speaking), right is what is sent to the
caller (the agent when bridged; prompts and music otherwise), 8 kHz 16-bit PCM.

The two directions arrive as independent packet streams with gaps (silence suppression, hold,
loss), so each packet is placed on one timeline by time, not appended: a stream is anchored
the first time its SSRC is seen (its arrival time on the recording's clock) and later packets
go at the anchor plus their RTP timestamp distance, which follows the sender's clock without
network jitter or a busy loop's delays. The stream is anchored again when that position runs
ahead of the arrival time by more than ``max_ahead`` (the anchor packet itself came late, or
the sender's timestamps jumped) or behind it by more than ``max_behind`` (a sender whose
timestamps stood still, a clock that drifts). Gaps are silence, so both channels stay aligned
with the call's wall-clock time. Everything older than ``delay`` is written out at each flush
and dropped from memory; a packet that arrives later than that loses its late part.
"""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from helpline.protocols.rtp.arith import ts_diff

SAMPLE_RATE = 8000
CALLER, AGENT = 0, 1  # left, right


class CallRecorder:
    def __init__(
        self,
        path: Path,
        *,
        start: float,
        delay: float = 0.5,
        max_ahead: float = 0.1,
        max_behind: float = 1.0,
        flush_every: int = 25,
    ) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        # Both stay open for the whole call and are closed in close().
        self._file = path.open("wb")
        self._wav: wave.Wave_write | None = wave.open(self._file, "wb")  # noqa: SIM115
        self._wav.setnchannels(2)
        self._wav.setsampwidth(2)
        self._wav.setframerate(SAMPLE_RATE)
        self._start = start
        self._delay = round(delay * SAMPLE_RATE)
        self._max_ahead = round(max_ahead * SAMPLE_RATE)
        self._max_behind = round(max_behind * SAMPLE_RATE)
        self._flush_every = flush_every
        self._ticks = 0
        self._written = 0  # frames already in the file
        self._pending: tuple[list[tuple[int, NDArray[np.int16]]], ...] = ([], [])
        self._anchors: list[tuple[int, int, int] | None] = [None, None]  # (ssrc, timestamp, position)
        self.late_samples = 0

    @property
    def closed(self) -> bool:
        return self._wav is None

    @property
    def frames_written(self) -> int:
        return self._written

    def add(self, channel: int, ssrc: int, timestamp: int, samples: NDArray[np.int16], now: float) -> None:
        if self._wav is None:
            return
        by_arrival = round((now - self._start) * SAMPLE_RATE) - len(samples)
        anchor = self._anchors[channel]
        position = by_arrival
        if anchor is not None and anchor[0] == ssrc:
            position = anchor[2] + ts_diff(timestamp, anchor[1])
            if not -self._max_behind <= position - by_arrival <= self._max_ahead:
                position = by_arrival
                self._anchors[channel] = (ssrc, timestamp, position)
        else:
            self._anchors[channel] = (ssrc, timestamp, position)
        if position < 0:  # started before the recording did
            samples = samples[-position:]
            position = 0
        if position < self._written:
            self.late_samples += min(len(samples), self._written - position)
        if position + len(samples) > self._written:
            self._pending[channel].append((position, samples))

    def on_tick(self, now: float) -> None:
        self._ticks += 1
        if self._ticks % self._flush_every == 0:
            self.flush(now)

    def flush(self, now: float) -> None:
        """Write out everything older than the reorder delay."""
        self._write_until(round((now - self._start) * SAMPLE_RATE) - self._delay)

    def close(self, now: float) -> None:
        """Write out everything received, silence up to ``now`` included, and close the file."""
        if self._wav is None:
            return
        end = round((now - self._start) * SAMPLE_RATE)
        for chunks in self._pending:
            for position, samples in chunks:
                end = max(end, position + len(samples))
        self._write_until(end)
        self._wav.close()
        self._wav = None
        self._file.close()

    def _write_until(self, end: int) -> None:
        if self._wav is None or end <= self._written:
            return
        begin = self._written
        frames = np.zeros((end - begin, 2), dtype=np.int16)
        for channel, chunks in enumerate(self._pending):
            keep: list[tuple[int, NDArray[np.int16]]] = []
            for position, samples in chunks:
                lo, hi = max(position, begin), min(position + len(samples), end)
                if lo < hi:
                    frames[lo - begin : hi - begin, channel] = samples[lo - position : hi - position]
                if position + len(samples) > end:
                    keep.append((position, samples))
            chunks[:] = keep
        self._wav.writeframes(frames.astype("<i2").tobytes())  # also updates the header's sizes
        self._file.flush()  # on disk as the call goes: a crash loses at most the last flush
        self._written = end
