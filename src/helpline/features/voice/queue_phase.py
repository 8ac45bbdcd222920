"""The queue phase of a call: what the caller hears and can do while waiting for an agent."""

from __future__ import annotations

import logging
import uuid
from typing import cast

from helpline.core.commands import CancelOffer, OfferInteraction, SendToOverflow
from helpline.core.config import Channel
from helpline.core.inputs import CallbackRequested, InteractionAbandoned, InteractionArrived, OfferRejected
from helpline.core.ivr import FlowCommand, RecordVoicemail, ToQueue
from helpline.core.routing.engine import RoutingEngine
from helpline.features.voice.agent_phase import AgentPhase
from helpline.features.voice.events import (
    AgentAnswered,
    AgentFailed,
    CallerGone,
    Deadline,
    Digit,
    EndedElsewhere,
)
from helpline.settings import QueueExperienceSettings

log = logging.getLogger(__name__)


class QueuePhase(AgentPhase):
    """The call waiting as an interaction: music, announcements, callback and voicemail keys,
    offers, cancels and overflow from the ACD."""

    def _engine(self) -> RoutingEngine:
        return cast(RoutingEngine, self.partition.core)

    def _experience(self, queue: str) -> QueueExperienceSettings:
        sip = self.service.settings.sip
        experience: QueueExperienceSettings = sip.queues.get(queue, sip.queue_experience)
        return experience

    async def _queue(self, command: ToQueue) -> FlowCommand | str | None:
        call, leg, prompts = self.call, self.leg, self.service.prompts
        assert leg is not None
        qx = self._experience(command.queue_id)
        self.queue = command.queue_id
        self.record.queue_id = command.queue_id
        engine = self._engine()
        if qx.leave_when_empty:
            summary = engine.queue_summary(self.now()).get(command.queue_id)
            if summary is not None and summary["staffed"] == 0:
                self.record.outcome = "no-agents"
                await self._play_and_wait(await prompts.say(
                    "All our agents are away right now. Please leave a message after the tone."
                ))
                return RecordVoicemail(qx.voicemail_max_s, True, command.queue_id, command.attributes)
        interaction = uuid.uuid4().hex
        self.interaction = self.record.interaction_id = interaction
        self.service.bind(interaction, self)
        leg.play([prompts.music_on_hold()])  # music at once, while the arrival is committed
        attributes = {**command.attributes, "caller": call.caller, "called": call.called}
        try:
            await self.partition.submit(
                InteractionArrived(
                    interaction, command.queue_id, Channel.VOICE, command.priority, command.skills,
                    attributes=attributes, customer=call.caller,
                )
            )
        except Exception as exc:
            log.warning("call %s could not be queued in %s: %s", call.call_id, command.queue_id, exc)
            self.service.unbind(interaction, self)
            self.record.outcome, self.record.end_reason = "not-queued", str(exc)[:64]
            await self._play_and_wait(await prompts.say("Sorry, we cannot take your call right now. Goodbye."))
            return None
        self.record.queued_at = self.now()
        self.record.outcome = "queued"
        return await self._wait_in_queue(interaction, qx, command)

    async def _announce(self, interaction: str, qx: QueueExperienceSettings, first: bool) -> None:
        assert self.leg is not None
        engine = self._engine()
        if not engine.has_interaction(interaction):
            return
        position = self.service.position(self.tenant, interaction)
        if position is None:
            return
        wait = engine.estimated_wait(interaction, self.now()) if qx.announce_wait else None
        items = await self.service.prompts.queue_announcement(
            position, wait, say_position=qx.announce_position, say_wait=qx.announce_wait
        )
        if first and (qx.callback_key or qx.voicemail_key):
            options = []
            if qx.callback_key:
                options.append(f"To be called back, press {qx.callback_key}; you keep your place in line.")
            if qx.voicemail_key:
                options.append(f"To leave a message, press {qx.voicemail_key}.")
            items += await self.service.prompts.say(*options)
        if items and self.connected is None and self.interaction == interaction:
            self.leg.announce(items)

    async def _wait_in_queue(self, interaction: str, qx: QueueExperienceSettings, command: ToQueue) -> FlowCommand | str | None:
        leg, call = self.leg, self.call
        assert leg is not None
        announce_at: float | None = self.now()
        while True:
            event = await self._next(announce_at if self.connected is None else None)
            if isinstance(event, Deadline):
                self._spawn(self._announce(interaction, qx, first=announce_at == self.record.queued_at))
                announce_at = self.now() + qx.announce_every_s if qx.announce_every_s > 0 else None
            elif isinstance(event, CallerGone):
                self._stop_attempts()
                self.partition.post(InteractionAbandoned(interaction))
                self.record.outcome, self.record.end_reason = "abandoned", event.reason
                self.service.unbind(interaction, self)
                return None
            elif isinstance(event, Digit):
                if event.digit == qx.callback_key:
                    try:
                        await self.partition.submit(CallbackRequested(interaction, call.caller))
                    except Exception as exc:
                        log.info("call %s: callback refused: %s", call.call_id, exc)
                        continue
                    self._stop_attempts()
                    self.callback_requested = True
                    self.record.outcome, self.record.end_reason = "callback-requested", "callback"
                    await self._play_and_wait(await self.service.prompts.say(
                        "Thank you. We will call you back at this number, and you keep your place in line. Goodbye."
                    ))
                    call.hangup()
                    return None
                if event.digit == qx.voicemail_key:
                    self._stop_attempts()
                    self.partition.post(InteractionAbandoned(interaction))
                    self.service.unbind(interaction, self)
                    self.record.outcome = "voicemail"
                    return RecordVoicemail(qx.voicemail_max_s, True, command.queue_id, command.attributes)
            elif isinstance(event, OfferInteraction):
                self._ring(event)
            elif isinstance(event, CancelOffer):
                attempt = self.attempts.pop(event.agent, None)
                if attempt is not None:
                    attempt.cancel()
            elif isinstance(event, AgentFailed):
                if self.attempts.get(event.attempt.agent) is event.attempt:
                    del self.attempts[event.attempt.agent]
                    self.partition.post(OfferRejected(interaction, event.attempt.agent))
            elif isinstance(event, AgentAnswered):
                result = await self._agent_answered(interaction, event.attempt)
                if result == "transferred":
                    leg.play([self.service.prompts.music_on_hold()])
                    announce_at = self.now() + qx.announce_every_s if qx.announce_every_s > 0 else None
                    continue
                if result == "refused":
                    continue
                return None
            elif isinstance(event, EndedElsewhere):
                self._stop_attempts()
                self.service.unbind(interaction, self)
                self.record.outcome, self.record.end_reason = "ended-elsewhere", "interaction ended"
                call.hangup()
                return None
            elif isinstance(event, SendToOverflow):
                self._stop_attempts()
                self.service.unbind(interaction, self)
                self.record.outcome = "overflow"
                return self._overflow(event.destination, command, qx)

    def _overflow(self, destination: str | None, command: ToQueue, qx: QueueExperienceSettings) -> FlowCommand | str:
        config = self.service.configs[self.tenant]
        if destination is not None and any(q.id == destination for q in config.queues):
            return ToQueue(destination, command.priority, command.skills, command.attributes)
        if destination is not None and self.service.flow_for(self.tenant, destination) is not None:
            return destination
        return RecordVoicemail(qx.voicemail_max_s, True, command.queue_id, command.attributes)
