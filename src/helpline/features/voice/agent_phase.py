"""The agent phase of a call: ringing agents' phones, the bridge to the one who answers, transfers."""

from __future__ import annotations

import logging
from typing import Any

from helpline.core.commands import OfferInteraction
from helpline.core.inputs import (
    InteractionEnded,
    InteractionHeld,
    InteractionResumed,
    InteractionTransferred,
    OfferAccepted,
)
from helpline.edge.sip import SipCall
from helpline.features.voice.agents import AgentAttempt
from helpline.features.voice.call_media import MediaSetup
from helpline.features.voice.events import AgentAnswered, AgentFailed, AgentGone, CallerGone, Held, Referred
from helpline.features.voice.repository import LegRecord
from helpline.protocols.sip.uri import SipUri

log = logging.getLogger(__name__)


class AgentPhase(MediaSetup):
    """Rings the offered agents, commits the first answer, bridges and records the call,
    and carries out blind transfers (REFER) from the agent."""

    def _ring(self, offer: OfferInteraction) -> None:
        for agent in offer.agents:
            if agent in self.attempts:
                continue
            attempt = AgentAttempt(
                endpoint=self.service.endpoint, media=self.service.media, agent=agent, interaction=offer.interaction,
                targets=self.service.targets_for(agent), caller=self.call.caller,
                caller_name=self.call.caller_name, post=self.post,
            )
            self.attempts[agent] = attempt
            attempt.start(self.now())

    def _stop_attempts(self) -> None:
        for attempt in self.attempts.values():
            attempt.cancel()
        self.attempts.clear()

    async def _agent_answered(self, interaction: str, attempt: AgentAttempt) -> str:
        if self.attempts.get(attempt.agent) is not attempt or attempt.call is None or attempt.leg is None:
            attempt.cancel()
            return "refused"
        try:
            await self.partition.submit(OfferAccepted(interaction, attempt.agent))
        except Exception as exc:
            log.info("call %s: agent %s answered too late: %s", self.call.call_id, attempt.agent, exc)
            del self.attempts[attempt.agent]
            attempt.close()
            return "refused"
        del self.attempts[attempt.agent]
        self._stop_attempts()
        if not self.call.active:
            # The caller left while the answer was being committed.
            attempt.close()
            self.partition.post(InteractionEnded(interaction))
            self.record.outcome, self.record.end_reason = "completed", "caller-hangup"
            return "ended"
        return await self._connected(interaction, attempt)

    async def _connected(self, interaction: str, attempt: AgentAttempt) -> str:
        leg, agent_call, agent_leg = self.leg, attempt.call, attempt.leg
        assert leg is not None and agent_call is not None and agent_leg is not None
        self.connected = attempt
        now = self.now()
        agent_record = LegRecord(
            "agent", agent_call.call_id, f"{agent_call.peer[0]}:{agent_call.peer[1]}", attempt.agent,
            attempt.started_at, answered_at=now,
        )
        self.record.legs.append(agent_record)
        self.record.agent_id = attempt.agent
        self.record.connected_at = self.record.connected_at or now
        self.record.outcome = "answered"
        bridge = self.service.media.bridge(leg, agent_leg)
        if leg.recorder is None:
            path = self.service.recording_path(self.tenant, interaction)
            leg.record(path)
            self.record.recording = str(path)
        agent_call.on_refer = lambda target: self._post_true(Referred(target))
        agent_call.on_reoffer = lambda sdp: self._reoffer(sdp, by_agent=True)
        agent_call.on_dtmf = None
        try:
            while True:
                event = await self._next(None)
                if isinstance(event, CallerGone):
                    agent_call.hangup()
                    self.partition.post(InteractionEnded(interaction))
                    self.record.outcome, self.record.end_reason = "completed", "caller-hangup"
                    return "ended"
                if isinstance(event, AgentGone) and event.attempt is attempt:
                    self.call.hangup()
                    self.partition.post(InteractionEnded(interaction))
                    self.record.outcome, self.record.end_reason = "completed", "agent-hangup"
                    return "ended"
                if isinstance(event, Held):
                    self.partition.post(InteractionHeld(interaction) if event.on_hold else InteractionResumed(interaction))
                    if event.by_agent:
                        if event.on_hold:
                            leg.play([self.service.prompts.music_on_hold()])
                        else:
                            leg.stop_playback()
                if isinstance(event, Referred) and self._transfer(interaction, event.target, agent_call):
                    bridge.close()
                    return "transferred"
                if isinstance(event, AgentFailed | AgentAnswered) and event.attempt is not attempt:
                    event.attempt.close()
        finally:
            self.connected = None
            agent_record.ended_at = self.now()
            if self.record.outcome == "transferred":
                agent_record.end_reason = "transferred"
            else:
                agent_record.end_reason = agent_call.ended.result() if agent_call.ended.done() else "local"
            agent_record.rx_packets = agent_leg.stats.rx_packets
            agent_record.tx_packets = agent_leg.stats.tx_packets
            agent_record.relayed_packets = agent_leg.stats.relayed_in
            if not agent_call.active or agent_record.end_reason == "transferred":
                agent_leg.close()

    def _post_true(self, event: object) -> bool:
        self.post(event)
        return True

    def _transfer(self, interaction: str, target: Any, agent_call: SipCall) -> bool:
        uri = target.uri
        user = uri.user if isinstance(uri, SipUri) else None
        config = self.service.configs[self.tenant]
        to_queue = user if user is not None and any(q.id == user for q in config.queues) else None
        to_agent = self.service.agent_for_user(user) if to_queue is None and user is not None else None
        if to_queue is None and to_agent is None:
            agent_call.notify_refer("SIP/2.0 404 Not Found")
            return False
        self.partition.post(InteractionTransferred(interaction, to_queue=to_queue, to_agent=to_agent))
        agent_call.notify_refer("SIP/2.0 200 OK")
        agent_call.hangup()
        self.record.outcome = "transferred"
        return True
