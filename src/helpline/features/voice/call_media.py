"""Offer/answer for the caller's leg (and re-offers from either side) on a call."""

from __future__ import annotations

import asyncio
import logging
import random
from typing import Any

from helpline.edge.media import DtmfReceived
from helpline.features.voice.agents import configure_leg
from helpline.features.voice.call_state import CallState
from helpline.features.voice.events import Digit, Held
from helpline.protocols.sip import SessionDescription, accept_answer, build_answer, build_offer

log = logging.getLogger(__name__)


class MediaSetup(CallState):
    """The caller's SDP: our answer to an offer, our offer for a late-offer INVITE, re-offers."""

    async def _late_offer(self) -> bool:
        """The INVITE had no SDP: offer ours in the 200 and take the caller's answer from the
        ACK. Without a usable answer there is no media to run the call on, so it ends with BYE."""
        call, leg = self.call, self.leg
        assert leg is not None
        offer = build_offer(
            address=self.service.media.host, port=leg.local_port,
            session_id=str(random.getrandbits(31)), session_version=1,
        )
        call.answer(bytes(offer))
        self.record.answered_at = self.caller_record.answered_at = self.now()
        acked: asyncio.Future[Any] = asyncio.ensure_future(asyncio.shield(call.confirmed))
        gone: asyncio.Future[Any] = asyncio.ensure_future(asyncio.shield(call.ended))
        await asyncio.wait({acked, gone}, return_when=asyncio.FIRST_COMPLETED)
        acked.cancel()
        gone.cancel()
        if not call.active:
            reason = call.ended.result() if call.ended.done() else "ended"
            if reason == "local-bye":  # the 200 OK was never acknowledged
                self.record.outcome, self.record.end_reason = "failed", "no ACK"
            else:
                self.record.outcome, self.record.end_reason = "abandoned", reason
            return False
        audio = accept_answer(offer, call.ack_sdp) if call.ack_sdp is not None else None
        if audio is None:
            log.info("call %s: the ACK carried no usable answer to our offer; hanging up", call.call_id)
            self.record.outcome = "failed"
            self.record.end_reason = "no answer in ACK" if call.ack_sdp is None else "no common codec"
            call.hangup()
            return False
        configure_leg(leg, audio)
        return True

    def _answer_for(self, offer: SessionDescription) -> bytes | None:
        assert self.leg is not None
        sdp, audio = build_answer(
            offer, address=self.service.media.host, port=self.leg.local_port,
            session_id=str(random.getrandbits(31)), session_version=1,
        )
        if audio is None:
            return None
        configure_leg(self.leg, audio)
        return bytes(sdp)

    def _reoffer(self, offer: SessionDescription, *, by_agent: bool) -> bytes | None:
        leg = self.connected.leg if by_agent and self.connected is not None else self.leg
        if leg is None:
            return None
        sdp, audio = build_answer(
            offer, address=self.service.media.host, port=leg.local_port,
            session_id=str(random.getrandbits(31)), session_version=2,
        )
        if audio is None:
            return None
        configure_leg(leg, audio)
        self.post(Held(by_agent, not audio.direction.sends))  # they stopped listening: on hold
        return bytes(sdp)

    def _rtp_digit(self, received: DtmfReceived) -> None:
        self.post(Digit(received.digit))
