"""Ringing an agent: INVITEs to every phone the agent has registered (or to the agent's
external number through the trunk), first answer wins.

One RTP leg per attempt carries the offer to all the agent's phones; the phones that did not
answer get CANCEL. The attempt reports ``AgentAnswered`` or ``AgentFailed`` (486/603 from a
phone, 480 when none is reachable) to its owner's inbox and later ``AgentGone`` when the
answered phone hangs up. ``cancel`` stops the ringing (CANCEL) or ends the answered call (BYE).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass

from helpline.edge.media import MediaEngine, MediaPortsExhausted, RtpLeg
from helpline.edge.sip import OutboundCall, SipEndpoint
from helpline.features.voice.events import AgentAnswered, AgentFailed, AgentGone
from helpline.protocols.rtp.g711 import G711
from helpline.protocols.sip import (
    DigestClient,
    NegotiatedAudio,
    SessionDescription,
    accept_answer,
    build_offer,
)
from helpline.protocols.sip.uri import SipUri

log = logging.getLogger(__name__)

Peer = tuple[str, int]


@dataclass(frozen=True, slots=True)
class Target:
    uri: SipUri
    peer: Peer
    reliable: bool = False
    credentials: DigestClient | None = None


def configure_leg(leg: RtpLeg, audio: NegotiatedAudio) -> None:
    leg.codec = G711.PCMA if audio.codec == "PCMA" else G711.PCMU
    leg.telephone_event_pt = audio.telephone_event
    leg.set_remote(audio.remote_address, audio.remote_port)


class AgentAttempt:
    def __init__(
        self,
        *,
        endpoint: SipEndpoint,
        media: MediaEngine,
        agent: str,
        interaction: str,
        targets: list[Target],
        caller: str,
        caller_name: str | None,
        post: Callable[[object], None],
    ) -> None:
        self.endpoint = endpoint
        self.media = media
        self.agent = agent
        self.interaction = interaction
        self.targets = targets
        self.caller = caller
        self.caller_name = caller_name
        self.post = post
        self.leg: RtpLeg | None = None
        self.call: OutboundCall | None = None  # the phone that answered
        self.cancelled = False
        self.calls: list[OutboundCall] = []
        self.started_at = 0.0
        self._task: asyncio.Task[None] | None = None

    def start(self, now: float) -> None:
        self.started_at = now
        self._task = asyncio.create_task(self._run(), name=f"ring {self.agent} for {self.interaction}")

    async def _run(self) -> None:
        if not self.targets:
            self.post(AgentFailed(self, 480))
            return
        try:
            self.leg = await self.media.open_leg(name=f"agent {self.agent}")
        except MediaPortsExhausted:
            self.post(AgentFailed(self, 503))
            return
        if self.cancelled:
            self.leg.close()
            return
        offer = build_offer(
            address=self.media.host, port=self.leg.local_port, session_id=str(random.getrandbits(31)), session_version=1
        )
        for target in self.targets:
            call = OutboundCall(
                self.endpoint,
                request_uri=target.uri,
                peer=target.peer,
                from_user=self.caller,
                from_name=self.caller_name or self.caller,
                sdp=bytes(offer),
                headers=[("X-Helpline-Interaction", self.interaction)],
                credentials=target.credentials,
                reliable=target.reliable,
            )
            self.calls.append(self.endpoint.dial(call))
        pending = {asyncio.ensure_future(c.outcome): c for c in self.calls}
        best = 480
        while pending:
            done, _ = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for fut in done:
                call = pending.pop(fut)
                response = fut.result()
                if response is not None and response.success and self.call is None and not self.cancelled:
                    audio = accept_answer(offer, call.remote_sdp or SessionDescription.parse(b"v=0\r\n"))
                    if audio is None:
                        call.hangup()
                        best = 488
                        continue
                    configure_leg(self.leg, audio)
                    self.call = call
                    for other in self.calls:
                        if other is not call:
                            other.cancel()
                    call.ended.add_done_callback(lambda f: self.post(AgentGone(self, f.result())))
                    self.post(AgentAnswered(self))
                elif response is not None and response.success:
                    call.hangup()  # a second phone answered too late
                elif response is not None and response.status in (486, 600, 603):
                    best = response.status
            if self.call is not None:
                for fut in pending:
                    fut.cancel()
                return
        if self.leg is not None:
            self.leg.close()
        if not self.cancelled:
            self.post(AgentFailed(self, best))

    def cancel(self) -> None:
        """Stop ringing (CANCEL), or end the answered call (BYE)."""
        self.cancelled = True
        for call in self.calls:
            if call.active:
                call.cancel()
        if self.call is None and self.leg is not None and not self.calls:
            self.leg.close()

    def close(self) -> None:
        self.cancel()
        if self.leg is not None:
            self.leg.close()
