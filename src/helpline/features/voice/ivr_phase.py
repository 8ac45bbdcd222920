"""The IVR phase of a call: the pure flow interpreter decides, the call's task carries it out."""

from __future__ import annotations

import logging

from helpline.core.ivr import (
    CallerHungUp,
    DigitReceived,
    Flow,
    FlowCommand,
    FlowInterpreter,
    HttpRequest,
    HttpResult,
    IllegalInput,
    Play,
    PlaybackFinished,
    StopPlayback,
)
from helpline.features.flows.driver import execute_http
from helpline.features.voice.call_state import CallState
from helpline.features.voice.events import CallerGone, Deadline, Digit, Played

log = logging.getLogger(__name__)


class IvrPhase(CallState):
    """Runs a flow: plays its prompts, carries out its HTTP lookups, arms its deadline."""

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
