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
import random
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from helpline.core.commands import CancelOffer, OfferInteraction, SendToOverflow
from helpline.core.config import Channel
from helpline.core.inputs import (
    CallbackRequested,
    InteractionAbandoned,
    InteractionArrived,
    InteractionEnded,
    InteractionHeld,
    InteractionResumed,
    InteractionTransferred,
    OfferAccepted,
    OfferRejected,
)
from helpline.core.ivr import (
    CallerHungUp,
    DigitReceived,
    Flow,
    FlowCommand,
    FlowInterpreter,
    Hangup,
    HttpRequest,
    HttpResult,
    IllegalInput,
    Play,
    PlaybackFinished,
    RecordVoicemail,
    StopPlayback,
    ToQueue,
)
from helpline.core.routing.engine import RoutingEngine
from helpline.edge.media import DtmfReceived, MediaPortsExhausted, PlayItem, RtpLeg
from helpline.edge.sip import InboundCall, SipCall
from helpline.features.flows.driver import execute_http
from helpline.features.voice.agents import AgentAttempt, configure_leg
from helpline.features.voice.events import (
    AgentAnswered,
    AgentFailed,
    AgentGone,
    CallerGone,
    Deadline,
    Digit,
    EndedElsewhere,
    Held,
    Played,
    Referred,
)
from helpline.features.voice.repository import CallRecord, LegRecord
from helpline.protocols.sip import SessionDescription, accept_answer, build_answer, build_offer
from helpline.protocols.sip.uri import SipUri
from helpline.settings import QueueExperienceSettings

if TYPE_CHECKING:
    from helpline.features.voice.service import VoiceService

log = logging.getLogger(__name__)

_DONE = "done"


class CallSession:
    def __init__(self, service: VoiceService, call: InboundCall, tenant: str, flow: Flow) -> None:
        self.service = service
        self.call = call
        self.tenant = tenant
        self.flow = flow
        self.partition = service.partitions[tenant]
        self.inbox: asyncio.Queue[object] = asyncio.Queue()
        self.leg: RtpLeg | None = None
        self.interaction: str | None = None
        self.queue: str | None = None
        self.attempts: dict[str, AgentAttempt] = {}
        self.connected: AgentAttempt | None = None
        self.variables: dict[str, str] = {}
        self.callback_requested = False
        now = service.clock.now()
        self.record = CallRecord(
            id=uuid.uuid4().hex, tenant_id=tenant, direction="inbound", caller=call.caller,
            called=call.called, started_at=now, flow=flow.name,
        )
        self.caller_record = LegRecord("caller", call.call_id, f"{call.peer[0]}:{call.peer[1]}", call.caller, now)
        self.record.legs.append(self.caller_record)
        self._generation = 0
        self._deadline_handle: asyncio.TimerHandle | None = None
        self._play_id: int | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    # -- plumbing --------------------------------------------------------------------------------
    def post(self, event: object) -> None:
        self.inbox.put_nowait(event)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _next(self, deadline: float | None) -> object:
        """The next event, or ``Deadline`` once ``deadline`` (clock time) has come."""
        if self._deadline_handle is not None:
            self._deadline_handle.cancel()
            self._deadline_handle = None
        self._generation += 1
        if deadline is not None:
            delay = max(0.0, deadline - self.service.clock.now())
            loop = asyncio.get_running_loop()
            self._deadline_handle = loop.call_later(delay, self.post, Deadline(self._generation))
        while True:
            event = await self.inbox.get()
            if isinstance(event, Deadline) and event.generation != self._generation:
                continue
            return event

    def now(self) -> float:
        return float(self.service.clock.now())

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

    # -- IVR ----------------------------------------------------------------------------------------
    async def _ivr(self, flow: Flow) -> FlowCommand | str | None:
        interp = FlowInterpreter(
            flow, variables={**self.variables, "caller": self.call.caller, "called": self.call.called},
            call_id=self.call.call_id,
        )
        commands = interp.start(self.now())
        while True:
            for command in commands:
                if isinstance(command, Play):
                    self._start_play(command)
                elif isinstance(command, StopPlayback):
                    if self._play_id == command.play_id and self.leg is not None:
                        self._play_id = None
                        self.leg.stop_playback()
                elif isinstance(command, HttpRequest):
                    self._spawn(self._http(command))
                else:
                    self.variables = dict(interp.variables)
                    self.record.ivr_path += interp.path
                    return command
            event = await self._next(interp.next_timer())
            now = self.now()
            try:
                if isinstance(event, Deadline):
                    commands = interp.on_timer(now)
                elif isinstance(event, Digit):
                    commands = interp.handle(DigitReceived(event.digit), now)
                elif isinstance(event, Played):
                    commands = interp.handle(PlaybackFinished(event.play_id), now)
                elif isinstance(event, HttpResult):
                    commands = interp.handle(event, now)
                elif isinstance(event, CallerGone):
                    interp.handle(CallerHungUp(), now)
                    self.record.ivr_path += interp.path
                    self.record.outcome, self.record.end_reason = "ivr-hangup", event.reason
                    return None
                else:
                    commands = []
            except IllegalInput as exc:
                log.debug("call %s: %s", self.call.call_id, exc)
                commands = []

    def _start_play(self, command: Play) -> None:
        self._play_id = command.play_id

        async def play() -> None:
            items = await self.service.prompts.render(command.parts)
            if self._play_id != command.play_id or self.leg is None:
                return
            if not items:
                self.post(Played(command.play_id))
                return
            await self.leg.play(items).done
            self.post(Played(command.play_id))

        self._spawn(play())

    async def _http(self, request: HttpRequest) -> None:
        self.post(await execute_http(request, self.service.http))

    async def _play_and_wait(self, items: list[PlayItem]) -> bool:
        """Play to the end; False when the caller hung up meanwhile."""
        if self.leg is None or not items or not self.call.active:
            return self.call.active
        playback = self.leg.play(items)
        done: asyncio.Future[Any] = asyncio.ensure_future(playback.done)
        gone: asyncio.Future[Any] = asyncio.ensure_future(asyncio.shield(self.call.ended))
        await asyncio.wait({done, gone}, return_when=asyncio.FIRST_COMPLETED)
        gone.cancel()
        return self.call.active

    # -- queue ---------------------------------------------------------------------------------------
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

    # -- voicemail ------------------------------------------------------------------------------
    async def _voicemail(self, command: RecordVoicemail) -> None:
        leg, call = self.leg, self.call
        assert leg is not None
        if command.beep and not await self._play_and_wait([self.service.prompts.beep()]):
            return None
        message_id = uuid.uuid4().hex
        path = self.service.recording_path(self.tenant, f"voicemail-{message_id}")
        if leg.recorder is not None:
            leg.stop_recording()
        leg.record(path)
        deadline = self.now() + command.max_length_s
        while call.active:
            event = await self._next(deadline)
            if isinstance(event, Deadline | CallerGone) or (isinstance(event, Digit) and event.digit == "#"):
                break
        leg.stop_recording()
        self.record.recording = str(path)
        self.record.outcome = "voicemail"
        self.record.end_reason = self.record.end_reason or "voicemail"
        await self._leave_voicemail(message_id, path, command.queue_id or self.queue, command.attributes)
        if call.active:
            await self._play_and_wait(await self.service.prompts.say("Thank you. Goodbye."))
            call.hangup()
        return None

    def _voicemail_queues(self, queue: str | None) -> list[str]:
        """Where a voicemail goes, best first: the queue it was left in when that queue takes
        voicemail; else the tenant's first queue that takes voicemail; else the queue it was left
        in anyway, then the tenant's other queues. Every message thus becomes an interaction on
        the voicemail channel while the tenant has any queue at all."""
        queues = self.service.configs[self.tenant].queues
        takes = [q.id for q in queues if Channel.VOICEMAIL in q.channels]
        order = [queue] if queue in takes else []
        order += takes
        if queue is not None and any(q.id == queue for q in queues):
            order.append(queue)
        order += [q.id for q in queues]
        return list(dict.fromkeys(order))

    async def _leave_voicemail(self, message_id: str, path: Path, queue: str | None, extra: Any) -> None:
        call = self.call
        attributes = {**extra, "recording": str(path), "caller": call.caller, "called": call.called}
        if queue is not None:
            attributes["left_in_queue"] = queue
        for candidate in self._voicemail_queues(queue):
            try:
                await self.partition.submit(
                    InteractionArrived(message_id, candidate, Channel.VOICEMAIL, attributes=attributes, customer=call.caller)
                )
            except Exception as exc:
                log.warning("voicemail %s not accepted by queue %s: %s", message_id, candidate, exc)
                continue
            self.record.interaction_id = self.record.interaction_id or message_id
            if self.record.queue_id is None:
                self.record.queue_id = candidate
            return
        log.error("voicemail %s kept in %s, but no queue of tenant %s accepted it", message_id, path, self.tenant)

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
