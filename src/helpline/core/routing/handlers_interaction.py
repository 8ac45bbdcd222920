"""Decisions on interactions: arrival, answers to offers, hold, transfer, end, wrap-up,
abandonment and callback requests (validate everything first, then emit).
"""

from __future__ import annotations

from helpline.core import commands as C
from helpline.core import events as E
from helpline.core import inputs as I
from helpline.core.agent import Agent
from helpline.core.config import Channel, SkillRequirement
from helpline.core.errors import DuplicateEntity, InvalidInput, InvalidTransition
from helpline.core.interaction import Interaction
from helpline.core.routing.handlers_agent import AgentHandlers
from helpline.core.routing.matching import merge_requirements
from helpline.core.routing.state import (
    PRESENCE_OFFLINE,
    ST_ABANDONED,
    ST_OFFERED,
    TRIGGER_ABANDON,
    TRIGGER_CALLBACK,
    TRIGGER_END,
    TRIGGER_HOLD,
    TRIGGER_RESUME,
    TRIGGER_TRANSFER,
)


class InteractionHandlers(AgentHandlers):
    """One method per interaction input."""

    def _h_arrived(self, ev: I.InteractionArrived, now: float) -> None:
        if ev.interaction in self._interactions:
            raise DuplicateEntity("interaction", ev.interaction)
        qc = self._get_q(ev.queue)
        # the configuration's own string from here on: later lookups by it match on identity
        # instead of comparing characters with a key that is cold in memory
        queue = qc.id
        if ev.preferred_agent is not None:
            self._get_a(ev.preferred_agent)
        channel = ev.channel if type(ev.channel) is Channel else Channel(ev.channel)
        if ev.skills:
            skills = tuple(sorted(merge_requirements(qc.required_skills, ev.skills).items()))
        else:
            skills = self._qx[queue].requirement
        self._emit(
            E.InteractionCreated(
                now,
                ev.interaction,
                queue,
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
            old = self._interactions.get(self._resume.get((queue, ev.customer), ""))
            if (
                old is not None
                and old.state is ST_ABANDONED
                and old.abandoned_at is not None
                and now - old.abandoned_at <= qc.resume_window_s
            ):
                order_at, order_seq, resumed = old.order_at, old.order_seq, old.id
        exclusive, until = None, None
        if ev.preferred_agent is not None and qc.preferred_agent_wait_s > 0:
            exclusive, until = ev.preferred_agent, now + qc.preferred_agent_wait_s
        if resumed is None:
            position = self._newcomer_position(queue, priority)
        else:
            key = (-priority, order_at, order_seq)
            interactions = self._interactions
            position = 1 + sum(1 for x in self._qx[queue].queue_waiting if interactions[x].order_key() < key)
        estimate = self._estimate(queue, (queue,), (), exclusive, channel, skills, position, now)
        self._emit(
            E.InteractionQueued(
                now, ev.interaction, queue, priority, skills, order_at, order_seq, position, estimate,
                resumed, exclusive, until,
            )
        )
        self._announce.append((ev.interaction, position, estimate))

    def _offer_parties(self, interaction: str, agent: str) -> tuple[Interaction, Agent]:
        i = self._get_i(interaction)
        a = self._get_a(agent)
        if i.state is not ST_OFFERED or i.offer is None or a.id not in i.offer.agents:
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
        i.check(TRIGGER_HOLD)
        self._emit(E.InteractionHeld(now, i.id))

    def _h_resumed(self, ev: I.InteractionResumed, now: float) -> None:
        i = self._get_i(ev.interaction)
        i.check(TRIGGER_RESUME)
        self._emit(E.InteractionResumed(now, i.id))

    def _h_transferred(self, ev: I.InteractionTransferred, now: float) -> None:
        i = self._get_i(ev.interaction)
        i.check(TRIGGER_TRANSFER)
        if ev.to_queue is None and ev.to_agent is None:
            raise InvalidInput(f"interaction {i.id!r}: a transfer needs a queue or an agent")
        target = ev.to_queue if ev.to_queue is not None else i.queue
        qc = self._get_q(target)
        if ev.to_agent is not None:
            ta = self._get_a(ev.to_agent)
            if ta.presence is PRESENCE_OFFLINE:
                raise InvalidTransition("agent", ta.id, ta.presence.value, "receive a transfer")
        assert i.agent is not None
        from_agent = i.agent
        wrap_s = self._qx[i.queue].config.wrap_up_s
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
        i.check(TRIGGER_END)
        assert i.agent is not None
        wrap_s = self._qx[i.queue].config.wrap_up_s
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
        i.check(TRIGGER_ABANDON)
        was = i.state.value
        if i.offer is not None:
            for x in i.offer.agents:
                self._emit(E.OfferCancelled(now, i.id, x, "abandoned"))
                self._commands.append(C.CancelOffer(i.id, x, "abandoned"))
        self._emit(E.InteractionAbandoned(now, i.id, was, now - i.enqueued_at))

    def _h_callback(self, ev: I.CallbackRequested, now: float) -> None:
        i = self._get_i(ev.interaction)
        i.check(TRIGGER_CALLBACK)
        if not ev.number:
            raise InvalidInput(f"interaction {i.id!r}: a callback needs a number")
        self._emit(E.CallbackRequested(now, i.id, ev.number))
