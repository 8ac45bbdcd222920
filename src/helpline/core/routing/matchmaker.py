"""The match search: which free agent an interaction goes to, and which waiting interaction a
freed agent takes (the rules are in ``engine``'s theory of operation).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from helpline.core import commands as C
from helpline.core import events as E
from helpline.core.agent import Agent
from helpline.core.config import Channel
from helpline.core.interaction import WAITING, Interaction
from helpline.core.routing.appliers import FactAppliers
from helpline.core.routing.matching import Bucket, FreeHeap, group_pool, satisfies
from helpline.core.routing.state import (
    CHANNEL_VOICE,
    STRATEGY_HIGHEST_PROFICIENCY,
    STRATEGY_RING_ALL,
    route_channel,
)
from helpline.core.routing.strategies import proficiency_score


class Matchmaker(FactAppliers):
    """Route every interaction and agent that became dirty in this turn, over the indexes."""

    def _offer(self, i: Interaction, agents: Sequence[Agent], queue: str, now: float) -> None:
        qc = self._qx[i.queue].config
        timeout_at = now + qc.offer_timeout_s
        ids = tuple(a.id for a in agents)
        number = i.callback_number
        self._emit(E.InteractionOffered(now, i.id, ids, self._offer_seq + 1, timeout_at, queue, number is not None))
        if number is not None:
            self._commands.append(C.StartCallback(i.id, ids[0], number, timeout_at, queue))
        else:
            self._commands.append(C.OfferInteraction(i.id, ids, timeout_at, i.channel, queue, i.customer, i.attributes))

    def _route(self, now: float) -> None:
        interactions = self._interactions
        while self._dirty_i or self._dirty_a:
            if self._dirty_i:
                batch = [interactions[x] for x in self._dirty_i if x in interactions]
                self._dirty_i.clear()
                if len(batch) > 1:
                    batch.sort(key=Interaction.order_key)
                for i in batch:
                    if i.state in WAITING:
                        self._route_interaction(i, now)
                self._flush_pending()
            if self._dirty_a:
                agents = list(self._dirty_a.values())
                self._dirty_a.clear()
                for a in agents:
                    self._route_agent(a, now)

    def _serves(self, a: Agent, i: Interaction) -> bool:
        if i.exclusive_agent is not None:
            return a.id == i.exclusive_agent
        mine = self._agent_queues[a.index]
        if any(q in mine for q in i.queues):
            return True
        groups = self._agent_groups[a.index]
        return any(g in groups for g in i.groups)

    def _route_interaction(self, i: Interaction, now: float) -> None:
        channel = route_channel(i)
        requirement = tuple(i.skills.items())
        agents = self._agents
        fresh = self._dirty_a
        if i.exclusive_agent is not None:
            a = agents[i.exclusive_agent]
            if a.id not in fresh and i.id not in a.slots and a.can_take(channel) and satisfies(a.skills, requirement):
                self._offer(i, (a,), i.queue, now)
            return
        avoid = i.last_missed
        preferred = i.preferred_agent
        if preferred is not None and preferred != avoid:
            a = agents[preferred]
            if (
                a.id not in fresh
                and i.id not in a.slots
                and a.can_take(channel)
                and satisfies(a.skills, requirement)
                and self._serves(a, i)
            ):
                self._offer(i, (a,), i.queue, now)
                return
        for qid in i.queues:
            qx = self._qx.get(qid)
            if qx is None:
                continue
            fh = qx.free
            strategy = qx.config.strategy
            if strategy is STRATEGY_RING_ALL and channel is CHANNEL_VOICE:
                found = self._all_free(fh, channel, requirement, avoid, i.id)
                if found:
                    self._offer(i, found, qid, now)
                    return
                continue
            if strategy is STRATEGY_HIGHEST_PROFICIENCY:
                chosen = self._best_scored(fh, channel, i.skills, avoid, i.id)
            else:
                chosen = self._first_free(fh, channel, requirement, avoid, i.id)
            if chosen is not None:
                self._offer(i, (chosen,), qid, now)
                return
        for g in i.groups:
            chosen = self._first_free(self._free.get(group_pool(g)), channel, requirement, avoid, i.id)
            if chosen is not None:
                self._offer(i, (chosen,), i.queue, now)
                return
        if avoid is not None:
            a = agents[avoid]
            if (
                a.id not in fresh
                and i.id not in a.slots
                and a.can_take(channel)
                and satisfies(a.skills, requirement)
                and self._serves(a, i)
            ):
                # only the agent who just missed it could take it: let that agent choose, so an
                # interaction ahead of it in their queues goes first
                self._route_agent(a, now)

    def _first_free(
        self, fh: FreeHeap | None, channel: Channel, requirement: Sequence[tuple[str, int]], avoid: str | None, iid: str
    ) -> Agent | None:
        """The free agent of ``pool`` first by its strategy who can take the interaction.

        Usually the heap's top (after dropping stale entries there). When the top cannot take
        it (a skill the interaction adds, an agent to avoid), one pass over the heap finds the
        smallest entry that can: cheaper than popping entries off and pushing them back.
        """
        if fh is None:
            return None
        heap = fh.heap
        stamps = self._stamp
        agents = self._agent_list
        while heap:
            entry = heap[0]
            idx = entry[-2]
            if stamps[idx] != entry[-1]:
                heapq.heappop(heap)
                continue
            a = agents[idx]
            if self._may_take(a, channel, requirement, avoid, iid):
                return a
            break
        chosen: Agent | None = None
        best: Any = None
        for entry in heap:
            idx = entry[-2]
            if stamps[idx] != entry[-1] or (best is not None and not entry < best):
                continue
            a = agents[idx]
            if self._may_take(a, channel, requirement, avoid, iid):
                chosen, best = a, entry
        return chosen

    def _may_take(
        self, a: Agent, channel: Channel, requirement: Sequence[tuple[str, int]], avoid: str | None, iid: str
    ) -> bool:
        """Whether free agent ``a`` may be offered interaction ``iid`` now."""
        return (
            a.id != avoid
            and a.id not in self._dirty_a  # choosing for themselves this turn
            and iid not in a.slots  # e.g. wrapping up this very interaction after transferring it
            and a.can_take(channel)
            and satisfies(a.skills, requirement)
        )

    def _live_free(self, fh: FreeHeap | None, iid: str) -> Iterable[tuple[tuple[float, ...], Agent]]:
        if fh is None:
            return ()
        stamps = self._stamp
        agents = self._agent_list
        fresh = self._dirty_a
        return [
            (e[:-1], a)
            for e in fh.heap
            if stamps[e[-2]] == e[-1] and (a := agents[e[-2]]).id not in fresh and iid not in a.slots
        ]

    def _all_free(
        self, fh: FreeHeap | None, channel: Channel, requirement: Sequence[tuple[str, int]], avoid: str | None, iid: str
    ) -> list[Agent]:
        found = [
            (key, a)
            for key, a in self._live_free(fh, iid)
            if a.id != avoid and a.can_take(channel) and satisfies(a.skills, requirement)
        ]
        found.sort(key=lambda x: x[0])
        return [a for _, a in found]

    def _best_scored(
        self, fh: FreeHeap | None, channel: Channel, requirement: Mapping[str, int], avoid: str | None, iid: str
    ) -> Agent | None:
        items = tuple(requirement.items())
        best: tuple[Any, ...] | None = None
        chosen = None
        for key, a in self._live_free(fh, iid):
            if a.id == avoid or not a.can_take(channel) or not satisfies(a.skills, items):
                continue
            rank = (-proficiency_score(a, requirement), *key)
            if best is None or rank < best:
                best, chosen = rank, a
        return chosen

    def _route_agent(self, a: Agent, now: float) -> None:
        queues = self._qx
        skills = a.skills
        while a.has_free_capacity():
            best: Interaction | None = None
            best_rank: tuple[float, float, int] = (0, 0.0, 0)
            best_queue: str | None = None
            for buckets, pool_queue in a.waits:
                if not buckets:
                    continue
                for b in buckets.values():
                    if not a.can_take(b.channel) or not satisfies(skills, b.requirement):
                        continue
                    i = self._head(b)
                    if i is None:
                        continue
                    if i.id in a.slots:
                        i = self._head_for(b, a)
                        if i is None:
                            continue
                    qx = queues.get(i.queue)
                    rank = (-i.priority, -(now - i.order_at) * (qx.config.weight if qx is not None else 1.0), i.order_seq)
                    if best is None or rank < best_rank:
                        best, best_rank, best_queue = i, rank, pool_queue
            if best is None:
                return
            self._offer(best, (a,), best_queue if best_queue is not None else best.queue, now)

    def _head(self, b: Bucket) -> Interaction | None:
        heap = b.heap
        interactions = self._interactions
        while heap:
            e = heap[0]
            i = interactions.get(e[4])
            if i is not None and i.version == e[3]:
                return i
            heapq.heappop(heap)
        return None

    def _head_for(self, b: Bucket, a: Agent) -> Interaction | None:
        """The first interaction of the bucket the agent does not already hold (rare: a slow scan)."""
        interactions = self._interactions
        for e in sorted(b.heap):
            i = interactions.get(e[4])
            if i is not None and i.version == e[3] and i.id not in a.slots:
                return i
        return None
