"""Arrivals as a Poisson process whose rate is constant within each interval.

A forecast gives calls per interval; the simulator treats each count as the mean of a Poisson
number of arrivals spread uniformly over the interval (the usual reading of a forecast, and
what Erlang formulas assume). Because exponential gaps are memoryless, the next arrival is drawn
at the current interval's rate and, when it would fall beyond the interval's end, drawn again
from the boundary at the next interval's rate: exact, with no thinning.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence


def exponential(u: float, rate: float) -> float:
    """An exponential draw at ``rate`` from a uniform draw ``u`` in [0, 1): the formula of
    ``random.expovariate``, so a seed gives the same sample path (without a call into the
    interpreter when compiled)."""
    return -math.log(1.0 - u) / rate


class ArrivalStream:
    """Arrival times of one queue. ``interval_s`` may be infinite (one interval, no end)."""

    __slots__ = ("_interval_s", "_random", "_rates")

    def __init__(self, rates_per_s: Sequence[float], interval_s: float, rng: random.Random) -> None:
        self._rates = tuple(float(r) for r in rates_per_s)
        self._interval_s = float(interval_s)
        self._random = rng.random

    def next_after(self, t: float) -> float | None:
        """The first arrival after ``t`` (None: no more arrivals within the horizon)."""
        size = self._interval_s
        rates = self._rates
        k = int(t // size) if math.isfinite(size) else 0
        uniform = self._random
        while k < len(rates):
            rate = rates[k]
            end = (k + 1) * size
            if rate > 0:
                at = t + exponential(uniform(), rate)
                if at < end:
                    return at
            t = end
            k += 1
        return None
