"""A callback that kept its place in line: when the ACD gives it an agent (``StartCallback``),
ring the agent first; once the agent answers, dial the customer through the trunk and bridge
the two, recording the call. The customer not answering ends the interaction with the agent
told so.
"""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from typing import TYPE_CHECKING, Any

from helpline.core.commands import CancelOffer, StartCallback
from helpline.core.inputs import InteractionEnded, OfferAccepted, OfferRejected
from helpline.edge.media import MediaPortsExhausted, RtpLeg
from helpline.edge.sip import OutboundCall
from helpline.features.voice.agents import AgentAttempt, configure_leg
from helpline.features.voice.events import AgentAnswered, AgentFailed
from helpline.features.voice.repository import CallRecord, LegRecord
from helpline.protocols.sip import accept_answer, build_offer

if TYPE_CHECKING:
    from helpline.features.voice.service import VoiceService

log = logging.getLogger(__name__)


class CallbackCall:
    def __init__(self, service: VoiceService, tenant: str, command: StartCallback) -> None:
        self.service = service
        self.tenant = tenant
        self.command = command
        self.partition = service.partitions[tenant]
        self.inbox: asyncio.Queue[object] = asyncio.Queue()
        now = service.clock.now()
        self.record = CallRecord(
            id=uuid.uuid4().hex, tenant_id=tenant, direction="callback", caller=command.agent,
            called=command.number, started_at=now, interaction_id=command.interaction,
            queue_id=command.queue, agent_id=command.agent,
        )
        self.attempt: AgentAttempt | None = None
        self.customer: OutboundCall | None = None
        self.customer_leg: RtpLeg | None = None

    def post(self, event: object) -> None:
        self.inbox.put_nowait(event)

    async def run(self) -> None:
        try:
            await self._run()
        except Exception:
            log.exception("callback for %s failed", self.command.interaction)
            self.record.outcome = "error"
        finally:
            await self._finish()

    async def _run(self) -> None:
        cmd, service = self.command, self.service
        attempt = self.attempt = AgentAttempt(
            endpoint=service.endpoint, media=service.media, agent=cmd.agent, interaction=cmd.interaction,
            targets=service.targets_for(cmd.agent), caller=cmd.number, caller_name=f"Callback {cmd.number}",
            post=self.post,
        )
        attempt.start(service.clock.now())
        while True:
            event = await self.inbox.get()
            if isinstance(event, CancelOffer):
                attempt.cancel()
                self.record.outcome, self.record.end_reason = "agent-no-answer", event.reason
                return
            if isinstance(event, AgentFailed):
                self.partition.post(OfferRejected(cmd.interaction, cmd.agent))
                self.record.outcome, self.record.end_reason = "agent-rejected", str(event.status)
                return
            if isinstance(event, AgentAnswered):
                break
        try:
            await self.partition.submit(OfferAccepted(cmd.interaction, cmd.agent))
        except Exception as exc:
            log.info("callback %s: agent answered too late: %s", cmd.interaction, exc)
            attempt.close()
            self.record.outcome, self.record.end_reason = "agent-late", "offer gone"
            return
        agent_call, agent_leg = attempt.call, attempt.leg
        assert agent_call is not None and agent_leg is not None
        now = service.clock.now()
        self.record.answered_at = now
        self.record.legs.append(LegRecord("agent", agent_call.call_id, f"{agent_call.peer[0]}:{agent_call.peer[1]}",
                                          cmd.agent, attempt.started_at, answered_at=now))
        agent_leg.play(await service.prompts.say("Calling the customer back now."))
        target = service.trunk_target(cmd.number)
        customer_answered = False
        if target is not None:
            try:
                self.customer_leg = await service.media.open_leg(name=f"customer {cmd.number}")
            except MediaPortsExhausted:
                self.customer_leg = None
        if target is not None and self.customer_leg is not None:
            offer = build_offer(address=service.media.host, port=self.customer_leg.local_port,
                                session_id=str(random.getrandbits(31)), session_version=1)
            customer = self.customer = service.endpoint.dial(OutboundCall(
                service.endpoint, request_uri=target.uri, peer=target.peer, from_user=self._caller_id(),
                sdp=bytes(offer), headers=[("X-Helpline-Interaction", cmd.interaction)],
                credentials=target.credentials, reliable=target.reliable,
            ))
            customer_record = LegRecord("customer", customer.call_id, f"{target.peer[0]}:{target.peer[1]}",
                                        cmd.number, service.clock.now())
            self.record.legs.append(customer_record)
            outcome: asyncio.Future[Any] = asyncio.ensure_future(customer.outcome)
            agent_gone: asyncio.Future[Any] = asyncio.ensure_future(asyncio.shield(agent_call.ended))
            await asyncio.wait({outcome, agent_gone}, return_when=asyncio.FIRST_COMPLETED)
            agent_gone.cancel()
            response = outcome.result() if outcome.done() else None
            if not agent_call.active:
                customer.hangup()
            elif response is not None and response.success and customer.remote_sdp is not None:
                audio = accept_answer(offer, customer.remote_sdp)
                if audio is not None:
                    configure_leg(self.customer_leg, audio)
                    customer_answered = True
                    customer_record.answered_at = self.record.connected_at = service.clock.now()
                    service.media.bridge(self.customer_leg, agent_leg)
                    path = service.recording_path(self.tenant, cmd.interaction)
                    self.customer_leg.record(path)
                    self.record.recording = str(path)
                    await asyncio.wait({asyncio.ensure_future(asyncio.shield(agent_call.ended)),
                                        asyncio.ensure_future(asyncio.shield(customer.ended))},
                                       return_when=asyncio.FIRST_COMPLETED)
                    self.record.end_reason = "agent-hangup" if not agent_call.active else "customer-hangup"
                    customer_record.ended_at = service.clock.now()
                    customer_record.end_reason = customer.ended.result() if customer.ended.done() else "local-bye"
                    customer_record.rx_packets = self.customer_leg.stats.rx_packets
                    customer_record.tx_packets = self.customer_leg.stats.tx_packets
                    customer_record.relayed_packets = self.customer_leg.stats.relayed_in
            if not customer_answered:
                customer.hangup()
                customer_record.end_reason = customer.ended.result() if customer.ended.done() else "no-answer"
        if not customer_answered and agent_call.active:
            self.record.end_reason = "customer-no-answer"
            await agent_leg.play(await service.prompts.say("The customer did not answer.")).done
        self.record.outcome = "completed" if customer_answered else "customer-no-answer"
        self.partition.post(InteractionEnded(cmd.interaction))

    def _caller_id(self) -> str:
        for number, did in self.service.settings.sip.dids.items():
            if did.tenant == self.tenant:
                return number
        return "helpline"

    async def _finish(self) -> None:
        if self.attempt is not None:
            self.attempt.close()
        if self.customer is not None and self.customer.active:
            self.customer.hangup()
        if self.customer_leg is not None:
            self.customer_leg.close()
        self.record.ended_at = self.service.clock.now()
        self.service.unbind(self.command.interaction, self)
        await self.service.store(self.record)
