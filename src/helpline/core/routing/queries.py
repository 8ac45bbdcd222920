"""Read-outs for wallboards and the edges (positions, wait estimates, queue rows), and the
estimates the engine records when an interaction enters a queue (see ``routing.ewt``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from helpline.core.agent import Agent, AgentState, capacity_channel
from helpline.core.config import Channel, SkillRequirement
from helpline.core.interaction import WAITING, InteractionState
from helpline.core.routing import ewt
from helpline.core.routing.indexes import Indexes
from helpline.core.routing.matching import group_pool, merge_requirements, queue_pool, satisfies
from helpline.core.routing.state import (
    _CHANNEL_NAME,
    CHANNEL_VOICE,
    PRESENCE_OFFLINE,
    PRESENCE_READY,
    ST_OFFERED,
    route_channel,
)


class Queries(Indexes):
    """Questions about the current state; nothing here changes it."""

    def position(self, interaction_id: str) -> int | None:
        """1 = next in line in its queue; None when it is not waiting."""
        i = self._get_i(interaction_id)
        if i.state not in WAITING:
            return None
        key = i.order_key()
        interactions = self._interactions
        ahead = sum(1 for x in self._qx[i.queue].queue_waiting if interactions[x].order_key() < key)
        return ahead + 1

    def estimated_wait(self, interaction_id: str, now: float) -> float | None:
        """Seconds until an agent is expected to take it (see ``routing.ewt``); None if unknown or not waiting."""
        i = self._get_i(interaction_id)
        k = self.position(interaction_id)
        if k is None:
            return None
        return self._estimate(i.queue, i.queues, i.groups, i.exclusive_agent, route_channel(i), i.skills, k, now)

    def estimated_wait_for_newcomer(
        self,
        queue_id: str,
        now: float,
        skills: Sequence[SkillRequirement] = (),
        priority: int = 0,
        channel: Channel = CHANNEL_VOICE,
    ) -> float | None:
        """The wait a new interaction with these requirements would be told on entering the queue."""
        qc = self._get_q(queue_id)
        requirement = merge_requirements(qc.required_skills, skills)
        k = self._newcomer_position(queue_id, priority + qc.priority)
        return self._estimate(queue_id, (queue_id,), (), None, channel, requirement, k, now)

    def agent_state(self, agent_id: str) -> AgentState:
        return self._get_a(agent_id).state

    def agents_by_state(self) -> dict[AgentState, list[str]]:
        out: dict[AgentState, list[str]] = {s: [] for s in AgentState}
        for a in self._agent_list:
            out[a.state].append(a.id)
        return out

    def interaction_state(self, interaction_id: str) -> InteractionState:
        return self._get_i(interaction_id).state

    def has_interaction(self, interaction_id: str) -> bool:
        return interaction_id in self._interactions

    def waiting(self, queue_id: str) -> list[str]:
        """Waiting interactions of a queue, next first."""
        self._get_q(queue_id)
        interactions = self._interactions
        return sorted(self._qx[queue_id].queue_waiting, key=lambda x: interactions[x].order_key())

    def queue_length(self, queue_id: str) -> int:
        self._get_q(queue_id)
        return len(self._qx[queue_id].queue_waiting)

    def oldest_wait(self, queue_id: str, now: float) -> float | None:
        """Seconds the longest-waiting interaction of the queue has been in it."""
        self._get_q(queue_id)
        waiting = self._qx[queue_id].queue_waiting
        if not waiting:
            return None
        return now - min(self._interactions[x].enqueued_at for x in waiting)

    def queue_summary(self, now: float) -> dict[str, dict[str, Any]]:
        """Per queue: waiting, offered, oldest wait, and staffed/available agents (a wallboard row)."""
        offered: dict[str, int] = {}
        for i in self._interactions.values():
            if i.state is ST_OFFERED:
                offered[i.queue] = offered.get(i.queue, 0) + 1
        out: dict[str, dict[str, Any]] = {}
        for q in self._queues:
            members = self._members.get(queue_pool(q), [])
            out[q] = {
                "waiting": len(self._qx[q].queue_waiting),
                "offered": offered.get(q, 0),
                "oldest_wait_s": self.oldest_wait(q, now),
                "staffed": sum(1 for a in members if a.presence is not PRESENCE_OFFLINE),
                "available": sum(1 for a in members if a.has_free_capacity()),
            }
        return out

    def _newcomer_position(self, queue_id: str, priority: int) -> int:
        counts = self._qx[queue_id].prio_counts
        if not counts:
            return 1
        return 1 + sum(n for p, n in counts.items() if p >= priority)

    def _contribution(self, a: Agent, channel: Channel, prior: float) -> tuple[int, int]:
        """(free units, release rate) the agent adds to an estimate on ``channel``."""
        if a.presence is not PRESENCE_READY:
            return (0, 0)
        caps = a.config.capacity
        cc = capacity_channel(channel, caps)
        units = min(caps.get(cc, 0), a.config.total_capacity)
        if units <= 0:
            return (0, 0)
        mine = a.aht.get(_CHANNEL_NAME[cc])
        return (a.free_for(channel), ewt.unit_rate(units, mine[0] if mine is not None else prior))

    def _eligible(
        self, queues: Sequence[str], groups: Sequence[str], exclusive: str | None, channel: Channel,
        requirement: tuple[tuple[str, int], ...],
    ) -> list[Agent]:
        """Agents who could ever take such an interaction (configuration only, so cached)."""
        key = (tuple(queues), tuple(groups), exclusive, channel, requirement)
        found = self._eligible_cache.get(key)
        if found is None:
            if exclusive is not None:
                candidates: Iterable[Agent] = (self._agents[exclusive],)
            else:
                seen: dict[str, Agent] = {}
                for p in [queue_pool(q) for q in queues] + [group_pool(g) for g in groups]:
                    for a in self._members.get(p, ()):
                        seen[a.id] = a
                candidates = seen.values()
            found = [
                a
                for a in candidates
                if satisfies(a.skills, requirement)
                and a.config.capacity.get(capacity_channel(channel, a.config.capacity), 0) > 0
            ]
            if len(self._eligible_cache) > 4096:
                self._eligible_cache.clear()
            self._eligible_cache[key] = found
        return found

    def _estimate(
        self,
        queue_id: str,
        queues: Sequence[str],
        groups: Sequence[str],
        exclusive: str | None,
        channel: Channel,
        requirement: Mapping[str, int] | tuple[tuple[str, int], ...],  # a tuple: sorted already
        k: int,
        now: float,
    ) -> float | None:
        if isinstance(requirement, tuple):
            items = requirement
        else:
            items = tuple(sorted(requirement.items())) if len(requirement) > 1 else tuple(requirement.items())
        qx = self._qx.get(queue_id)
        if qx is not None and exclusive is None and not groups and len(queues) == 1 and queues[0] == queue_id:
            found = None
            for roster in qx.supply:
                if roster.channel is channel:
                    found = roster
                    break
            if found is not None:
                aggregate = found.supply
                own_items = qx.requirement
                if items is not own_items and items != own_items:  # the same tuple, usually: no element compare
                    # a narrower requirement (the queue's own and more): the members who meet it.
                    # Members meet the queue's own requirement already; check only what it adds.
                    own = qx.own
                    extra = [(s, m) for s, m in items if own.get(s, 0) < m]
                    if extra:
                        aggregate = found.narrowed(extra)
                return ewt.expected_wait(k, aggregate.free, aggregate.rate)
        prior = self._queues[queue_id].aht_prior_s
        free = rate = 0
        for a in self._eligible(queues, groups, exclusive, channel, items):
            f, r = self._contribution(a, channel, prior)
            free += f
            rate += r
        return ewt.expected_wait(k, free, rate)
