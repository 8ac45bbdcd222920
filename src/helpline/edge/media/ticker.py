"""One 20 ms clock for every leg that sends timed media.

A timer per call costs a heap operation and a callback per call per packet; one ticker walks
the subscribers in a single callback, which is what keeps hundreds of calls cheap. Deadlines
are absolute (``start + n * period`` on ``loop.time()``), so lateness in one tick does not
push the following ones back: the schedule never drifts. When the loop stalls, missed ticks run
back to back (the receivers' jitter buffers absorb a short burst) up to ``max_catch_up``;
beyond that the ticker skips ahead and counts what it skipped. The ticker runs only while it
has subscribers.

The walk itself is the media path's inner loop (a thousand legs make fifty thousand calls a
second), so it goes over a list of bound ``on_tick`` methods that is rebuilt only when the
subscribers change, and a subscriber removed during a tick is looked up only when some
subscriber was removed in that tick.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable
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
        # The subscribers as (subscriber, its on_tick), rebuilt after any change.
        self._walk: list[tuple[TickSubscriber, Callable[[float], None]]] | None = None
        self._removed: set[TickSubscriber] | None = None  # while a tick runs: who left during it

    @property
    def running(self) -> bool:
        return self._handle is not None

    def __len__(self) -> int:
        return len(self._subscribers)

    def __contains__(self, subscriber: object) -> bool:
        return subscriber in self._subscribers

    def add(self, subscriber: TickSubscriber) -> None:
        if subscriber in self._subscribers:
            return
        self._subscribers[subscriber] = None
        self._walk = None
        if self._removed is not None:
            self._removed.discard(subscriber)
        if self._handle is None and self._removed is None:  # (during a tick, _fire re-arms)
            self._start = self._loop.time() + self.period
            self._n = 0
            self._handle = self._loop.call_at(self._start, self._fire)

    def discard(self, subscriber: TickSubscriber) -> None:
        if subscriber not in self._subscribers:
            return
        del self._subscribers[subscriber]
        self._walk = None
        if self._removed is not None:
            self._removed.add(subscriber)
        if not self._subscribers and self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def close(self) -> None:
        if self._removed is not None:
            self._removed.update(self._subscribers)
        self._subscribers.clear()
        self._walk = None
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
            self._tick(now)
            self._n += 1
            self.ticks += 1
            ran += 1
        if self.deadline(self._n) <= now:
            behind = math.ceil((now - self._start) / self.period)
            self.skipped_ticks += behind - self._n
            self._n = behind
        if self._subscribers:
            self._handle = self._loop.call_at(self.deadline(self._n), self._fire)

    def _tick(self, now: float) -> None:
        walk = self._walk
        if walk is None:
            walk = self._walk = [(s, s.on_tick) for s in self._subscribers]
        removed = self._removed = set()
        try:
            for subscriber, on_tick in walk:
                if removed and subscriber in removed:
                    continue  # removed by an earlier subscriber in this tick
                try:
                    on_tick(now)
                except Exception:
                    log.exception("media tick subscriber %r failed; removed", subscriber)
                    self.discard(subscriber)
        finally:
            self._removed = None
