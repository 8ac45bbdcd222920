"""One 20 ms clock for every leg that sends timed media.

A timer per call costs a heap operation and a callback per call per packet; one ticker walks
the subscribers in a single callback, which is what keeps hundreds of calls cheap. Deadlines
are absolute (``start + n * period`` on ``loop.time()``), so lateness in one tick does not
push the following ones back: the schedule never drifts. When the loop stalls, missed ticks run
back to back (the receivers' jitter buffers absorb a short burst) up to ``max_catch_up``;
beyond that the ticker skips ahead and counts what it skipped. The ticker runs only while it
has subscribers.
"""

from __future__ import annotations

import asyncio
import logging
import math
from typing import Protocol

log = logging.getLogger(__name__)


class TickSubscriber(Protocol):
    def on_tick(self, now: float) -> None: ...


class MediaTicker:
    def __init__(
        self, loop: asyncio.AbstractEventLoop, *, period: float = 0.020, max_catch_up: int = 10
    ) -> None:
        self._loop = loop
        self.period = period
        self._max_catch_up = max_catch_up
        self._subscribers: dict[TickSubscriber, None] = {}  # insertion-ordered set
        self._handle: asyncio.TimerHandle | None = None
        self._start = 0.0
        self._n = 0
        self.ticks = 0
        self.late_ticks = 0  # ticks run more than one period after their deadline
        self.skipped_ticks = 0

    @property
    def running(self) -> bool:
        return self._handle is not None

    def __len__(self) -> int:
        return len(self._subscribers)

    def __contains__(self, subscriber: object) -> bool:
        return subscriber in self._subscribers

    def add(self, subscriber: TickSubscriber) -> None:
        self._subscribers[subscriber] = None
        if self._handle is None:
            self._start = self._loop.time() + self.period
            self._n = 0
            self._handle = self._loop.call_at(self._start, self._fire)

    def discard(self, subscriber: TickSubscriber) -> None:
        self._subscribers.pop(subscriber, None)
        if not self._subscribers and self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def close(self) -> None:
        self._subscribers.clear()
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def deadline(self, n: int) -> float:
        return self._start + n * self.period

    def _fire(self) -> None:
        self._handle = None
        now = self._loop.time()
        ran = 0
        # The loop may wake a hair before the deadline (its clock resolution).
        while self.deadline(self._n) <= now + 0.001 and ran < self._max_catch_up:
            if now - self.deadline(self._n) > self.period:
                self.late_ticks += 1
            for subscriber in list(self._subscribers):
                if subscriber not in self._subscribers:
                    continue  # removed by an earlier subscriber in this tick
                try:
                    subscriber.on_tick(now)
                except Exception:
                    log.exception("media tick subscriber %r failed; removed", subscriber)
                    self._subscribers.pop(subscriber, None)
            self._n += 1
            self.ticks += 1
            ran += 1
        if self.deadline(self._n) <= now:
            behind = math.ceil((now - self._start) / self.period)
            self.skipped_ticks += behind - self._n
            self._n = behind
        if self._subscribers:
            self._handle = self._loop.call_at(self.deadline(self._n), self._fire)
