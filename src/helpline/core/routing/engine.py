"""The routing engine (ACD): which agent gets which interaction, and when.

Theory of operation
-------------------
The engine is a pure, single-threaded state machine over one tenant. ``handle(input, now)``
checks the input against the current state (raising a :class:`CoreError` and changing nothing
if it does not fit), then *decides* by emitting facts (``core.events``). Every fact is applied
to the state by ``apply`` the moment it is emitted, and ``apply`` is the only code that changes
state: replaying the log through ``apply`` rebuilds exactly the state the live engine had
(``snapshot()`` compares them), with no decision taken twice. Commands (``core.commands``) tell
the edges what to do (ring an agent, cancel a ring, dial a callback, overflow a call).

After every input and timer the engine *routes*: each interaction that became waiting (arrival,
failed offer, widening step, callback, transfer) looks for a free agent, and each agent who
gained capacity (login, unpause, end of work, failed offer) looks for a waiting interaction.
Both searches run over indexes (``matching``), never over all agents, and together keep the
matching invariant: a ready agent with free capacity never idles while an interaction they
could take waits.

* Agents who gained capacity in this turn choose for themselves (the interactions that became
  waiting in the same turn do not grab them first), so the one they take is the best for them.
* An interaction looks for an agent in its own queue first (by the queue's strategy), then in
  queues and groups that workflow steps added. Its preferred agent, if free, goes first; if the
  queue sets ``preferred_agent_wait_s`` only that agent may take it until then. An agent who
  just rejected or missed it is passed over while any other agent could take it.
* An agent looks at the head of every requirement bucket in each of their pools and takes the
  interaction with the highest priority, then the longest wait weighted by its queue's
  ``weight``: cross-queue fairness for agents serving several queues.
* An offer reserves capacity. Ring-all (voice) offers one interaction to every matching free
  agent as one reservation of several phones; the first to accept wins and the others are
  cancelled. Reject, ring-no-answer (``offer_timeout_s``) and cancellation put the interaction
  back in its place; ``max_consecutive_misses`` in a row pauses the agent with reason "missed".
* Work ends in wrap-up for ``wrap_up_s`` (``WrapUpDone`` ends it early with a disposition),
  after which capacity is free again; without a wrap-up time capacity frees at the end.
* Timers (``next_timer``/``on_timer``): offer timeouts, wrap-up ends, workflow steps, maximum
  wait (the interaction leaves toward ``overflow_destination``), the end of a preferred agent's
  exclusivity, and the end of an abandoned caller's resume window. Timers are derived from state,
  so a restored engine re-arms them.

Details operators may ask about:

* Rejections and ring-no-answer both count as misses; an accepted offer resets the count.
* Workflow steps and ``max_wait_s`` count from the interaction's entry into its current queue;
  its place in line counts from its original arrival (kept on failed offers and on a redial
  within ``resume_window_s``). A callback keeps its place and does not overflow.
* A queue without a wrap-up time frees the agent when the interaction ends, and then takes no
  disposition: configure a wrap-up time where dispositions are wanted.
* Each arrival carries its estimated wait (``routing.ewt``) in its ``queued`` fact.
* An agent's "today" (fewest-handled) is the UTC day of ``now``.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from helpline.core import commands as C
from helpline.core import events as E
from helpline.core import inputs as I
from helpline.core.agent import (
    Agent,
    AgentState,
    Presence,
    PresenceTrigger,
    SlotState,
    SlotTrigger,
    capacity_channel,
)
from helpline.core.config import Channel, QueueConfig, SkillRequirement, Strategy, TenantConfig, WorkflowStep
from helpline.core.errors import (
    CoreError,
    DuplicateEntity,
    InvalidInput,
    InvalidTransition,
    UnknownEntity,
)
from helpline.core.interaction import WAITING, Interaction, InteractionState, Offer, Trigger
from helpline.core.records import quick_init
from helpline.core.routing import ewt
from helpline.core.routing.matching import (
    Bucket,
    FreeHeap,
    PoolKey,
    Signature,
    WaitEntry,
    agent_pool,
    group_pool,
    merge_requirements,
    queue_pool,
    satisfies,
)
from helpline.core.routing.strategies import key_for, proficiency_score
from helpline.core.routing.workflow import apply_step, ordered_steps

DAY_S = 86400.0
SNAPSHOT_VERSION = 1

OFFER_TIMEOUT, WRAP_END, STEP_DUE, MAX_WAIT, PREFERENCE_END, RESUME_END = range(6)
Timer = tuple[float, int, int, str, Any]

ST = InteractionState


@dataclass(frozen=True, slots=True)
class Decision:
    """What one input or timer caused: facts for the log and commands for the edges."""

    events: tuple[E.Event, ...] = ()
    commands: tuple[C.Command, ...] = ()


quick_init(Decision)


_CHANNEL_NAME: dict[Channel, str] = {c: c.value for c in Channel}


def route_channel(i: Interaction) -> Channel:
    """A waiting callback is routed as a callback (agents' voice capacity unless they have one)."""
    return Channel.CALLBACK if i.callback_number is not None else i.channel


_STATE_REASON: dict[type, str] = {
    E.AgentLoggedIn: "login",
    E.AgentLoggedOut: "logout",
    E.AgentUnpaused: "ready",
    E.InteractionOffered: "offered",
    E.OfferAccepted: "accepted",
    E.OfferRejected: "rejected",
    E.OfferTimedOut: "no-answer",
    E.InteractionEnded: "ended",
    E.InteractionTransferred: "transferred",
    E.WrapUpEnded: "wrap-up done",
}


class RoutingEngine:
    """The ACD for one tenant. See the module docstring."""

    def __init__(self, config: TenantConfig, *, seed: int = 0) -> None:
        self.config = config
        self.seed = seed
        self._queues: dict[str, QueueConfig] = {q.id: q for q in config.queues}
        self._weight: dict[str, float] = {q.id: q.weight for q in config.queues}
        self._steps: dict[str, tuple[WorkflowStep, ...]] = {q.id: ordered_steps(q.steps) for q in config.queues}
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
        # pools an agent takes waiting work from, with the queue an offer from there counts for
        self._agent_pools: list[list[tuple[PoolKey, str | None]]] = []
        for a in self._agent_list:
            own: list[tuple[PoolKey, str | None]] = [(queue_pool(q), q) for q in a.config.queues if q in self._queues]
            own += [(group_pool(g), None) for g in a.config.groups]
            own.append((agent_pool(a.id), None))
            self._agent_pools.append(own)
        # logical state (in the snapshot)
        self._interactions: dict[str, Interaction] = {}
        self._resume: dict[tuple[str, str], str] = {}
        self._rr: dict[str, dict[str, int]] = {
            q.id: {} for q in config.queues if q.strategy is Strategy.ROUND_ROBIN
        }
        self._rr_counter: dict[str, int] = dict.fromkeys(self._rr, 0)
        self._queue_aht: dict[str, list[float]] = {}
        self._seq = 0
        self._offer_seq = 0
        self._day: int | None = None
        self._day_ends = float("-inf")  # start of the day after self._day
        # indexes (rebuilt from the logical state)
        self._stamp: list[int] = [0] * len(self._agent_list)
        self._free: dict[PoolKey, FreeHeap] = {p: FreeHeap(len(m)) for p, m in self._members.items()}
        self._free_pools: list[list[tuple[Strategy, FreeHeap, dict[str, int] | None]]] = []
        for a in self._agent_list:
            pools: list[tuple[Strategy, FreeHeap, dict[str, int] | None]] = []
            for q in a.config.queues:
                if q in self._queues:
                    pools.append((self._queues[q].strategy, self._free[queue_pool(q)], self._rr.get(q)))
            for g in a.config.groups:
                pools.append((Strategy.LONGEST_IDLE, self._free[group_pool(g)], None))
            self._free_pools.append(pools)
        # wait-estimate aggregates per (queue, channel) over the members meeting the queue's own
        # requirement: [free units, release rate] (see routing.ewt)
        self._queue_requirement: dict[str, tuple[tuple[str, int], ...]] = {
            q.id: tuple(sorted(merge_requirements(q.required_skills).items())) for q in config.queues
        }
        self._agg: dict[tuple[str, Channel], list[int]] = {}
        # per agent, grouped by what the contribution depends on (capacity bucket, units, bucket
        # name, handle-time prior): the aggregates it adds to. One agent's queues mostly share a
        # group, so a change is computed once and added to each.
        grouped: list[dict[tuple[Channel, int, str, float], list[list[int]]]] = [{} for _ in self._agent_list]
        for qc in config.queues:
            for ch in dict.fromkeys(qc.channels):
                aggregate = self._agg[(qc.id, ch)] = [0, 0]
                for a in self._members.get(queue_pool(qc.id), ()):
                    caps = a.config.capacity
                    cc = capacity_channel(ch, caps)
                    units = min(caps.get(cc, 0), a.config.total_capacity)
                    if units > 0 and satisfies(a.skills, self._queue_requirement[qc.id]):
                        grouped[a.index].setdefault((cc, units, _CHANNEL_NAME[cc], qc.aht_prior_s), []).append(aggregate)
        self._agg_members: list[list[tuple[Channel, int, str, float, list[list[int]]]]] = [
            [(*key, aggregates) for key, aggregates in g.items()] for g in grouped
        ]
        # per aggregate: its members and the index of the group that feeds it, so an estimate
        # for a narrower requirement in the same queue sums the members' cached contributions
        self._agg_roster: dict[int, list[tuple[Agent, int]]] = {}
        for a in self._agent_list:
            for n, (*_, aggregates) in enumerate(self._agg_members[a.index]):
                for aggregate in aggregates:
                    self._agg_roster.setdefault(id(aggregate), []).append((a, n))
        self._agg_contrib: list[list[tuple[int, int]]] = [[(0, 0)] * len(m) for m in self._agg_members]
        self._eligible_cache: dict[tuple[Any, ...], list[Agent]] = {}
        self._waiting: dict[PoolKey, dict[Signature, Bucket]] = {}
        self._regs: dict[str, tuple[list[Bucket], str, int]] = {}
        # entered a queue this turn and not yet indexed: most are offered at once, so they are
        # indexed only if still waiting after routing
        self._pending: dict[str, Interaction] = {}
        self._queue_waiting: dict[str, dict[str, None]] = {q.id: {} for q in config.queues}
        self._prio_counts: dict[str, dict[int, int]] = {q.id: {} for q in config.queues}
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

        self._handlers: dict[type, Callable[[Any, float], None]] = {
            I.AgentLogin: self._h_login,
            I.AgentLogout: self._h_logout,
            I.AgentPause: self._h_pause,
            I.AgentReady: self._h_ready,
            I.InteractionArrived: self._h_arrived,
            I.OfferAccepted: self._h_accepted,
            I.OfferRejected: self._h_rejected,
            I.InteractionHeld: self._h_held,
            I.InteractionResumed: self._h_resumed,
            I.InteractionTransferred: self._h_transferred,
            I.InteractionEnded: self._h_ended,
            I.WrapUpDone: self._h_wrapup_done,
            I.InteractionAbandoned: self._h_abandoned,
            I.CallbackRequested: self._h_callback,
        }
        self._appliers: dict[type, Callable[[Any], None]] = {
            E.InteractionCreated: self._a_created,
            E.InteractionQueued: self._a_queued,
            E.InteractionOffered: self._a_offered,
            E.OfferAccepted: self._a_accepted,
            E.OfferRejected: self._a_rejected,
            E.OfferTimedOut: self._a_timed_out,
            E.OfferCancelled: self._a_cancelled,
            E.InteractionStarted: self._a_started,
            E.InteractionHeld: self._a_held,
            E.InteractionResumed: self._a_resumed,
            E.InteractionTransferred: self._a_transferred,
            E.InteractionEnded: self._a_ended,
            E.WrapUpStarted: self._a_wrap_started,
            E.WrapUpEnded: self._a_wrap_ended,
            E.InteractionAbandoned: self._a_abandoned,
            E.CallbackRequested: self._a_callback,
            E.WorkflowStepApplied: self._a_step,
            E.InteractionOverflowed: self._a_overflowed,
            E.PreferenceExpired: self._a_preference_expired,
            E.ResumeWindowExpired: self._a_resume_expired,
            E.AgentLoggedIn: self._a_logged_in,
            E.AgentLoggedOut: self._a_logged_out,
            E.AgentPaused: self._a_paused,
            E.AgentUnpaused: self._a_unpaused,
            E.AgentStateChanged: self._a_state_changed,
        }

    # ==========================================================================================
    # public API
    # ==========================================================================================

    def handle(self, event: I.Input, now: float) -> Decision:
        """Decide what ``event`` causes at time ``now``; raises CoreError (changing nothing) if it does not fit."""
        handler = self._handlers.get(type(event))
        if handler is None:
            raise InvalidInput(f"not a routing input: {type(event).__name__}")
        try:
            handler(event, now)
        except CoreError:
            if self._events:  # a handler validates before it emits: this is a bug, not bad input
                raise AssertionError("state changed before the input was refused") from None
            raise
        self._route(now)
        for iid, position, estimate in self._announce:
            i = self._interactions.get(iid)
            if i is not None and i.state in WAITING:
                self._commands.append(C.AnnouncePosition(iid, position, estimate))
        return self._finish()

    def next_timer(self) -> float | None:
        """When ``on_timer`` should next be called (None: nothing pending)."""
        timers = self._timers
        while timers and not self._timer_valid(timers[0]):
            heapq.heappop(timers)
        return timers[0][0] if timers else None

    def on_timer(self, now: float) -> Decision:
        """Fire every timer due at or before ``now``."""
        timers = self._timers
        while timers and timers[0][0] <= now:
            entry = heapq.heappop(timers)
            if self._timer_valid(entry):
                self._fire(entry, now)
        self._route(now)
        return self._finish()

    def apply(self, event: E.Event) -> None:
        """Apply a recorded fact without deciding anything (replay)."""
        self._apply(event)
        self._flush_pending()
        self._touched.clear()
        self._dirty_i.clear()
        self._dirty_a.clear()

    # -- queries -------------------------------------------------------------------------------

    def position(self, interaction_id: str) -> int | None:
        """1 = next in line in its queue; None when it is not waiting."""
        i = self._get_i(interaction_id)
        if i.state not in WAITING:
            return None
        key = i.order_key()
        interactions = self._interactions
        ahead = sum(1 for x in self._queue_waiting[i.queue] if interactions[x].order_key() < key)
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
        channel: Channel = Channel.VOICE,
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
        return sorted(self._queue_waiting[queue_id], key=lambda x: interactions[x].order_key())

    def queue_length(self, queue_id: str) -> int:
        self._get_q(queue_id)
        return len(self._queue_waiting[queue_id])

    def oldest_wait(self, queue_id: str, now: float) -> float | None:
        """Seconds the longest-waiting interaction of the queue has been in it."""
        self._get_q(queue_id)
        waiting = self._queue_waiting[queue_id]
        if not waiting:
            return None
        return now - min(self._interactions[x].enqueued_at for x in waiting)

    def queue_summary(self, now: float) -> dict[str, dict[str, Any]]:
        """Per queue: waiting, offered, oldest wait, and staffed/available agents (a wallboard row)."""
        offered: dict[str, int] = {}
        for i in self._interactions.values():
            if i.state is ST.OFFERED:
                offered[i.queue] = offered.get(i.queue, 0) + 1
        out: dict[str, dict[str, Any]] = {}
        for q in self._queues:
            members = self._members.get(queue_pool(q), [])
            out[q] = {
                "waiting": len(self._queue_waiting[q]),
                "offered": offered.get(q, 0),
                "oldest_wait_s": self.oldest_wait(q, now),
                "staffed": sum(1 for a in members if a.presence is not Presence.OFFLINE),
                "available": sum(1 for a in members if a.has_free_capacity()),
            }
        return out

    # -- snapshot ------------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """The logical state as JSON-safe values (indexes and timers are derived from it)."""
        return {
            "version": SNAPSHOT_VERSION,
            "seq": self._seq,
            "offer_seq": self._offer_seq,
            "day": self._day,
            "agents": {a.id: a.to_dict() for a in self._agent_list},
            "interactions": {k: i.to_dict() for k, i in self._interactions.items()},
            "resume": sorted([q, c, i] for (q, c), i in self._resume.items()),
            "rr": {q: dict(m) for q, m in self._rr.items()},
            "rr_counter": dict(self._rr_counter),
            "queue_aht": {q: list(v) for q, v in self._queue_aht.items()},
        }

    @classmethod
    def from_snapshot(cls, config: TenantConfig, snapshot: Mapping[str, Any], *, seed: int = 0) -> RoutingEngine:
        if snapshot.get("version") != SNAPSHOT_VERSION:
            raise ValueError(f"unsupported routing snapshot version {snapshot.get('version')!r}")
        engine = cls(config, seed=seed)
        engine._load(snapshot)
        return engine

    # ==========================================================================================
    # decisions: input handlers (validate everything first, then emit)
    # ==========================================================================================

    def _h_login(self, ev: I.AgentLogin, now: float) -> None:
        a = self._get_a(ev.agent)
        a.check_presence(PresenceTrigger.LOGIN)
        self._emit(E.AgentLoggedIn(now, a.id))

    def _h_logout(self, ev: I.AgentLogout, now: float) -> None:
        a = self._get_a(ev.agent)
        a.check_presence(PresenceTrigger.LOGOUT)
        self._cancel_agent_offers(a, "agent-logout", now)
        self._emit(E.AgentLoggedOut(now, a.id))

    def _h_pause(self, ev: I.AgentPause, now: float) -> None:
        a = self._get_a(ev.agent)
        a.check_presence(PresenceTrigger.PAUSE)
        reasons = self.config.pause_reasons
        if reasons and ev.reason not in reasons:
            raise InvalidInput(f"agent {a.id!r}: unknown pause reason {ev.reason!r} (known: {', '.join(reasons)})")
        self._pause(a, ev.reason, now, notify=False)

    def _h_ready(self, ev: I.AgentReady, now: float) -> None:
        a = self._get_a(ev.agent)
        a.check_presence(PresenceTrigger.READY)
        self._emit(E.AgentUnpaused(now, a.id))

    def _h_arrived(self, ev: I.InteractionArrived, now: float) -> None:
        if ev.interaction in self._interactions:
            raise DuplicateEntity("interaction", ev.interaction)
        qc = self._get_q(ev.queue)
        if ev.preferred_agent is not None:
            self._get_a(ev.preferred_agent)
        channel = ev.channel if type(ev.channel) is Channel else Channel(ev.channel)
        if ev.skills:
            requirement = merge_requirements(qc.required_skills, ev.skills)
            skills = tuple(sorted(requirement.items()))
        else:
            skills = self._queue_requirement[qc.id]
            requirement = dict(skills)
        self._emit(
            E.InteractionCreated(
                now,
                ev.interaction,
                ev.queue,
                channel,
                ev.priority,
                skills,
                ev.preferred_agent,
                tuple((str(k), str(v)) for k, v in ev.attributes.items()) if ev.attributes else (),
                ev.customer,
            )
        )
        priority = ev.priority + qc.priority
        order_at, order_seq, resumed = now, self._seq, None
        if ev.customer is not None:
            old = self._interactions.get(self._resume.get((ev.queue, ev.customer), ""))
            if (
                old is not None
                and old.state is ST.ABANDONED
                and old.abandoned_at is not None
                and now - old.abandoned_at <= qc.resume_window_s
            ):
                order_at, order_seq, resumed = old.order_at, old.order_seq, old.id
        exclusive, until = None, None
        if ev.preferred_agent is not None and qc.preferred_agent_wait_s > 0:
            exclusive, until = ev.preferred_agent, now + qc.preferred_agent_wait_s
        if resumed is None:
            position = self._newcomer_position(ev.queue, priority)
        else:
            key = (-priority, order_at, order_seq)
            interactions = self._interactions
            position = 1 + sum(1 for x in self._queue_waiting[ev.queue] if interactions[x].order_key() < key)
        estimate = self._estimate(ev.queue, (ev.queue,), (), exclusive, channel, requirement, position, now)
        self._emit(
            E.InteractionQueued(
                now, ev.interaction, ev.queue, priority, skills, order_at, order_seq, position, estimate,
                resumed, exclusive, until,
            )
        )
        self._announce.append((ev.interaction, position, estimate))

    def _offer_parties(self, interaction: str, agent: str) -> tuple[Interaction, Agent]:
        i = self._get_i(interaction)
        a = self._get_a(agent)
        if i.state is not ST.OFFERED or i.offer is None or a.id not in i.offer.agents:
            raise InvalidTransition("interaction", i.id, i.state.value, f"answer an offer to {a.id!r}")
        return i, a

    def _h_accepted(self, ev: I.OfferAccepted, now: float) -> None:
        i, a = self._offer_parties(ev.interaction, ev.agent)
        assert i.offer is not None
        others = [x for x in i.offer.agents if x != a.id]
        self._emit(E.OfferAccepted(now, i.id, a.id))
        self._emit(E.InteractionStarted(now, i.id, a.id))
        for x in others:
            self._emit(E.OfferCancelled(now, i.id, x, "answered-elsewhere"))
            self._commands.append(C.CancelOffer(i.id, x, "answered-elsewhere"))

    def _h_rejected(self, ev: I.OfferRejected, now: float) -> None:
        i, a = self._offer_parties(ev.interaction, ev.agent)
        self._emit(E.OfferRejected(now, i.id, a.id))
        self._check_misses(a, i.queue, now)

    def _h_held(self, ev: I.InteractionHeld, now: float) -> None:
        i = self._get_i(ev.interaction)
        i.check(Trigger.HOLD)
        self._emit(E.InteractionHeld(now, i.id))

    def _h_resumed(self, ev: I.InteractionResumed, now: float) -> None:
        i = self._get_i(ev.interaction)
        i.check(Trigger.RESUME)
        self._emit(E.InteractionResumed(now, i.id))

    def _h_transferred(self, ev: I.InteractionTransferred, now: float) -> None:
        i = self._get_i(ev.interaction)
        i.check(Trigger.TRANSFER)
        if ev.to_queue is None and ev.to_agent is None:
            raise InvalidInput(f"interaction {i.id!r}: a transfer needs a queue or an agent")
        target = ev.to_queue if ev.to_queue is not None else i.queue
        qc = self._get_q(target)
        if ev.to_agent is not None:
            ta = self._get_a(ev.to_agent)
            if ta.presence is Presence.OFFLINE:
                raise InvalidTransition("agent", ta.id, ta.presence.value, "receive a transfer")
        assert i.agent is not None
        from_agent = i.agent
        wrap_s = self._queues[i.queue].wrap_up_s
        self._emit(E.InteractionTransferred(now, i.id, from_agent, target, ev.to_agent, wrap_s > 0))
        if wrap_s > 0:
            self._emit(E.WrapUpStarted(now, i.id, from_agent, now + wrap_s))
        requirement = merge_requirements(
            qc.required_skills, (SkillRequirement(s, m) for s, m in i.skills.items())
        )
        priority = i.base_priority + qc.priority
        channel = i.channel
        position = self._newcomer_position(target, priority)
        estimate = self._estimate(target, (target,), (), ev.to_agent, channel, requirement, position, now)
        self._emit(
            E.InteractionQueued(
                now, i.id, target, priority, tuple(sorted(requirement.items())), now, self._seq, position,
                estimate, None, ev.to_agent, None,
            )
        )
        self._announce.append((i.id, position, estimate))

    def _h_ended(self, ev: I.InteractionEnded, now: float) -> None:
        i = self._get_i(ev.interaction)
        i.check(Trigger.END)
        assert i.agent is not None
        wrap_s = self._queues[i.queue].wrap_up_s
        self._emit(E.InteractionEnded(now, i.id, i.agent, wrap_s > 0))
        if wrap_s > 0:
            self._emit(E.WrapUpStarted(now, i.id, i.agent, now + wrap_s))

    def _h_wrapup_done(self, ev: I.WrapUpDone, now: float) -> None:
        i = self._get_i(ev.interaction)
        wrapping = i.wrap_agents
        if ev.agent is not None:
            self._get_a(ev.agent)
            if ev.agent not in wrapping:
                raise InvalidTransition("interaction", i.id, i.state.value, f"end {ev.agent!r}'s wrap-up")
            agent = ev.agent
        elif not wrapping:
            raise InvalidTransition("interaction", i.id, i.state.value, "end wrap-up")
        else:
            agent = i.agent if i.agent in wrapping else wrapping[0]
        dispositions = self.config.dispositions
        if ev.disposition is not None and dispositions and ev.disposition not in dispositions:
            raise InvalidInput(f"interaction {i.id!r}: unknown disposition {ev.disposition!r}")
        self._emit(E.WrapUpEnded(now, i.id, agent, ev.disposition, ev.notes, False))

    def _h_abandoned(self, ev: I.InteractionAbandoned, now: float) -> None:
        i = self._get_i(ev.interaction)
        i.check(Trigger.ABANDON)
        was = i.state.value
        if i.offer is not None:
            for x in i.offer.agents:
                self._emit(E.OfferCancelled(now, i.id, x, "abandoned"))
                self._commands.append(C.CancelOffer(i.id, x, "abandoned"))
        self._emit(E.InteractionAbandoned(now, i.id, was, now - i.enqueued_at))

    def _h_callback(self, ev: I.CallbackRequested, now: float) -> None:
        i = self._get_i(ev.interaction)
        i.check(Trigger.CALLBACK)
        if not ev.number:
            raise InvalidInput(f"interaction {i.id!r}: a callback needs a number")
        self._emit(E.CallbackRequested(now, i.id, ev.number))

    # -- shared decision steps -----------------------------------------------------------------

    def _pause(self, a: Agent, reason: str, now: float, *, notify: bool) -> None:
        self._emit(E.AgentPaused(now, a.id, reason))
        if notify:
            self._commands.append(C.NotifyAgentPaused(a.id, reason))
        self._cancel_agent_offers(a, "agent-paused", now)

    def _cancel_agent_offers(self, a: Agent, reason: str, now: float) -> None:
        for iid in [k for k, s in a.slots.items() if s.state is SlotState.OFFERED]:
            self._emit(E.OfferCancelled(now, iid, a.id, reason))
            self._commands.append(C.CancelOffer(iid, a.id, reason))

    def _check_misses(self, a: Agent, queue: str, now: float) -> None:
        limit = self._queues[queue].max_consecutive_misses
        if limit > 0 and a.misses >= limit and a.presence is Presence.READY:
            self._pause(a, "missed", now, notify=True)

    def _offer(self, i: Interaction, agents: Sequence[Agent], queue: str, now: float) -> None:
        qc = self._queues[i.queue]
        timeout_at = now + qc.offer_timeout_s
        ids = tuple(a.id for a in agents)
        number = i.callback_number
        self._emit(E.InteractionOffered(now, i.id, ids, self._offer_seq + 1, timeout_at, queue, number is not None))
        if number is not None:
            self._commands.append(C.StartCallback(i.id, ids[0], number, timeout_at, queue))
        else:
            self._commands.append(C.OfferInteraction(i.id, ids, timeout_at, i.channel, queue, i.customer, i.attributes))

    # -- timers --------------------------------------------------------------------------------

    def _arm(self, due: float, kind: int, ident: str, token: Any) -> None:
        self._tseq += 1
        heapq.heappush(self._timers, (due, self._tseq, kind, ident, token))

    def _timer_valid(self, entry: Timer) -> bool:
        due, _, kind, ident, token = entry
        if kind == WRAP_END:
            agent_id, iid = token
            a = self._agents.get(agent_id)
            slot = a.slots.get(iid) if a is not None else None
            return slot is not None and slot.state is SlotState.WRAP_UP and slot.until == due
        i = self._interactions.get(ident)
        if i is None:
            return False
        if kind == OFFER_TIMEOUT:
            return i.state is ST.OFFERED and i.offer is not None and i.offer.id == token
        if kind == STEP_DUE:
            return (
                (i.entry, i.step_index) == token
                and i.step_index < len(self._steps.get(i.queue, ()))
                and i.state in (ST.QUEUED, ST.CALLBACK_WAITING, ST.OFFERED)
            )
        if kind == MAX_WAIT:
            return i.entry == token and i.callback_number is None and i.state in (ST.QUEUED, ST.OFFERED)
        if kind == PREFERENCE_END:
            return i.entry == token and i.exclusive_agent is not None and i.exclusive_until == due
        if kind == RESUME_END:
            return i.state is ST.ABANDONED and i.abandoned_at == token
        return False

    def _fire(self, entry: Timer, now: float) -> None:
        _, _, kind, ident, token = entry
        if kind == WRAP_END:
            agent_id, iid = token
            self._emit(E.WrapUpEnded(now, iid, agent_id, None, "", True))
            return
        i = self._interactions[ident]
        if kind == OFFER_TIMEOUT:
            assert i.offer is not None
            agents = i.offer.agents
            self._emit(E.OfferTimedOut(now, i.id, agents))
            for x in agents:
                self._commands.append(C.CancelOffer(i.id, x, "no-answer"))
            for x in agents:
                self._check_misses(self._agents[x], i.queue, now)
        elif kind == STEP_DUE:
            step = self._steps[i.queue][i.step_index]
            skills, queues, groups, priority = apply_step(step, i.skills, i.queues, i.groups, i.priority)
            self._emit(
                E.WorkflowStepApplied(
                    now, i.id, i.step_index, priority, tuple(sorted(skills.items())), queues, groups
                )
            )
        elif kind == MAX_WAIT:
            if i.offer is not None:
                for x in i.offer.agents:
                    self._emit(E.OfferCancelled(now, i.id, x, "overflow"))
                    self._commands.append(C.CancelOffer(i.id, x, "overflow"))
            destination = self._queues[i.queue].overflow_destination
            self._emit(E.InteractionOverflowed(now, i.id, destination, now - i.enqueued_at))
            self._commands.append(C.SendToOverflow(i.id, destination))
        elif kind == PREFERENCE_END:
            self._emit(E.PreferenceExpired(now, i.id))
        elif kind == RESUME_END:
            self._emit(E.ResumeWindowExpired(now, i.id))

    def _arm_interaction_timers(self, i: Interaction) -> None:
        steps = self._steps.get(i.queue, ())
        if i.state in (ST.QUEUED, ST.CALLBACK_WAITING, ST.OFFERED) and i.step_index < len(steps):
            self._arm(i.enqueued_at + steps[i.step_index].after_s, STEP_DUE, i.id, (i.entry, i.step_index))
        qc = self._queues.get(i.queue)
        if qc is not None and qc.max_wait_s is not None and i.state in (ST.QUEUED, ST.OFFERED):
            self._arm(i.enqueued_at + qc.max_wait_s, MAX_WAIT, i.id, i.entry)
        if i.exclusive_agent is not None and i.exclusive_until is not None:
            self._arm(i.exclusive_until, PREFERENCE_END, i.id, i.entry)

    # ==========================================================================================
    # routing
    # ==========================================================================================

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
            qc = self._queues.get(qid)
            if qc is None:
                continue
            pool = queue_pool(qid)
            strategy = qc.strategy
            if strategy is Strategy.RING_ALL and channel is Channel.VOICE:
                found = self._all_free(pool, channel, requirement, avoid, i.id)
                if found:
                    self._offer(i, found, qid, now)
                    return
                continue
            if strategy is Strategy.HIGHEST_PROFICIENCY:
                chosen = self._best_scored(pool, channel, i.skills, avoid, i.id)
            else:
                chosen = self._first_free(pool, channel, requirement, avoid, i.id)
            if chosen is not None:
                self._offer(i, (chosen,), qid, now)
                return
        for g in i.groups:
            chosen = self._first_free(group_pool(g), channel, requirement, avoid, i.id)
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
        self, pool: PoolKey, channel: Channel, requirement: Sequence[tuple[str, int]], avoid: str | None, iid: str
    ) -> Agent | None:
        fh = self._free.get(pool)
        if fh is None:
            return None
        heap = fh.heap
        stamps = self._stamp
        agents = self._agent_list
        fresh = self._dirty_a
        skipped: list[Any] | None = None
        chosen = None
        while heap:
            entry = heap[0]
            idx = entry[-2]
            if stamps[idx] != entry[-1]:
                heapq.heappop(heap)
                continue
            a = agents[idx]
            if (
                a.id == avoid
                or a.id in fresh
                or iid in a.slots  # e.g. wrapping up this very interaction after transferring it
                or not a.can_take(channel)
                or not satisfies(a.skills, requirement)
            ):
                if skipped is None:
                    skipped = []
                skipped.append(heapq.heappop(heap))
                continue
            chosen = a
            break
        if skipped is not None:
            for entry in skipped:
                heapq.heappush(heap, entry)
        return chosen

    def _live_free(self, pool: PoolKey, iid: str) -> Iterable[tuple[tuple[float, ...], Agent]]:
        fh = self._free.get(pool)
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
        self, pool: PoolKey, channel: Channel, requirement: Sequence[tuple[str, int]], avoid: str | None, iid: str
    ) -> list[Agent]:
        found = [
            (key, a)
            for key, a in self._live_free(pool, iid)
            if a.id != avoid and a.can_take(channel) and satisfies(a.skills, requirement)
        ]
        found.sort(key=lambda x: x[0])
        return [a for _, a in found]

    def _best_scored(
        self, pool: PoolKey, channel: Channel, requirement: Mapping[str, int], avoid: str | None, iid: str
    ) -> Agent | None:
        items = tuple(requirement.items())
        best: tuple[Any, ...] | None = None
        chosen = None
        for key, a in self._live_free(pool, iid):
            if a.id == avoid or not a.can_take(channel) or not satisfies(a.skills, items):
                continue
            rank = (-proficiency_score(a, requirement), *key)
            if best is None or rank < best:
                best, chosen = rank, a
        return chosen

    def _route_agent(self, a: Agent, now: float) -> None:
        waiting = self._waiting
        weight = self._weight
        skills = a.skills
        while a.has_free_capacity():
            best: Interaction | None = None
            best_rank: tuple[float, float, int] = (0, 0.0, 0)
            best_queue: str | None = None
            for pool, pool_queue in self._agent_pools[a.index]:
                buckets = waiting.get(pool)
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
                    rank = (-i.priority, -(now - i.order_at) * weight.get(i.queue, 1.0), i.order_seq)
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

    # -- indexes -------------------------------------------------------------------------------

    def _entry_valid(self, e: WaitEntry) -> bool:
        i = self._interactions.get(e[4])
        return i is not None and i.version == e[3]

    def _flush_pending(self) -> None:
        if self._pending:
            pending = self._pending
            self._pending = {}
            for i in pending.values():
                if i.state in WAITING:
                    self._register(i, dirty=False)

    def _register(self, i: Interaction, *, dirty: bool = True) -> None:
        self._reg_seq += 1
        version = self._reg_seq
        i.version = version
        signature: Signature = (route_channel(i), tuple(sorted(i.skills.items())))
        entry: WaitEntry = (-i.priority, i.order_at, i.order_seq, version, i.id)
        if i.exclusive_agent is not None:
            pools = [agent_pool(i.exclusive_agent)]
        else:
            pools = [queue_pool(q) for q in i.queues] + [group_pool(g) for g in i.groups]
        buckets: list[Bucket] = []
        for p in pools:
            by_sig = self._waiting.get(p)
            if by_sig is None:
                by_sig = self._waiting[p] = {}
            b = by_sig.get(signature)
            if b is None:
                b = by_sig[signature] = Bucket(by_sig, signature)
            b.push(entry, self._entry_valid)
            buckets.append(b)
        self._regs[i.id] = (buckets, i.queue, i.priority)
        self._queue_waiting[i.queue][i.id] = None
        counts = self._prio_counts[i.queue]
        counts[i.priority] = counts.get(i.priority, 0) + 1
        if dirty:
            self._dirty_i[i.id] = None

    def _unregister(self, i: Interaction) -> None:
        if self._pending:
            self._pending.pop(i.id, None)
        reg = self._regs.pop(i.id, None)
        if reg is None:
            return
        buckets, queue, priority = reg
        self._reg_seq += 1
        i.version = self._reg_seq
        for b in buckets:
            b.drop()
        del self._queue_waiting[queue][i.id]
        counts = self._prio_counts[queue]
        counts[priority] -= 1
        if not counts[priority]:
            del counts[priority]

    def _relist(self, a: Agent) -> None:
        """Refresh the agent's entries in their pools' free heaps (after any change to capacity or key)."""
        idx = a.index
        stamp = self._stamp[idx] + 1
        self._stamp[idx] = stamp
        if a.has_free_capacity():
            stamps = self._stamp
            seed = self.seed
            idle_entry = (a.total, a.idle_since, idx, stamp)
            for strategy, fh, rr in self._free_pools[idx]:
                entry = idle_entry if strategy is Strategy.LONGEST_IDLE else (*key_for(strategy, a, rr, seed), stamp)
                heap = fh.heap
                heapq.heappush(heap, entry)
                if len(heap) > fh.limit:
                    fh.compact(stamps)
        self._update_aggregates(a)

    def _freed(self, a: Agent) -> None:
        self._relist(a)
        self._dirty_a[a.id] = a

    # -- estimates -----------------------------------------------------------------------------

    def _newcomer_position(self, queue_id: str, priority: int) -> int:
        counts = self._prio_counts[queue_id]
        if not counts:
            return 1
        return 1 + sum(n for p, n in counts.items() if p >= priority)

    def _contribution(self, a: Agent, channel: Channel, prior: float) -> tuple[int, int]:
        """(free units, release rate) the agent adds to an estimate on ``channel``."""
        if a.presence is not Presence.READY:
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
        requirement: Mapping[str, int],
        k: int,
        now: float,
    ) -> float | None:
        items = tuple(sorted(requirement.items())) if len(requirement) > 1 else tuple(requirement.items())
        if exclusive is None and not groups and len(queues) == 1 and queues[0] == queue_id:
            aggregate = self._agg.get((queue_id, channel))
            if aggregate is not None:
                if items == self._queue_requirement[queue_id]:
                    return ewt.expected_wait(k, aggregate[0], aggregate[1])
                # a narrower requirement (the queue's own and more): the members who meet it
                contrib = self._agg_contrib
                free = rate = 0
                for a, n in self._agg_roster.get(id(aggregate), ()):
                    if satisfies(a.skills, items):
                        f, r = contrib[a.index][n]
                        free += f
                        rate += r
                return ewt.expected_wait(k, free, rate)
        prior = self._queues[queue_id].aht_prior_s
        free = rate = 0
        for a in self._eligible(queues, groups, exclusive, channel, items):
            f, r = self._contribution(a, channel, prior)
            free += f
            rate += r
        return ewt.expected_wait(k, free, rate)

    def _update_aggregates(self, a: Agent) -> None:
        memberships = self._agg_members[a.index]
        if not memberships:
            return
        contrib = self._agg_contrib[a.index]
        ready = a.presence is Presence.READY
        room = a.total_capacity - a.total
        load = a.load
        aht = a.aht
        scale = ewt.RATE_SCALE
        for n, (cc, units, name, prior, aggregates) in enumerate(memberships):
            if ready:
                free = units - load.get(cc, 0)
                if free > room:
                    free = room
                if free < 0:
                    free = 0
                mine = aht.get(name)
                held = mine[0] if mine is not None else prior
                rate = int(units * scale / (held if held > 1e-3 else 1e-3))
            else:
                free = rate = 0
            old_free, old_rate = contrib[n]
            if free != old_free or rate != old_rate:
                d_free = free - old_free
                d_rate = rate - old_rate
                for aggregate in aggregates:
                    aggregate[0] += d_free
                    aggregate[1] += d_rate
                contrib[n] = (free, rate)

    # ==========================================================================================
    # facts: emit and apply (the only code that changes state)
    # ==========================================================================================

    def _emit(self, fact: E.Event) -> None:
        if fact.at >= self._day_ends:
            self._new_day(int(fact.at // DAY_S))
        self._appliers[type(fact)](fact)
        self._events.append(fact)
        if self._touched:
            changed = self._changed
            for a in self._touched:
                changed[a.id] = (a, fact)
            self._touched.clear()

    def _flush_states(self) -> None:
        """One state change per agent per decision: the net change, with the last cause as reason.

        (An agent who ends a call and is offered the next in the same decision goes from busy to
        reserved; they were never available to anyone.)
        """
        if not self._changed:
            return
        changed = self._changed
        self._changed = {}
        for a, fact in changed.values():
            state = a.summary()
            if state is not a.state:
                reason = _STATE_REASON.get(type(fact))
                if reason is None:
                    reason = fact.reason if isinstance(fact, (E.AgentPaused, E.OfferCancelled)) else fact.KIND
                self._events.append(E.AgentStateChanged(fact.at, a.id, state, a.state, reason))
                a.state = state  # what applying that fact does
                a.state_since = fact.at

    def _finish(self) -> Decision:
        self._flush_states()
        decision = Decision(tuple(self._events), tuple(self._commands))
        self._events.clear()
        self._commands.clear()
        if self._announce:
            self._announce.clear()
        self._touched.clear()
        return decision

    def _apply(self, fact: E.Event) -> None:
        if fact.at >= self._day_ends:
            self._new_day(int(fact.at // DAY_S))
        self._appliers[type(fact)](fact)

    def _new_day(self, day: int) -> None:
        first = self._day is None
        self._day = day
        self._day_ends = (day + 1) * DAY_S
        if first:
            return
        for a in self._agent_list:
            if a.handled_today:
                a.handled_today = 0
                self._relist(a)

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
        q = self._queues.get(queue_id)
        if q is None:
            raise UnknownEntity("queue", queue_id)
        return q

    def _requeue(self, i: Interaction) -> None:
        i.fire(Trigger.REQUEUE)
        i.offer = None
        self._register(i)

    def _complete_work(self, a: Agent, i: Interaction, at: float) -> None:
        slot = a.slots[i.id]
        a.fire_slot(i.id, SlotTrigger.RELEASE, at)
        if slot.accepted_at is not None:
            seconds = at - slot.accepted_at
            a.note_handle_time(slot.channel, seconds, ewt.ALPHA)  # before _freed re-lists the agent
            mean = self._queue_aht.get(i.queue)
            if mean is None:
                self._queue_aht[i.queue] = [seconds, 1.0]
            else:
                mean[0] = ewt.ewma(mean[0], seconds)
                mean[1] += 1.0
        a.handled_today += 1
        a.idle_since = at
        self._freed(a)
        self._touched.append(a)

    def _maybe_forget(self, i: Interaction) -> None:
        if i.wrap_agents:
            return
        if i.state in (ST.ENDED, ST.OVERFLOWED) or (i.state is ST.ABANDONED and i.abandoned_at is None):
            self._unregister(i)
            del self._interactions[i.id]

    # -- interaction facts ---------------------------------------------------------------------

    def _a_created(self, f: E.InteractionCreated) -> None:
        self._interactions[f.interaction] = Interaction(
            f.interaction,
            f.queue,
            f.channel if type(f.channel) is Channel else Channel(f.channel),
            f.priority,
            dict(f.skills),
            f.preferred_agent,
            dict(f.attributes),
            f.customer,
            f.at,
            -1,
        )

    def _a_queued(self, f: E.InteractionQueued) -> None:
        i = self._interactions[f.interaction]
        if i.state is not ST.QUEUED:
            raise InvalidTransition("interaction", i.id, i.state.value, "enter a queue")
        if f.resumed_from is not None:
            old = self._interactions.get(f.resumed_from)
            if old is not None:
                if old.customer is not None and self._resume.get((old.queue, old.customer)) == old.id:
                    del self._resume[(old.queue, old.customer)]
                old.abandoned_at = None
                self._maybe_forget(old)
        i.queue = f.queue
        i.priority = f.priority
        i.skills = dict(f.skills)
        i.order_at = f.order_at
        i.order_seq = f.order_seq
        self._seq = max(self._seq, f.order_seq + 1)
        i.enqueued_at = f.at
        i.entry += 1
        i.step_index = 0
        i.queues = [f.queue]
        i.groups = []
        i.exclusive_agent = f.exclusive_agent
        i.exclusive_until = f.exclusive_until
        i.ewt = f.ewt
        i.last_missed = None
        i.callback_number = None
        i.offer = None
        self._pending[i.id] = i
        self._dirty_i[i.id] = None
        self._arm_interaction_timers(i)

    def _a_offered(self, f: E.InteractionOffered) -> None:
        i = self._interactions[f.interaction]
        offered = i.check(Trigger.OFFER)
        self._unregister(i)
        i.state = offered
        agents = f.agents if type(f.agents) is tuple else tuple(f.agents)
        i.offer = Offer(f.offer, agents, f.timeout_at, f.queue, f.callback)
        if f.offer > self._offer_seq:
            self._offer_seq = f.offer
        rr = self._rr.get(f.queue) if self._rr else None
        channel = route_channel(i)
        for x in agents:
            a = self._agents[x]
            a.add_offer(i.id, channel, f.at)
            if rr is not None:
                counter = self._rr_counter[f.queue]
                rr[x] = counter
                self._rr_counter[f.queue] = counter + 1
            self._relist(a)
            self._touched.append(a)
        self._arm(f.timeout_at, OFFER_TIMEOUT, i.id, f.offer)

    def _a_accepted(self, f: E.OfferAccepted) -> None:
        i = self._interactions[f.interaction]
        a = self._agents[f.agent]
        i.check(Trigger.ACCEPT)
        a.fire_slot(i.id, SlotTrigger.ACCEPT, f.at)
        i.fire(Trigger.ACCEPT)
        a.misses = 0
        i.agent = a.id
        i.accepted_at = f.at
        i.offer = None
        i.last_missed = None
        self._touched.append(a)

    def _release_offer(self, i: Interaction, a: Agent, at: float) -> bool:
        """Free the agent's reserved slot; True if that was the last phone the offer was ringing."""
        a.fire_slot(i.id, SlotTrigger.RELEASE, at)
        self._freed(a)
        self._touched.append(a)
        offer = i.offer
        if i.state is not ST.OFFERED or offer is None or a.id not in offer.agents:
            return False
        offer.agents = tuple(x for x in offer.agents if x != a.id)
        return not offer.agents

    def _a_rejected(self, f: E.OfferRejected) -> None:
        i = self._interactions[f.interaction]
        a = self._agents[f.agent]
        a.misses += 1
        if self._release_offer(i, a, f.at):
            i.last_missed = a.id
            self._requeue(i)

    def _a_timed_out(self, f: E.OfferTimedOut) -> None:
        i = self._interactions[f.interaction]
        last = False
        for x in f.agents:
            a = self._agents[x]
            a.misses += 1
            last = self._release_offer(i, a, f.at) or last
        if last:
            i.last_missed = f.agents[0] if len(f.agents) == 1 else None
            self._requeue(i)

    def _a_cancelled(self, f: E.OfferCancelled) -> None:
        i = self._interactions[f.interaction]
        if self._release_offer(i, self._agents[f.agent], f.at):
            self._requeue(i)

    def _a_started(self, f: E.InteractionStarted) -> None:
        i = self._interactions[f.interaction]
        if i.state is not ST.CONNECTED or i.agent != f.agent:
            raise InvalidTransition("interaction", i.id, i.state.value, "start")

    def _a_held(self, f: E.InteractionHeld) -> None:
        self._interactions[f.interaction].fire(Trigger.HOLD)

    def _a_resumed(self, f: E.InteractionResumed) -> None:
        self._interactions[f.interaction].fire(Trigger.RESUME)

    def _a_transferred(self, f: E.InteractionTransferred) -> None:
        i = self._interactions[f.interaction]
        a = self._agents[f.from_agent]
        i.fire(Trigger.TRANSFER)
        if f.wrap_up:
            a.fire_slot(i.id, SlotTrigger.WRAP, f.at)
            i.wrap_agents.append(a.id)
            self._touched.append(a)
        else:
            self._complete_work(a, i, f.at)

    def _a_ended(self, f: E.InteractionEnded) -> None:
        i = self._interactions[f.interaction]
        a = self._agents[f.agent]
        if f.wrap_up:
            i.fire(Trigger.END)
            a.fire_slot(i.id, SlotTrigger.WRAP, f.at)
            i.wrap_agents.append(a.id)
            self._touched.append(a)
        else:
            i.fire(Trigger.END_NO_WRAP)
            self._complete_work(a, i, f.at)
            self._maybe_forget(i)

    def _a_wrap_started(self, f: E.WrapUpStarted) -> None:
        slot = self._agents[f.agent].slots[f.interaction]
        slot.until = f.until
        self._arm(f.until, WRAP_END, f.interaction, (f.agent, f.interaction))

    def _a_wrap_ended(self, f: E.WrapUpEnded) -> None:
        i = self._interactions[f.interaction]
        a = self._agents[f.agent]
        if a.slots.get(i.id) is None or a.slots[i.id].state is not SlotState.WRAP_UP:
            raise InvalidTransition("agent", a.id, "not wrapping up", f"end wrap-up of {i.id!r}")
        self._complete_work(a, i, f.at)
        i.wrap_agents.remove(a.id)
        if i.state is ST.WRAP_UP and i.agent == a.id:
            i.fire(Trigger.WRAP_DONE)
        self._maybe_forget(i)

    def _a_abandoned(self, f: E.InteractionAbandoned) -> None:
        i = self._interactions[f.interaction]
        i.check(Trigger.ABANDON)
        self._unregister(i)
        i.fire(Trigger.ABANDON)
        i.offer = None
        if i.customer is not None:
            key = (i.queue, i.customer)
            previous = self._interactions.get(self._resume.get(key, ""))
            if previous is not None and previous is not i:
                previous.abandoned_at = None
                self._maybe_forget(previous)
            self._resume[key] = i.id
            i.abandoned_at = f.at
            window = self._queues[i.queue].resume_window_s if i.queue in self._queues else 0.0
            self._arm(f.at + window, RESUME_END, i.id, f.at)
        self._maybe_forget(i)

    def _a_callback(self, f: E.CallbackRequested) -> None:
        i = self._interactions[f.interaction]
        i.check(Trigger.CALLBACK)
        self._unregister(i)
        i.fire(Trigger.CALLBACK)
        i.callback_number = f.number
        self._register(i)

    def _a_step(self, f: E.WorkflowStepApplied) -> None:
        i = self._interactions[f.interaction]
        i.step_index = f.step + 1
        i.priority = f.priority
        i.skills = dict(f.skills)
        i.queues = list(f.queues)
        i.groups = list(f.groups)
        if i.state in WAITING:
            self._unregister(i)
            self._register(i)
        steps = self._steps.get(i.queue, ())
        if i.step_index < len(steps):
            self._arm(i.enqueued_at + steps[i.step_index].after_s, STEP_DUE, i.id, (i.entry, i.step_index))

    def _a_overflowed(self, f: E.InteractionOverflowed) -> None:
        i = self._interactions[f.interaction]
        i.check(Trigger.OVERFLOW)
        self._unregister(i)
        i.fire(Trigger.OVERFLOW)
        i.offer = None
        self._maybe_forget(i)

    def _a_preference_expired(self, f: E.PreferenceExpired) -> None:
        i = self._interactions[f.interaction]
        i.exclusive_agent = None
        i.exclusive_until = None
        if i.state in WAITING:
            self._unregister(i)
            self._register(i)

    def _a_resume_expired(self, f: E.ResumeWindowExpired) -> None:
        i = self._interactions[f.interaction]
        if i.customer is not None and self._resume.get((i.queue, i.customer)) == i.id:
            del self._resume[(i.queue, i.customer)]
        i.abandoned_at = None
        self._maybe_forget(i)

    # -- agent facts ---------------------------------------------------------------------------

    def _a_logged_in(self, f: E.AgentLoggedIn) -> None:
        a = self._agents[f.agent]
        a.fire_presence(PresenceTrigger.LOGIN)
        a.idle_since = f.at
        a.misses = 0
        self._freed(a)
        self._touched.append(a)

    def _a_logged_out(self, f: E.AgentLoggedOut) -> None:
        a = self._agents[f.agent]
        a.fire_presence(PresenceTrigger.LOGOUT)
        self._relist(a)
        self._touched.append(a)

    def _a_paused(self, f: E.AgentPaused) -> None:
        a = self._agents[f.agent]
        a.fire_presence(PresenceTrigger.PAUSE, f.reason)
        self._relist(a)
        self._touched.append(a)

    def _a_unpaused(self, f: E.AgentUnpaused) -> None:
        a = self._agents[f.agent]
        a.fire_presence(PresenceTrigger.READY)
        a.idle_since = f.at
        a.misses = 0
        self._freed(a)
        self._touched.append(a)

    def _a_state_changed(self, f: E.AgentStateChanged) -> None:
        a = self._agents[f.agent]
        a.state = f.state if type(f.state) is AgentState else AgentState(f.state)
        a.state_since = f.at

    # -- restore -------------------------------------------------------------------------------

    def _load(self, snap: Mapping[str, Any]) -> None:
        self._seq = int(snap["seq"])
        self._offer_seq = int(snap["offer_seq"])
        self._day = snap["day"]
        self._day_ends = (self._day + 1) * DAY_S if self._day is not None else float("-inf")
        for agent_id, data in snap["agents"].items():
            self._get_a(agent_id).load_dict(data)
        for iid, data in snap["interactions"].items():
            self._interactions[iid] = Interaction.from_dict(iid, data)
        self._resume = {(q, c): i for q, c, i in snap["resume"]}
        for q, memory in snap["rr"].items():
            if q in self._rr:
                self._rr[q].clear()
                self._rr[q].update(memory)
        for q, n in snap["rr_counter"].items():
            if q in self._rr_counter:
                self._rr_counter[q] = int(n)
        self._queue_aht = {q: [float(v[0]), float(v[1])] for q, v in snap["queue_aht"].items()}
        for a in self._agent_list:
            self._relist(a)
            for iid, slot in a.slots.items():
                if slot.state is SlotState.WRAP_UP and slot.until is not None:
                    self._arm(slot.until, WRAP_END, iid, (a.id, iid))
        for i in self._interactions.values():
            if i.state in WAITING:
                self._register(i)
            if i.state is ST.OFFERED and i.offer is not None:
                self._arm(i.offer.timeout_at, OFFER_TIMEOUT, i.id, i.offer.id)
            if i.state is ST.ABANDONED and i.abandoned_at is not None:
                window = self._queues[i.queue].resume_window_s if i.queue in self._queues else 0.0
                self._arm(i.abandoned_at + window, RESUME_END, i.id, i.abandoned_at)
            self._arm_interaction_timers(i)
        self._dirty_i.clear()
        self._dirty_a.clear()
        self._touched.clear()
