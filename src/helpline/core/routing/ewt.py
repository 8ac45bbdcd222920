"""Estimated wait time (EWT) from position, staffing and recent handle times.

Method
------
The estimate is *forward-looking*: it asks when an agent who can serve the interaction will be
free for it, instead of averaging how long earlier callers waited (Asterisk's queue-wide
``holdtime`` average, which ignores position and staffing and is a well-known source of bad
announcements).

1. **Handle time.** Each agent keeps an exponentially weighted mean handle time (talk + hold +
   wrap-up, from offer acceptance to the end of wrap-up) per channel, updated on every completed
   interaction with weight ``ALPHA``. Until an agent has ``MIN_SAMPLES`` on the channel the queue's
   own weighted mean is used, and until the queue has one, its ``aht_prior_s``.
2. **Servers.** Every agent who could take the interaction (serves one of its queues or groups,
   is ready, has the required skills at the required proficiency and capacity on its channel)
   contributes one server per capacity unit: a free unit is free *now*; a unit in use frees
   after the agent's mean handle time less the time already spent on it (at least
   ``RESIDUAL_FLOOR`` of a mean handle time, because a long call is likely to run on), or at the
   end of a timed wrap-up.
3. **k-th free server.** An interaction at position *k* (1 = next) is answered when the *k*-th
   server release happens, each server releasing again one mean handle time after it takes a
   call. The releases are merged in time order with a heap; beyond ``EXACT_POSITIONS`` the rest
   is extrapolated at the servers' combined rate (sum of 1/AHT).

No server (no one logged in who could take it) gives no estimate (``None``). The estimate ignores
other queues' demand on shared agents and future arrivals of higher priority; the ``queued`` fact
records the estimate given at entry so its error can be measured against the actual wait.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence

ALPHA = 0.1
MIN_SAMPLES = 3
RESIDUAL_FLOOR = 0.25
EXACT_POSITIONS = 256


def ewma(mean: float | None, value: float, alpha: float = ALPHA) -> float:
    return value if mean is None else mean + alpha * (value - mean)


def residual(aht: float, elapsed: float) -> float:
    """Expected remaining handle time of work begun ``elapsed`` seconds ago."""
    return max(aht - elapsed, RESIDUAL_FLOOR * aht)


def kth_release(servers: Sequence[tuple[float, float]], k: int) -> float | None:
    """Seconds until the ``k``-th server release (k >= 1).

    ``servers`` holds ``(first_free_in_s, aht_s)`` per server; after its first release a server
    releases again every ``aht_s``.
    """
    if not servers or k < 1:
        return None
    heap = [(max(0.0, f), max(aht, 1e-6)) for f, aht in servers]
    heapq.heapify(heap)
    exact = min(k, EXACT_POSITIONS)
    t = 0.0
    for _ in range(exact):
        t, aht = heapq.heappop(heap)
        heapq.heappush(heap, (t + aht, aht))
    if k > exact:
        rate = sum(1.0 / aht for _, aht in heap)
        t += (k - exact) / rate
    return t
