"""Indexes the engine routes with: waiting interactions by pool and requirement, free agents by pool.

A *pool* is a set of agents an interaction may go to: a queue's members (``("q", id)``), a
group's members (``("g", id)``, added by a workflow step) or one agent (``("a", id)``, for an
interaction reserved to its preferred agent or transferred to them).

Waiting interactions sit in each pool they are eligible for, in buckets by *signature*: the
channel and the exact skill requirement. Within a bucket a heap orders them by
``(-priority, order_at, order_seq)``. An agent who frees up checks each bucket of each of their
pools once (does my skill set satisfy this signature? do I have capacity on this channel?) and
looks only at the bucket's head: the cost is the number of distinct requirements waiting, not
the number of interactions.

Free agents sit in one heap per pool, keyed by the pool's strategy. Arrivals look at the top of
the heap and skip agents who lack a required skill.

Both kinds of heap delete lazily: an entry carries a stamp (agent) or version (interaction) and
is ignored once that no longer matches, and heaps are rebuilt when stale entries pile up.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable
from typing import Any

from helpline.core.config import Channel, SkillRequirement

PoolKey = tuple[str, str]
Signature = tuple[Channel, tuple[tuple[str, int], ...]]
WaitEntry = tuple[int, float, int, int, str]  # -priority, order_at, order_seq, version, id
# the strategy key (ending with the agent index) followed by the stamp, in one flat tuple:
# comparisons stay within one object
FreeEntry = tuple[Any, ...]


def queue_pool(queue_id: str) -> PoolKey:
    return ("q", queue_id)


def group_pool(group: str) -> PoolKey:
    return ("g", group)


def agent_pool(agent_id: str) -> PoolKey:
    return ("a", agent_id)


def merge_requirements(*parts: Iterable[SkillRequirement]) -> dict[str, int]:
    """One requirement from several lists; a skill named twice keeps the higher minimum."""
    out: dict[str, int] = {}
    for part in parts:
        for req in part:
            if req.min_proficiency > out.get(req.skill, 0):
                out[req.skill] = req.min_proficiency
            else:
                out.setdefault(req.skill, req.min_proficiency)
    return out


def satisfies(agent_skills: dict[str, int], requirement: Iterable[tuple[str, int]]) -> bool:
    # a plain loop: this runs for every candidate on the hot path and beats all() on a generator
    for skill, level in requirement:  # noqa: SIM110
        if agent_skills.get(skill, 0) < level:
            return False
    return True


class Bucket:
    """Waiting interactions of one signature in one pool."""

    __slots__ = ("channel", "heap", "key", "live", "pool", "requirement")

    def __init__(self, pool: dict[Signature, Bucket], key: Signature) -> None:
        self.pool = pool
        self.key = key
        self.channel = key[0]
        self.requirement = key[1]
        self.heap: list[WaitEntry] = []
        self.live = 0

    def push(self, entry: WaitEntry, is_valid: Callable[[WaitEntry], bool]) -> None:
        heapq.heappush(self.heap, entry)
        self.live += 1
        if len(self.heap) > 2 * self.live + 32:
            self.heap = [e for e in self.heap if is_valid(e)]
            heapq.heapify(self.heap)

    def drop(self) -> None:
        self.live -= 1
        if self.live <= 0:
            self.heap.clear()
            if self.pool.get(self.key) is self:
                del self.pool[self.key]


class FreeHeap:
    """Free agents of one pool, ordered by the pool's strategy key.

    ``live`` counts the entries that are not stale (one per free member). At full load most
    entries go stale soon after they are pushed (the agent was taken through another pool), and a
    heap grown long with them costs a cache miss per level on every push and pop; so the heap is
    rebuilt, in place, whenever stale entries outnumber live ones by a margin.
    """

    __slots__ = ("heap", "live")

    def __init__(self) -> None:
        self.heap: list[FreeEntry] = []
        self.live = 0

    def push(self, entry: FreeEntry, stamps: list[int]) -> None:
        heapq.heappush(self.heap, entry)
        self.live += 1
        if len(self.heap) > 2 * self.live + 8:
            self.compact(stamps)

    def compact(self, stamps: list[int]) -> None:
        """Drop stale entries (in place: callers may hold the list)."""
        self.heap[:] = [e for e in self.heap if stamps[e[-2]] == e[-1]]
        heapq.heapify(self.heap)
