"""Estimated wait time (EWT) from position, staffing and recent handle times.

Method
------
The estimate is *forward-looking*: it asks when an agent who can serve the interaction will be
free for it, instead of averaging how long earlier callers waited (Asterisk's queue-wide
``holdtime`` average, which ignores position and staffing and is a well-known source of bad
announcements).

1. **Handle time.** Each agent keeps an exponentially weighted mean handle time (talk + hold +
   wrap-up, from acceptance to the end of wrap-up) per channel, updated on every completed
   interaction with weight ``ALPHA``. An agent with no completed work yet counts with the
   queue's ``aht_prior_s``.
2. **Servers.** Every agent who could take the interaction (serves one of its queues or groups,
   is ready, has the required skills at the required proficiency and capacity on its channel)
   is a server with ``c`` parallel units (its capacity on that channel), each releasing work at
   rate ``1 / AHT`` of that agent. ``F`` is the number of units free right now and
   ``R = sum(c / AHT)`` the combined release rate.
3. **k-th release.** An interaction at position *k* (1 = next in its queue) is taken by the
   *k*-th unit to become free. The ``F`` free units take positions 1..F at once; after that,
   units are released at rate ``R`` and the expected time until the (k − F)-th release is
   ``(k − F) / R``. This is exact when handle times are exponential (each busy unit is then
   equally likely to finish next whatever it has done so far) and a good first-order estimate
   otherwise.

No server (no one ready who could take it) gives no estimate (``None``). The estimate ignores
other queues' demand on shared agents and later arrivals of higher priority; the ``queued`` fact
records the estimate given at entry so its error can be measured against the actual wait.

The engine keeps ``F`` and ``R`` per queue and channel for the queue's own requirement,
updated whenever an agent's state changes, so the estimate at entry costs O(1); an interaction
with extra skills, a widened one, or one reserved to its preferred agent sums over the agents
who can serve it.
"""

from __future__ import annotations

from typing import Final

from helpline.core.config import Channel

ALPHA: Final = 0.1
RATE_SCALE: Final = 1_000_000_000  # rates are summed as integers (units per 10^9 s) so sums are exact


class Supply:
    """Free units ``F`` and release rate ``R`` (RATE_SCALE fixed point) of a set of servers, or
    one agent's share of them.

    A small mutable record rather than a list or tuple: compiled, both fields sit in the object
    itself, so an update reads and writes one object instead of a list, its item array and the
    int objects it points to.
    """

    __slots__ = ("free", "rate")

    def __init__(self, free: int = 0, rate: int = 0) -> None:
        self.free = free
        self.rate = rate


class Roster:
    """The members behind one queue's aggregate on one channel, indexed by skill, so an estimate
    for a narrower requirement (the queue's own plus a skill or a higher level) sums the shares
    of the members who meet it without reading every member's skills."""

    __slots__ = ("by_skill", "channel", "supply")

    def __init__(self, channel: Channel, supply: Supply) -> None:
        self.channel = channel
        self.supply = supply  # the aggregate over all members
        # skill -> the members who have it, as parallel lists: level, share, all their skills
        self.by_skill: dict[str, tuple[list[int], list[Supply], list[dict[str, int]]]] = {}

    def add(self, skills: dict[str, int], share: Supply) -> None:
        for skill, level in skills.items():
            entry = self.by_skill.get(skill)
            if entry is None:
                entry = self.by_skill[skill] = ([], [], [])
            entry[0].append(level)
            entry[1].append(share)
            entry[2].append(skills)

    def narrowed(self, extra: list[tuple[str, int]]) -> Supply:
        """Free units and release rate of the members who also meet ``extra`` (skill, minimum level)."""
        out = Supply()
        skill, least = extra[0]
        entry = self.by_skill.get(skill)
        if entry is None:
            return out
        levels, shares, skill_maps = entry
        rest = extra[1:]
        for n in range(len(levels)):
            if levels[n] < least:
                continue
            if rest:
                skills = skill_maps[n]
                if any(skills.get(s, 0) < m for s, m in rest):
                    continue
            share = shares[n]
            out.free += share.free
            out.rate += share.rate
        return out


def ewma(mean: float | None, value: float, alpha: float = ALPHA) -> float:
    return value if mean is None else mean + alpha * (value - mean)


def unit_rate(units: int, aht_s: float) -> int:
    """``units / aht_s`` in RATE_SCALE fixed point."""
    return int(units * RATE_SCALE / max(aht_s, 1e-3))


def expected_wait(position: int, free_units: int, rate: int) -> float | None:
    """Seconds until the unit for ``position`` frees up (see the module docstring)."""
    if position <= free_units:
        return 0.0
    if rate <= 0:
        return None
    return (position - free_units) * RATE_SCALE / rate
