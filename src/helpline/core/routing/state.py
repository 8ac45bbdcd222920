"""The routing engine's live state: configuration lookups, logical state, indexes and timers.

``EngineState`` builds everything once per tenant; the layers above it (``indexes``,
``queries``, ``appliers``, ``matchmaker``, ``timers``, ``handlers_*``, ``snapshot``) add the
code that reads and changes it, and ``engine.RoutingEngine`` puts them together.
"""

from __future__ import annotations

import heapq
from typing import Any, Final

from helpline.core import commands as C
from helpline.core import events as E
from helpline.core.agent import Agent, Presence, PresenceTrigger, SlotState, SlotTrigger, capacity_channel
from helpline.core.config import Channel, QueueConfig, Strategy, TenantConfig, WorkflowStep
from helpline.core.errors import UnknownEntity
from helpline.core.interaction import Interaction, InteractionState, Trigger
from helpline.core.routing.ewt import Roster, Supply
from helpline.core.routing.matching import (
    Bucket,
    FreeHeap,
    PoolKey,
    Signature,
    agent_pool,
    group_pool,
    merge_requirements,
    queue_pool,
    satisfies,
)
from helpline.core.routing.workflow import ordered_steps

DAY_S: Final = 86400.0

OFFER_TIMEOUT: Final = 0
WRAP_END: Final = 1
STEP_DUE: Final = 2
MAX_WAIT: Final = 3
PREFERENCE_END: Final = 4
RESUME_END: Final = 5
Timer = tuple[float, int, int, str, Any]

# enum members for hot code, as module constants: compiled, each is a static read (an
# attribute of the enum class is a lookup by name each time)
CHANNEL_CALLBACK: Final = Channel.CALLBACK
CHANNEL_VOICE: Final = Channel.VOICE
PRESENCE_OFFLINE: Final = Presence.OFFLINE
PRESENCE_READY: Final = Presence.READY
PRESENCE_TRIGGER_LOGIN: Final = PresenceTrigger.LOGIN
PRESENCE_TRIGGER_LOGOUT: Final = PresenceTrigger.LOGOUT
PRESENCE_TRIGGER_PAUSE: Final = PresenceTrigger.PAUSE
PRESENCE_TRIGGER_READY: Final = PresenceTrigger.READY
SLOT_OFFERED: Final = SlotState.OFFERED
SLOT_TRIGGER_ACCEPT: Final = SlotTrigger.ACCEPT
SLOT_TRIGGER_RELEASE: Final = SlotTrigger.RELEASE
SLOT_TRIGGER_WRAP: Final = SlotTrigger.WRAP
SLOT_WRAP_UP: Final = SlotState.WRAP_UP
STRATEGY_HIGHEST_PROFICIENCY: Final = Strategy.HIGHEST_PROFICIENCY
STRATEGY_LONGEST_IDLE: Final = Strategy.LONGEST_IDLE
STRATEGY_RING_ALL: Final = Strategy.RING_ALL
STRATEGY_ROUND_ROBIN: Final = Strategy.ROUND_ROBIN
ST_ABANDONED: Final = InteractionState.ABANDONED
ST_CALLBACK_WAITING: Final = InteractionState.CALLBACK_WAITING
ST_CONNECTED: Final = InteractionState.CONNECTED
ST_ENDED: Final = InteractionState.ENDED
ST_OFFERED: Final = InteractionState.OFFERED
ST_OVERFLOWED: Final = InteractionState.OVERFLOWED
ST_QUEUED: Final = InteractionState.QUEUED
ST_WRAP_UP: Final = InteractionState.WRAP_UP
TRIGGER_ABANDON: Final = Trigger.ABANDON
TRIGGER_ACCEPT: Final = Trigger.ACCEPT
TRIGGER_CALLBACK: Final = Trigger.CALLBACK
TRIGGER_END: Final = Trigger.END
TRIGGER_END_NO_WRAP: Final = Trigger.END_NO_WRAP
TRIGGER_HOLD: Final = Trigger.HOLD
TRIGGER_OFFER: Final = Trigger.OFFER
TRIGGER_OVERFLOW: Final = Trigger.OVERFLOW
TRIGGER_REQUEUE: Final = Trigger.REQUEUE
TRIGGER_RESUME: Final = Trigger.RESUME
TRIGGER_TRANSFER: Final = Trigger.TRANSFER
TRIGGER_WRAP_DONE: Final = Trigger.WRAP_DONE
# states in which workflow steps still apply, and in which maximum wait still counts
STEPPING: Final = frozenset({ST_QUEUED, ST_CALLBACK_WAITING, ST_OFFERED})
TIMING_OUT: Final = frozenset({ST_QUEUED, ST_OFFERED})
FORGETTABLE: Final = frozenset({ST_ENDED, ST_OVERFLOWED})


_CHANNEL_NAME: Final[dict[Channel, str]] = {c: c.value for c in Channel}


def route_channel(i: Interaction) -> Channel:
    """A waiting callback is routed as a callback (agents' voice capacity unless they have one)."""
    return CHANNEL_CALLBACK if i.callback_number is not None else i.channel


class QueueIndex:
    """One queue's configuration and routing indexes, reached with one lookup by queue id.

    On the hot path a decision looks its queue up several times: lookups in one map by one key
    stay in cache, where lookups in a map per kind of data would each miss.
    """

    __slots__ = ("config", "free", "own", "prio_counts", "queue_waiting", "requirement", "steps", "supply")

    def __init__(self, config: QueueConfig, free: FreeHeap | None) -> None:
        self.config = config
        self.steps = ordered_steps(config.steps)
        self.free = free  # the queue's members who are free, by the queue's strategy
        # the queue's own skill requirement, sorted, and as a map
        self.requirement = tuple(sorted(merge_requirements(config.required_skills).items()))
        self.own = dict(self.requirement)
        # per channel: the wait-estimate aggregate and its members (filled by EngineState)
        self.supply: list[Roster] = []
        self.prio_counts: dict[int, int] = {}  # waiting interactions by priority
        self.queue_waiting: dict[str, None] = {}  # ids of its waiting interactions


class EngineState:
    """What the engine knows: configuration, logical state (in the snapshot) and derived indexes."""

    def __init__(self, config: TenantConfig, *, seed: int = 0) -> None:
        self.config = config
        self.seed = seed
        self._queues: dict[str, QueueConfig] = {q.id: q for q in config.queues}
        self._agent_list: list[Agent] = [Agent(a, n) for n, a in enumerate(config.agents)]
        self._agents: dict[str, Agent] = {a.id: a for a in self._agent_list}
        self._members: dict[PoolKey, list[Agent]] = {}
        for a in self._agent_list:
            for q in a.config.queues:
                if q in self._queues:
                    self._members.setdefault(queue_pool(q), []).append(a)
            for g in a.config.groups:
                self._members.setdefault(group_pool(g), []).append(a)
        self._agent_queues: list[frozenset[str]] = [
            frozenset(q for q in a.config.queues if q in self._queues) for a in self._agent_list
        ]
        self._agent_groups: list[frozenset[str]] = [frozenset(a.config.groups) for a in self._agent_list]
        # waiting interactions by pool, then by signature. The maps of the pools an agent takes
        # work from exist from the start and are never replaced, so each agent keeps its own
        # (Agent.waits), with the queue an offer from there counts for.
        self._waiting: dict[PoolKey, dict[Signature, Bucket]] = {}
        for a in self._agent_list:
            own: list[tuple[PoolKey, str | None]] = [(queue_pool(q), q) for q in a.config.queues if q in self._queues]
            own += [(group_pool(g), None) for g in a.config.groups]
            own.append((agent_pool(a.id), None))
            a.waits = tuple((self._waiting.setdefault(p, {}), q) for p, q in own)
        # logical state (in the snapshot)
        self._interactions: dict[str, Interaction] = {}
        self._resume: dict[tuple[str, str], str] = {}
        self._rr: dict[str, dict[str, int]] = {
            q.id: {} for q in config.queues if q.strategy is STRATEGY_ROUND_ROBIN
        }
        self._rr_counter: dict[str, int] = dict.fromkeys(self._rr, 0)
        self._queue_aht: dict[str, list[float]] = {}
        self._seq = 0
        self._offer_seq = 0
        self._day: int | None = None
        self._day_ends = float("-inf")  # start of the day after self._day
        # indexes (rebuilt from the logical state)
        self._stamp: list[int] = [0] * len(self._agent_list)
        self._free: dict[PoolKey, FreeHeap] = {p: FreeHeap() for p in self._members}
        for a in self._agent_list:
            pools: list[tuple[Strategy, FreeHeap, dict[str, int] | None]] = []
            for q in a.config.queues:
                if q in self._queues:
                    pools.append((self._queues[q].strategy, self._free[queue_pool(q)], self._rr.get(q)))
            for g in a.config.groups:
                pools.append((STRATEGY_LONGEST_IDLE, self._free[group_pool(g)], None))
            a.free_pools = tuple(pools)
            a.listed = False
        self._qx: dict[str, QueueIndex] = {q.id: QueueIndex(q, self._free.get(queue_pool(q.id))) for q in config.queues}
        # wait-estimate aggregates per (queue, channel) over the members meeting the queue's own
        # requirement: free units and release rate (see routing.ewt), each with its roster
        roster_of: dict[int, Roster] = {}
        # per agent, grouped by what the contribution depends on (capacity bucket, units, bucket
        # name, handle-time prior): the aggregates it adds to and the agent's current share of
        # each. One agent's queues mostly share a group, so a change is computed once and added
        # to each.
        grouped: list[dict[tuple[Channel, int, str, float], list[Supply]]] = [{} for _ in self._agent_list]
        for qc in config.queues:
            qx = self._qx[qc.id]
            for ch in dict.fromkeys(qc.channels):
                aggregate = Supply()
                roster = roster_of[id(aggregate)] = Roster(ch, aggregate)
                qx.supply.append(roster)
                for a in self._members.get(queue_pool(qc.id), ()):
                    caps = a.config.capacity
                    cc = capacity_channel(ch, caps)
                    units = min(caps.get(cc, 0), a.config.total_capacity)
                    if units > 0 and satisfies(a.skills, qx.requirement):
                        grouped[a.index].setdefault((cc, units, _CHANNEL_NAME[cc], qc.aht_prior_s), []).append(aggregate)
        for a in self._agent_list:
            a.memberships = tuple((*key, tuple(aggregates), Supply()) for key, aggregates in grouped[a.index].items())
        # each aggregate's roster: its members' skills and shares, so an estimate for a narrower
        # requirement in the same queue sums the shares of the members who meet it
        for a in self._agent_list:
            for *_, aggregates, share in a.memberships:
                for aggregate in aggregates:
                    roster_of[id(aggregate)].add(a.skills, share)
        self._eligible_cache: dict[tuple[Any, ...], list[Agent]] = {}
        self._regs: dict[str, tuple[list[Bucket], str, int]] = {}
        # entered a queue this turn and not yet indexed: most are offered at once, so they are
        # indexed only if still waiting after routing
        self._pending: dict[str, Interaction] = {}
        self._reg_seq = 0
        self._timers: list[Timer] = []
        self._tseq = 0
        # per-decision scratch
        self._events: list[E.Event] = []
        self._commands: list[C.Command] = []
        self._touched: list[Agent] = []
        self._changed: dict[str, tuple[Agent, E.Event]] = {}  # agents whose state may have changed this turn
        self._dirty_i: dict[str, None] = {}
        self._dirty_a: dict[str, Agent] = {}
        self._announce: list[tuple[str, int, float | None]] = []

    def _get_i(self, interaction_id: str) -> Interaction:
        i = self._interactions.get(interaction_id)
        if i is None:
            raise UnknownEntity("interaction", interaction_id)
        return i

    def _get_a(self, agent_id: str) -> Agent:
        a = self._agents.get(agent_id)
        if a is None:
            raise UnknownEntity("agent", agent_id)
        return a

    def _get_q(self, queue_id: str) -> QueueConfig:
        x = self._qx.get(queue_id)
        if x is None:
            raise UnknownEntity("queue", queue_id)
        return x.config

    def _steps_of(self, queue_id: str) -> tuple[WorkflowStep, ...]:
        """The queue's workflow steps in the order they fire (none for an unknown queue)."""
        qx = self._qx.get(queue_id)
        return qx.steps if qx is not None else ()

    def _arm(self, due: float, kind: int, ident: str, token: Any) -> None:
        self._tseq += 1
        heapq.heappush(self._timers, (due, self._tseq, kind, ident, token))
