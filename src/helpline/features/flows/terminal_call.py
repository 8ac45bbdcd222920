"""One call through a flow in the terminal: prompts printed, keys pressed, lookups done for real.

The call runs on a manual clock that moves on by the time a prompt takes to say and a key takes to
press, so a transcript shows when each thing happens without anyone waiting for it.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from helpline.core.ivr import (
    CallState,
    FlowCommand,
    FlowInterpreter,
    Hangup,
    Play,
    PlaybackFinished,
    RecordVoicemail,
    StopPlayback,
    ToQueue,
)
from helpline.core.ivr.inputs import DigitReceived
from helpline.demo.tracking_service import TrackingService
from helpline.features.flows.driver import FlowRunner
from helpline.features.flows.loader import load_flow
from helpline.features.flows.models import FlowValidationError
from helpline.runtime.clock import ManualClock

__all__ = ["try_call"]

SPEECH_CHARS_PER_S = 15.0  # how long a TTS prompt takes, for the simulated clock
KEY_GAP_S = 0.4


async def try_call(
    file: Path, key_groups: list[str], at: float, caller: str, constants: dict[str, str], demo_service: bool
) -> list[str]:
    """A call through the flow as a transcript, one line per prompt, key press and outcome."""
    if demo_service:
        async with TrackingService() as service:
            return await _try(file, key_groups, at, caller, {**constants, "tracking_url": service.url})
    return await _try(file, key_groups, at, caller, constants)


async def _try(file: Path, key_groups: list[str], at: float, caller: str, constants: dict[str, str]) -> list[str]:
    try:
        loaded = load_flow(file, constants=constants)
    except FlowValidationError as exc:
        return [str(exc)]
    clock = ManualClock(at)
    interpreter = FlowInterpreter(loaded.flow, variables={"caller": caller})
    transcript: list[str] = [str(w) for w in loaded.warnings]
    playing: Play | None = None
    keys = list(key_groups)

    def show(commands: list[FlowCommand]) -> None:
        nonlocal playing
        stamp = f"{clock.now() - at:7.1f}s"
        for command in commands:
            if isinstance(command, Play):
                playing = command
                transcript.append(f"{stamp}  says: " + " ".join(p.text or f"[{p.file}]" for p in command.parts))
            elif isinstance(command, StopPlayback):
                playing = None
            elif isinstance(command, ToQueue):
                transcript.append(f"{stamp}  to queue {command.queue_id} (priority {command.priority}) "
                                  f"with {json.dumps(dict(command.attributes))}")
            elif isinstance(command, RecordVoicemail):
                transcript.append(f"{stamp}  records a voicemail of up to {command.max_length_s:g} s "
                                  f"for queue {command.queue_id}")
            elif isinstance(command, Hangup):
                transcript.append(f"{stamp}  hangs up: {command.reason}")

    async with httpx.AsyncClient() as client:
        runner = FlowRunner(interpreter, client, clock)
        show(await runner.start())
        while interpreter.state is not CallState.DONE:
            if playing is not None:
                spoken = sum(len(p.text or "") for p in playing.parts)
                clock.advance(max(1.0, spoken / SPEECH_CHARS_PER_S))
                finished, playing = playing, None
                show(await runner.feed(PlaybackFinished(finished.play_id)))
            elif keys:
                group = keys.pop(0)
                transcript.append(f"{clock.now() - at:7.1f}s  caller presses {group}")
                for key in group:
                    clock.advance(KEY_GAP_S)
                    show(await runner.feed(DigitReceived(key)))
            else:
                deadline = interpreter.next_timer()
                if deadline is None:
                    break
                clock.set(deadline)
                transcript.append(f"{clock.now() - at:7.1f}s  (silence)")
                show(await runner.timer())
        for request, result in runner.lookups:
            outcome = result.error or f"HTTP {result.status}"
            transcript.append(f"lookup {request.method} {request.url}: {outcome}")
    transcript.append("path: " + " > ".join(interpreter.path))
    return transcript
