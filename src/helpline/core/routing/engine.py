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

Where the code is
-----------------
``RoutingEngine`` is assembled from layers, each in its own module and each building on the
one before: ``state`` (configuration lookups, logical state, index storage), ``indexes``
(keeping the indexes in step), ``queries`` (read-outs and wait estimates), ``appliers``
(applying facts: the only code that changes state), ``matchmaker`` (the match search),
``timers`` (timers and the shared pause/cancel steps), ``handlers_agent`` and
``handlers_interaction`` (one method per input), ``snapshot``; this module holds the public
entry points (``handle``, ``on_timer``, ``apply``) and the per-decision bookkeeping.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from helpline.core import commands as C
from helpline.core import events as E
from helpline.core import inputs as I
from helpline.core.config import TenantConfig
from helpline.core.errors import CoreError, InvalidInput
from helpline.core.interaction import WAITING
from helpline.core.records import quick_init
from helpline.core.routing.snapshot import SNAPSHOT_VERSION, Snapshots
from helpline.core.routing.state import DAY_S, route_channel

__all__ = ["DAY_S", "SNAPSHOT_VERSION", "Decision", "RoutingEngine", "route_channel"]


@dataclass(frozen=True, slots=True)
class Decision:
    """What one input or timer caused: facts for the log and commands for the edges."""

    events: tuple[E.Event, ...] = ()
    commands: tuple[C.Command, ...] = ()

    def __init__(self, events: tuple[E.Event, ...] = (), commands: tuple[C.Command, ...] = ()) -> None:
        self.events = events  # type: ignore[misc]
        self.commands = commands  # type: ignore[misc]


quick_init(Decision)


_STATE_REASON: Final[dict[type, str]] = {
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


class RoutingEngine(Snapshots):
    """The ACD for one tenant. See the module docstring."""

    def handle(self, event: I.Input | object, now: float) -> Decision:
        """Decide what ``event`` causes at time ``now``; raises CoreError (changing nothing) if it does not fit."""
        # (``| object``: compiled by mypyc, a typed argument would raise TypeError before InvalidInput)
        try:
            self._decide(event, now)
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

    def _decide(self, event: object, now: float) -> None:
        # the usual inputs first: a chain of type checks is what the compiled core runs fastest
        if isinstance(event, I.InteractionArrived):
            self._h_arrived(event, now)
        elif isinstance(event, I.InteractionEnded):
            self._h_ended(event, now)
        elif isinstance(event, I.OfferAccepted):
            self._h_accepted(event, now)
        elif isinstance(event, I.InteractionAbandoned):
            self._h_abandoned(event, now)
        elif isinstance(event, I.WrapUpDone):
            self._h_wrapup_done(event, now)
        elif isinstance(event, I.OfferRejected):
            self._h_rejected(event, now)
        elif isinstance(event, I.AgentLogin):
            self._h_login(event, now)
        elif isinstance(event, I.AgentLogout):
            self._h_logout(event, now)
        elif isinstance(event, I.AgentPause):
            self._h_pause(event, now)
        elif isinstance(event, I.AgentReady):
            self._h_ready(event, now)
        elif isinstance(event, I.InteractionHeld):
            self._h_held(event, now)
        elif isinstance(event, I.InteractionResumed):
            self._h_resumed(event, now)
        elif isinstance(event, I.InteractionTransferred):
            self._h_transferred(event, now)
        elif isinstance(event, I.CallbackRequested):
            self._h_callback(event, now)
        else:
            raise InvalidInput(f"not a routing input: {type(event).__name__}")

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

    @classmethod
    def from_snapshot(cls, config: TenantConfig, snapshot: Mapping[str, Any], *, seed: int = 0) -> RoutingEngine:
        if snapshot.get("version") != SNAPSHOT_VERSION:
            raise ValueError(f"unsupported routing snapshot version {snapshot.get('version')!r}")
        engine = cls(config, seed=seed)
        engine._load(snapshot)
        return engine

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
