"""Clocks: the runtime reads time here and passes it to the core as ``now``."""

from __future__ import annotations

import time


class SystemClock:
    """Wall-clock seconds since the epoch (event times are stored as such)."""

    def now(self) -> float:
        return time.time()


class ManualClock:
    """A clock that moves only when told to: for tests and for replaying traffic."""

    def __init__(self, start: float = 0.0) -> None:
        self._now = start

    def now(self) -> float:
        return self._now

    def set(self, now: float) -> None:
        if now < self._now:
            raise ValueError(f"time cannot go backwards ({now} < {self._now})")
        self._now = now

    def advance(self, seconds: float) -> None:
        self.set(self._now + seconds)
