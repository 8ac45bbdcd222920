"""The call controller: one task per inbound call, from the answer to the CDR.

Theory of operation
-------------------
Everything that happens to the call (a key, a prompt that finished, an HTTP answer, the caller
hanging up, an offer or cancel from the ACD, an agent phone answering or hanging up, a REFER)
arrives as an event in the call's inbox and is handled in order by the call's own task, so the
call's state needs no locks. The task goes through phases:

  answer ─▶ IVR ─▶ queue ─▶ agent connected ─▶ end
                    ▲   │        │ (REFER: blind transfer back to a queue or to an agent)
                    └───┴────────┘
Answer: an INVITE with an SDP offer gets our answer in the 200 OK. An INVITE without one (a
late offer, as some carriers' trunks send) gets our offer in the 200 OK, and the caller's answer
is taken from the ACK; an ACK without a usable answer ends the call with BYE.
IVR: the pure ``FlowInterpreter`` decides; this task plays its prompts, carries out its HTTP
lookups (``execute_http``) and arms its one deadline. It ends with ToQueue, RecordVoicemail or
Hangup. Queue: the call becomes an interaction (``InteractionArrived``, the flow's variables as
attributes, the caller's number as customer), hears music on hold, and its position and
expected wait on entry and then every ``announce_every_s``. Keys: the callback key asks for a
callback that keeps the caller's place (``CallbackRequested``) and hangs up; the voicemail key
leaves for voicemail. ``OfferInteraction`` rings the agents' phones; the first to answer is
reported (``OfferAccepted``), bridged to the caller, and the call is recorded to a stereo WAV.
Either side hanging up ends the other and the interaction (``InteractionEnded``); the caller
hanging up while waiting abandons it. Overflow (``SendToOverflow``) moves the call to another
queue, another flow, or voicemail. At the end the call detail record is stored.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from pathlib import Path

from helpline.core.ivr import FlowCommand, Hangup, RecordVoicemail, ToQueue
from helpline.edge.media import MediaPortsExhausted
from helpline.features.voice.events import CallerGone, Digit
from helpline.features.voice.ivr_phase import IvrPhase
from helpline.features.voice.queue_phase import QueuePhase
from helpline.features.voice.voicemail_phase import VoicemailPhase

log = logging.getLogger(__name__)


_DONE = "done"


class CallSession(QueuePhase, IvrPhase, VoicemailPhase):
    """One inbound call's task, from the answer to the stored CDR; the phases live in their
    own modules (``ivr_phase``, ``queue_phase``, ``agent_phase``, ``voicemail_phase``, and
    ``call_media`` for offer/answer)."""

    # -- the call ---------------------------------------------------------------------------------
    async def run(self) -> None:
        try:
            await self._run()
        except asyncio.CancelledError:
            self.record.end_reason = self.record.end_reason or "shutdown"
            raise
        except Exception:
            log.exception("call %s failed", self.call.call_id)
            self.record.outcome = "error"
        finally:
            await self._finish()

    async def _run(self) -> None:
        call = self.call
        offer = call.offer
        try:
            self.leg = await self.service.media.open_leg(on_dtmf=self._rtp_digit, name=f"caller {call.caller}")
        except MediaPortsExhausted:
            call.reject(503, "Service Unavailable (no free media ports)")
            self.record.outcome, self.record.end_reason = "rejected", "no media ports"
            return
        answer = self._answer_for(offer) if offer is not None else None
        if offer is not None and answer is None:
            call.reject(488)
            self.record.outcome, self.record.end_reason = "rejected", "no common codec"
            return
        if not call.active:
            self.record.outcome, self.record.end_reason = "abandoned", "cancelled"
            return
        call.on_dtmf = lambda digit: self.post(Digit(digit))
        call.on_reoffer = lambda sdp: self._reoffer(sdp, by_agent=False)
        call.ended.add_done_callback(lambda f: self.post(CallerGone(f.result())))
        if answer is not None:
            call.answer(answer)
            self.record.answered_at = self.caller_record.answered_at = self.now()
        elif not await self._late_offer():
            return
        watchdog = self.service.settings.sip.no_media_timeout_s
        if watchdog > 0:
            self.leg.watch_media(watchdog, lambda _leg: self.post(CallerGone("no-media")))
        step: FlowCommand | str | None = await self._ivr(self.flow)
        while step is not None and step != _DONE:
            if isinstance(step, ToQueue):
                step = await self._queue(step)
            elif isinstance(step, RecordVoicemail):
                await self._voicemail(step)
                step = None
            elif isinstance(step, Hangup):
                self.record.outcome = self.record.outcome if self.record.outcome != "unknown" else "ivr"
                self.record.end_reason = step.reason
                call.hangup()
                step = None
            elif isinstance(step, str) and (flow := self.service.flow_for(self.tenant, step)) is not None:
                step = await self._ivr(flow)
            else:
                step = None
        if call.active:
            call.hangup()

    # -- the end ----------------------------------------------------------------------------------
    async def _finish(self) -> None:
        if self._deadline_handle is not None:
            self._deadline_handle.cancel()
        self._stop_attempts()
        for task in list(self._tasks):
            task.cancel()
        if self.call.active:
            self.call.hangup()
        now = self.now()
        leg = self.leg
        if leg is not None:
            self.caller_record.rx_packets = leg.stats.rx_packets
            self.caller_record.tx_packets = leg.stats.tx_packets
            self.caller_record.relayed_packets = leg.stats.relayed_in
            leg.close()
        self.caller_record.ended_at = now
        self.caller_record.end_reason = self.call.ended.result() if self.call.ended.done() else "local"
        self.record.ended_at = now
        if not self.record.end_reason:
            self.record.end_reason = self.caller_record.end_reason
        if self.interaction is not None and not self.callback_requested:
            self.service.unbind(self.interaction, self)
        await self.service.store(self.record)


def recording_folder(data_dir: Path, tenant: str, at: float) -> Path:
    day = datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d")
    return data_dir / "recordings" / tenant / day


__all__ = ["CallSession", "recording_folder"]
