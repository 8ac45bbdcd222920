"""Token buckets per source address: a flood from one address is cut off while others proceed.

Each address has a bucket of ``burst`` tokens refilled at ``rate`` per second; a request takes
one token or is dropped. Time is passed in, so the limiter is tested with explicit times. Idle
buckets (full again) are forgotten now and then, so a scan from many addresses cannot grow the
table without bound.
"""

from __future__ import annotations


class TokenBuckets:
    def __init__(self, rate: float, burst: float, *, max_sources: int = 100_000) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("the rate must be positive and the burst at least 1")
        self.rate = rate
        self.burst = burst
        self.max_sources = max_sources
        self._buckets: dict[str, tuple[float, float]] = {}  # source -> (tokens, updated at)
        self.dropped = 0

    def allow(self, source: str, now: float) -> bool:
        tokens, at = self._buckets.get(source, (self.burst, now))
        tokens = min(self.burst, tokens + (now - at) * self.rate)
        if tokens < 1.0:
            self._buckets[source] = (tokens, now)
            self.dropped += 1
            return False
        self._buckets[source] = (tokens - 1.0, now)
        if len(self._buckets) > self.max_sources:
            self._forget_idle(now)
        return True

    def _forget_idle(self, now: float) -> None:
        full_after = self.burst / self.rate
        self._buckets = {s: (t, at) for s, (t, at) in self._buckets.items() if now - at < full_after}

    def __len__(self) -> int:
        return len(self._buckets)
