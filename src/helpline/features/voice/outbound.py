"""A call out: an authenticated SIP user (an agent's phone) dials an external number, which
goes out through the default trunk. The user's call is answered only when the far end answers
(ringing is passed back as 180), then the two are bridged until either hangs up."""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from typing import TYPE_CHECKING, Any

from helpline.edge.media import MediaPortsExhausted, RtpLeg
from helpline.edge.sip import InboundCall, OutboundCall
from helpline.features.voice.agents import configure_leg
from helpline.features.voice.repository import CallRecord, LegRecord
from helpline.protocols.sip import accept_answer, build_answer, build_offer

if TYPE_CHECKING:
    from helpline.features.voice.service import VoiceService

log = logging.getLogger(__name__)


class OutboundBridge:
    def __init__(self, service: VoiceService, call: InboundCall, tenant: str) -> None:
        self.service = service
        self.call = call
        now = service.clock.now()
        self.record = CallRecord(
            id=uuid.uuid4().hex, tenant_id=tenant, direction="outbound", caller=call.user or call.caller,
            called=call.called, started_at=now, agent_id=service.agent_for_user(call.user or ""),
        )
        self.legs: list[RtpLeg] = []
        self.far: OutboundCall | None = None

    async def run(self) -> None:
        try:
            await self._run()
        except Exception:
            log.exception("call out %s failed", self.call.call_id)
            self.record.outcome = "error"
        finally:
            for leg in self.legs:
                leg.close()
            if self.call.active:
                self.call.hangup()
            if self.far is not None and self.far.active:
                self.far.hangup()
            self.record.ended_at = self.service.clock.now()
            await self.service.store(self.record)

    async def _run(self) -> None:
        service, call = self.service, self.call
        target = service.trunk_target(call.called)
        if target is None or call.offer is None:
            call.reject(503 if target is None else 488)
            self.record.outcome = "rejected"
            return
        try:
            near = await service.media.open_leg(name=f"user {call.user}")
            self.legs.append(near)
            far_leg = await service.media.open_leg(name=f"out {call.called}")
            self.legs.append(far_leg)
        except MediaPortsExhausted:
            call.reject(503, "Service Unavailable (no free media ports)")
            self.record.outcome = "rejected"
            return
        session_id = str(random.getrandbits(31))
        answer, audio = build_answer(call.offer, address=service.media.host, port=near.local_port,
                                     session_id=session_id, session_version=1)
        if audio is None:
            call.reject(488)
            self.record.outcome = "rejected"
            return
        configure_leg(near, audio)
        offer = build_offer(address=service.media.host, port=far_leg.local_port, session_id=session_id,
                            session_version=1)
        far = self.far = service.endpoint.dial(OutboundCall(
            service.endpoint, request_uri=target.uri, peer=target.peer, from_user=self._caller_id(),
            sdp=bytes(offer), credentials=target.credentials, reliable=target.reliable,
        ))
        far_record = LegRecord("customer", far.call_id, f"{target.peer[0]}:{target.peer[1]}", call.called,
                               service.clock.now())
        self.record.legs.append(far_record)
        ringing: asyncio.Future[Any] = asyncio.ensure_future(far.ringing.wait())
        outcome: asyncio.Future[Any] = asyncio.ensure_future(far.outcome)
        gone: asyncio.Future[Any] = asyncio.ensure_future(asyncio.shield(call.ended))
        await asyncio.wait({ringing, outcome, gone}, return_when=asyncio.FIRST_COMPLETED)
        if ringing.done() and not outcome.done() and call.active:
            call.ring()
            await asyncio.wait({outcome, gone}, return_when=asyncio.FIRST_COMPLETED)
        ringing.cancel()
        if not call.active:
            far.cancel()
            self.record.outcome = self.record.end_reason = "cancelled"
            return
        response = outcome.result() if outcome.done() else None
        if response is None or not response.success or far.remote_sdp is None:
            status = response.status if response is not None else 408
            call.reject(status if 400 <= status < 700 else 480)
            self.record.outcome, self.record.end_reason = "not-answered", str(status)
            return
        far_audio = accept_answer(offer, far.remote_sdp)
        if far_audio is None:
            far.hangup()
            call.reject(488)
            self.record.outcome = "rejected"
            return
        configure_leg(far_leg, far_audio)
        call.answer(bytes(answer))
        now = service.clock.now()
        self.record.answered_at = self.record.connected_at = far_record.answered_at = now
        service.media.bridge(near, far_leg)
        await asyncio.wait({gone, asyncio.ensure_future(asyncio.shield(far.ended))},
                           return_when=asyncio.FIRST_COMPLETED)
        self.record.outcome = "completed"
        self.record.end_reason = "caller-hangup" if not call.active else "far-end-hangup"
        far_record.ended_at = service.clock.now()
        far_record.rx_packets, far_record.tx_packets = far_leg.stats.rx_packets, far_leg.stats.tx_packets
        far_record.relayed_packets = far_leg.stats.relayed_in

    def _caller_id(self) -> str:
        for number, did in self.service.settings.sip.dids.items():
            if did.tenant == self.record.tenant_id:
                return number
        return self.call.user or "helpline"
