"""Reception quality of one RTP source: packets lost and interarrival jitter (RFC 3550 A.3, A.8).

Arrival times come in as seconds (``now``); jitter is kept in timestamp units, as RTCP reports
it, and offered in milliseconds for people.
"""

from __future__ import annotations

from helpline.protocols.rtp.arith import TS_MOD, SequenceUnwrapper


class ReceptionStats:
    __slots__ = (
        "_base",
        "_clock_rate",
        "_last_arrival",
        "_last_ts",
        "_unwrapper",
        "jitter",
        "received",
        "ssrc",
    )

    def __init__(self, ssrc: int, clock_rate: int = 8000) -> None:
        self.ssrc = ssrc
        self._clock_rate = clock_rate
        self._unwrapper = SequenceUnwrapper()
        self._base: int | None = None
        self._last_ts = 0
        self._last_arrival = 0.0
        self.received = 0
        self.jitter = 0.0  # timestamp units, smoothed with gain 1/16

    def on_packet(self, sequence: int, timestamp: int, now: float) -> None:
        extended = self._unwrapper.unwrap(sequence)
        if self._base is None:
            self._base = extended
        self.received += 1
        if self.received > 1:
            # D(i, j) = (Rj - Ri) - (Sj - Si), with arrivals in timestamp units.
            # ts_diff(timestamp, self._last_ts), spelt out: this runs for every packet.
            elapsed = (timestamp - self._last_ts) % TS_MOD
            if elapsed >= TS_MOD // 2:
                elapsed -= TS_MOD
            d = (now - self._last_arrival) * self._clock_rate - elapsed
            self.jitter += (abs(d) - self.jitter) / 16.0
        self._last_ts = timestamp
        self._last_arrival = now

    @property
    def expected(self) -> int:
        highest = self._unwrapper.highest
        if highest is None or self._base is None:
            return 0
        return highest - self._base + 1

    @property
    def lost(self) -> int:
        """Expected minus received; duplicates can make it negative, as RFC 3550 allows."""
        return self.expected - self.received

    @property
    def fraction_lost(self) -> float:
        return max(0, self.lost) / self.expected if self.expected else 0.0

    @property
    def jitter_ms(self) -> float:
        return 1000.0 * self.jitter / self._clock_rate
