"""Applying facts: the only code that changes the engine's state.

Each ``_a_*`` method applies one kind of fact (``core.events``), live (``_emit``, the moment a
decision emits it) or on replay (``RoutingEngine.apply``); it decides nothing.
"""

from __future__ import annotations

from helpline.core import events as E
from helpline.core.agent import Agent, AgentState
from helpline.core.config import Channel
from helpline.core.errors import InvalidTransition
from helpline.core.interaction import WAITING, Interaction, Offer
from helpline.core.routing import ewt
from helpline.core.routing.queries import Queries
from helpline.core.routing.state import (
    DAY_S,
    FORGETTABLE,
    MAX_WAIT,
    OFFER_TIMEOUT,
    PREFERENCE_END,
    PRESENCE_TRIGGER_LOGIN,
    PRESENCE_TRIGGER_LOGOUT,
    PRESENCE_TRIGGER_PAUSE,
    PRESENCE_TRIGGER_READY,
    RESUME_END,
    SLOT_TRIGGER_ACCEPT,
    SLOT_TRIGGER_RELEASE,
    SLOT_TRIGGER_WRAP,
    SLOT_WRAP_UP,
    ST_ABANDONED,
    ST_CONNECTED,
    ST_OFFERED,
    ST_QUEUED,
    ST_WRAP_UP,
    STEP_DUE,
    STEPPING,
    TIMING_OUT,
    TRIGGER_ABANDON,
    TRIGGER_ACCEPT,
    TRIGGER_CALLBACK,
    TRIGGER_END,
    TRIGGER_END_NO_WRAP,
    TRIGGER_HOLD,
    TRIGGER_OFFER,
    TRIGGER_OVERFLOW,
    TRIGGER_REQUEUE,
    TRIGGER_RESUME,
    TRIGGER_TRANSFER,
    TRIGGER_WRAP_DONE,
    WRAP_END,
    route_channel,
)


class FactAppliers(Queries):
    """Emit facts and apply them to agents, interactions and indexes."""

    def _emit(self, fact: E.Event) -> None:
        if fact.at >= self._day_ends:
            self._new_day(int(fact.at // DAY_S))
        self._dispatch(fact)
        self._events.append(fact)
        if self._touched:
            changed = self._changed
            for a in self._touched:
                changed[a.id] = (a, fact)
            self._touched.clear()

    def _apply(self, fact: E.Event) -> None:
        if fact.at >= self._day_ends:
            self._new_day(int(fact.at // DAY_S))
        self._dispatch(fact)

    def _dispatch(self, fact: E.Event) -> None:
        """Apply ``fact`` with its kind's applier (the usual kinds first: a chain of type checks is
        what the compiled core runs fastest)."""
        if isinstance(fact, E.InteractionOffered):
            self._a_offered(fact)
        elif isinstance(fact, E.InteractionCreated):
            self._a_created(fact)
        elif isinstance(fact, E.InteractionQueued):
            self._a_queued(fact)
        elif isinstance(fact, E.OfferAccepted):
            self._a_accepted(fact)
        elif isinstance(fact, E.InteractionStarted):
            self._a_started(fact)
        elif isinstance(fact, E.InteractionEnded):
            self._a_ended(fact)
        elif isinstance(fact, E.InteractionAbandoned):
            self._a_abandoned(fact)
        elif isinstance(fact, E.OfferCancelled):
            self._a_cancelled(fact)
        elif isinstance(fact, E.WrapUpStarted):
            self._a_wrap_started(fact)
        elif isinstance(fact, E.WrapUpEnded):
            self._a_wrap_ended(fact)
        elif isinstance(fact, E.AgentStateChanged):
            self._a_state_changed(fact)
        elif isinstance(fact, E.OfferRejected):
            self._a_rejected(fact)
        elif isinstance(fact, E.OfferTimedOut):
            self._a_timed_out(fact)
        elif isinstance(fact, E.InteractionHeld):
            self._a_held(fact)
        elif isinstance(fact, E.InteractionResumed):
            self._a_resumed(fact)
        elif isinstance(fact, E.InteractionTransferred):
            self._a_transferred(fact)
        elif isinstance(fact, E.CallbackRequested):
            self._a_callback(fact)
        elif isinstance(fact, E.WorkflowStepApplied):
            self._a_step(fact)
        elif isinstance(fact, E.InteractionOverflowed):
            self._a_overflowed(fact)
        elif isinstance(fact, E.PreferenceExpired):
            self._a_preference_expired(fact)
        elif isinstance(fact, E.ResumeWindowExpired):
            self._a_resume_expired(fact)
        elif isinstance(fact, E.AgentLoggedIn):
            self._a_logged_in(fact)
        elif isinstance(fact, E.AgentLoggedOut):
            self._a_logged_out(fact)
        elif isinstance(fact, E.AgentPaused):
            self._a_paused(fact)
        elif isinstance(fact, E.AgentUnpaused):
            self._a_unpaused(fact)
        else:
            raise TypeError(f"not a routing fact: {type(fact).__name__}")

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

    def _requeue(self, i: Interaction) -> None:
        i.fire(TRIGGER_REQUEUE)
        i.offer = None
        self._register(i)

    def _complete_work(self, a: Agent, i: Interaction, at: float) -> None:
        slot = a.slots[i.id]
        a.fire_slot(i.id, SLOT_TRIGGER_RELEASE, at)
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
        if i.state in FORGETTABLE or (i.state is ST_ABANDONED and i.abandoned_at is None):
            self._unregister(i)
            del self._interactions[i.id]

    def _arm_interaction_timers(self, i: Interaction) -> None:
        qx = self._qx.get(i.queue)
        if qx is not None:
            steps = qx.steps
            if i.state in STEPPING and i.step_index < len(steps):
                self._arm(i.enqueued_at + steps[i.step_index].after_s, STEP_DUE, i.id, (i.entry, i.step_index))
            max_wait = qx.config.max_wait_s
            if max_wait is not None and i.state in TIMING_OUT:
                self._arm(i.enqueued_at + max_wait, MAX_WAIT, i.id, i.entry)
        if i.exclusive_agent is not None and i.exclusive_until is not None:
            self._arm(i.exclusive_until, PREFERENCE_END, i.id, i.entry)

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
        if i.state is not ST_QUEUED:
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
        i.queues = (f.queue,)
        i.groups = ()
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
        offered = i.check(TRIGGER_OFFER)
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
            self._relist(a, rates=False)  # an offer changes neither presence nor handle times
            self._touched.append(a)
        self._arm(f.timeout_at, OFFER_TIMEOUT, i.id, f.offer)

    def _a_accepted(self, f: E.OfferAccepted) -> None:
        i = self._interactions[f.interaction]
        a = self._agents[f.agent]
        i.check(TRIGGER_ACCEPT)
        a.fire_slot(i.id, SLOT_TRIGGER_ACCEPT, f.at)
        i.fire(TRIGGER_ACCEPT)
        a.misses = 0
        i.agent = a.id
        i.accepted_at = f.at
        i.offer = None
        i.last_missed = None
        self._touched.append(a)

    def _release_offer(self, i: Interaction, a: Agent, at: float) -> bool:
        """Free the agent's reserved slot; True if that was the last phone the offer was ringing."""
        a.fire_slot(i.id, SLOT_TRIGGER_RELEASE, at)
        self._freed(a, rates=False)  # no work done: handle times are unchanged
        self._touched.append(a)
        offer = i.offer
        if i.state is not ST_OFFERED or offer is None or a.id not in offer.agents:
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
        if i.state is not ST_CONNECTED or i.agent != f.agent:
            raise InvalidTransition("interaction", i.id, i.state.value, "start")

    def _a_held(self, f: E.InteractionHeld) -> None:
        self._interactions[f.interaction].fire(TRIGGER_HOLD)

    def _a_resumed(self, f: E.InteractionResumed) -> None:
        self._interactions[f.interaction].fire(TRIGGER_RESUME)

    def _a_transferred(self, f: E.InteractionTransferred) -> None:
        i = self._interactions[f.interaction]
        a = self._agents[f.from_agent]
        i.fire(TRIGGER_TRANSFER)
        if f.wrap_up:
            a.fire_slot(i.id, SLOT_TRIGGER_WRAP, f.at)
            i.wrap_agents = (*i.wrap_agents, a.id)
            self._touched.append(a)
        else:
            self._complete_work(a, i, f.at)

    def _a_ended(self, f: E.InteractionEnded) -> None:
        i = self._interactions[f.interaction]
        a = self._agents[f.agent]
        if f.wrap_up:
            i.fire(TRIGGER_END)
            a.fire_slot(i.id, SLOT_TRIGGER_WRAP, f.at)
            i.wrap_agents = (*i.wrap_agents, a.id)
            self._touched.append(a)
        else:
            i.fire(TRIGGER_END_NO_WRAP)
            self._complete_work(a, i, f.at)
            self._maybe_forget(i)

    def _a_wrap_started(self, f: E.WrapUpStarted) -> None:
        slot = self._agents[f.agent].slots[f.interaction]
        slot.until = f.until
        self._arm(f.until, WRAP_END, f.interaction, (f.agent, f.interaction))

    def _a_wrap_ended(self, f: E.WrapUpEnded) -> None:
        i = self._interactions[f.interaction]
        a = self._agents[f.agent]
        if a.slots.get(i.id) is None or a.slots[i.id].state is not SLOT_WRAP_UP:
            raise InvalidTransition("agent", a.id, "not wrapping up", f"end wrap-up of {i.id!r}")
        self._complete_work(a, i, f.at)
        i.wrap_agents = tuple(x for x in i.wrap_agents if x != a.id)
        if i.state is ST_WRAP_UP and i.agent == a.id:
            i.fire(TRIGGER_WRAP_DONE)
        self._maybe_forget(i)

    def _a_abandoned(self, f: E.InteractionAbandoned) -> None:
        i = self._interactions[f.interaction]
        i.check(TRIGGER_ABANDON)
        self._unregister(i)
        i.fire(TRIGGER_ABANDON)
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
        i.check(TRIGGER_CALLBACK)
        self._unregister(i)
        i.fire(TRIGGER_CALLBACK)
        i.callback_number = f.number
        self._register(i)

    def _a_step(self, f: E.WorkflowStepApplied) -> None:
        i = self._interactions[f.interaction]
        i.step_index = f.step + 1
        i.priority = f.priority
        i.skills = dict(f.skills)
        i.queues = tuple(f.queues)
        i.groups = tuple(f.groups)
        if i.state in WAITING:
            self._unregister(i)
            self._register(i)
        steps = self._steps_of(i.queue)
        if i.step_index < len(steps):
            self._arm(i.enqueued_at + steps[i.step_index].after_s, STEP_DUE, i.id, (i.entry, i.step_index))

    def _a_overflowed(self, f: E.InteractionOverflowed) -> None:
        i = self._interactions[f.interaction]
        i.check(TRIGGER_OVERFLOW)
        self._unregister(i)
        i.fire(TRIGGER_OVERFLOW)
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

    def _a_logged_in(self, f: E.AgentLoggedIn) -> None:
        a = self._agents[f.agent]
        a.fire_presence(PRESENCE_TRIGGER_LOGIN)
        a.idle_since = f.at
        a.misses = 0
        self._freed(a)
        self._touched.append(a)

    def _a_logged_out(self, f: E.AgentLoggedOut) -> None:
        a = self._agents[f.agent]
        a.fire_presence(PRESENCE_TRIGGER_LOGOUT)
        self._relist(a)
        self._touched.append(a)

    def _a_paused(self, f: E.AgentPaused) -> None:
        a = self._agents[f.agent]
        a.fire_presence(PRESENCE_TRIGGER_PAUSE, f.reason)
        self._relist(a)
        self._touched.append(a)

    def _a_unpaused(self, f: E.AgentUnpaused) -> None:
        a = self._agents[f.agent]
        a.fire_presence(PRESENCE_TRIGGER_READY)
        a.idle_since = f.at
        a.misses = 0
        self._freed(a)
        self._touched.append(a)

    def _a_state_changed(self, f: E.AgentStateChanged) -> None:
        a = self._agents[f.agent]
        a.state = f.state if type(f.state) is AgentState else AgentState(f.state)
        a.state_since = f.at
