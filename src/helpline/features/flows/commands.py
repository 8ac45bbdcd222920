"""``helpline flows``: check flow files, and try a call through a flow in the terminal."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import httpx
import typer
from rich.console import Console

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
from helpline.features.flows.loader import check_flow, load_flow
from helpline.features.flows.models import FlowValidationError, Severity
from helpline.runtime.clock import ManualClock

__all__ = ["build", "try_call"]

SPEECH_CHARS_PER_S = 15.0  # how long a TTS prompt takes, for the simulated clock
KEY_GAP_S = 0.4


def build() -> typer.Typer:
    app = typer.Typer(help="IVR flows: check flow files, try a call through a flow.", no_args_is_help=True)

    @app.command("check")
    def check(
        files: Annotated[list[Path], typer.Argument(help="Flow YAML files.")],
        queues: Annotated[str | None, typer.Option(help="Known queue ids, comma-separated.")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="One JSON object with every issue.")] = False,
    ) -> None:
        """Check flows and list every error and warning with file, line and field."""
        known = None if queues is None else {q.strip() for q in queues.split(",") if q.strip()}
        issues = []
        for path in files:
            try:
                text = path.read_text(encoding="utf-8")
            except OSError as exc:
                raise typer.BadParameter(f"{path}: {exc}") from exc
            issues += check_flow(text, file=str(path), known_queues=known)[1]
        failed = any(i.severity is Severity.ERROR for i in issues)
        if as_json:
            typer.echo(json.dumps({"ok": not failed, "issues": [
                {"file": i.file, "line": i.line, "column": i.column, "field": i.field,
                 "severity": i.severity.value, "message": i.message} for i in issues
            ]}))
        else:
            console = Console(highlight=False)
            for issue in issues:
                console.print(str(issue), style="red" if issue.severity is Severity.ERROR else "yellow", soft_wrap=True)
            errors = sum(i.severity is Severity.ERROR for i in issues)
            console.print(f"{len(files)} flow file(s): {errors} error(s), {len(issues) - errors} warning(s)")
        raise typer.Exit(1 if failed else 0)

    @app.command("try")
    def try_(
        file: Annotated[Path, typer.Argument(help="A flow YAML file.")],
        keys: Annotated[str, typer.Option(help="Key groups pressed at each menu or collection, space-separated.")] = "",
        at: Annotated[str | None, typer.Option(help="When the call happens (ISO 8601 with offset); default now.")] = None,
        caller: Annotated[str, typer.Option(help="The caller's number.")] = "+31201234567",
        const: Annotated[list[str] | None, typer.Option(help="NAME=VALUE overriding a flow constant.")] = None,
        demo_service: Annotated[
            bool, typer.Option("--demo-service", help="Run Parcelo's tracking service and point tracking_url at it.")
        ] = False,
    ) -> None:
        """Run one call through a flow: prompts are printed, keys pressed, lookups done for real."""
        overrides = dict(item.split("=", 1) for item in const or [] if "=" in item)
        when = datetime.fromisoformat(at).timestamp() if at else datetime.now(UTC).timestamp()
        lines = asyncio.run(try_call(file, keys.split(), when, caller, overrides, demo_service))
        console = Console(highlight=False)
        for line in lines:
            console.print(line, markup=False, soft_wrap=True)

    return app


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
