"""Timers and the decision steps they share with input handlers: offer timeouts, wrap-up ends,
workflow steps, maximum wait, preferred-agent and resume windows; pausing an agent who missed
too many offers. Timers are derived from state, so a restored engine re-arms them.
"""

from __future__ import annotations

from helpline.core import commands as C
from helpline.core import events as E
from helpline.core.agent import Agent
from helpline.core.routing.matchmaker import Matchmaker
from helpline.core.routing.state import (
    MAX_WAIT,
    OFFER_TIMEOUT,
    PREFERENCE_END,
    PRESENCE_READY,
    RESUME_END,
    SLOT_OFFERED,
    SLOT_WRAP_UP,
    ST_ABANDONED,
    ST_OFFERED,
    STEP_DUE,
    STEPPING,
    TIMING_OUT,
    WRAP_END,
    Timer,
)
from helpline.core.routing.workflow import apply_step


class Timers(Matchmaker):
    """Decide what a due timer causes; pause, cancel and count misses."""

    def _timer_valid(self, entry: Timer) -> bool:
        due, _, kind, ident, token = entry
        if kind == WRAP_END:
            agent_id, iid = token
            a = self._agents.get(agent_id)
            slot = a.slots.get(iid) if a is not None else None
            return slot is not None and slot.state is SLOT_WRAP_UP and slot.until == due
        i = self._interactions.get(ident)
        if i is None:
            return False
        if kind == OFFER_TIMEOUT:
            return i.state is ST_OFFERED and i.offer is not None and i.offer.id == token
        if kind == STEP_DUE:
            return (
                (i.entry, i.step_index) == token
                and i.step_index < len(self._steps_of(i.queue))
                and i.state in STEPPING
            )
        if kind == MAX_WAIT:
            return i.entry == token and i.callback_number is None and i.state in TIMING_OUT
        if kind == PREFERENCE_END:
            return i.entry == token and i.exclusive_agent is not None and i.exclusive_until == due
        if kind == RESUME_END:
            return i.state is ST_ABANDONED and i.abandoned_at == token
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
            step = self._qx[i.queue].steps[i.step_index]
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

    def _pause(self, a: Agent, reason: str, now: float, *, notify: bool) -> None:
        self._emit(E.AgentPaused(now, a.id, reason))
        if notify:
            self._commands.append(C.NotifyAgentPaused(a.id, reason))
        self._cancel_agent_offers(a, "agent-paused", now)

    def _cancel_agent_offers(self, a: Agent, reason: str, now: float) -> None:
        for iid in [k for k, s in a.slots.items() if s.state is SLOT_OFFERED]:
            self._emit(E.OfferCancelled(now, iid, a.id, reason))
            self._commands.append(C.CancelOffer(iid, a.id, reason))

    def _check_misses(self, a: Agent, queue: str, now: float) -> None:
        limit = self._queues[queue].max_consecutive_misses
        if limit > 0 and a.misses >= limit and a.presence is PRESENCE_READY:
            self._pause(a, "missed", now, notify=True)
