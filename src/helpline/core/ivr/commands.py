"""What a call's flow interpreter asks the voice edge to do."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from helpline.core.config import SkillRequirement
from helpline.core.ivr.inputs import JsonValue

__all__ = [
    "FlowCommand",
    "Hangup",
    "HttpRequest",
    "Play",
    "PromptPart",
    "RecordVoicemail",
    "StopPlayback",
    "ToQueue",
]


@dataclass(frozen=True, slots=True)
class PromptPart:
    """A rendered prompt part: a file to play, or text for the TTS engine (exactly one)."""

    file: str | None = None
    text: str | None = None


@dataclass(frozen=True, slots=True)
class Play:
    """Play the parts in order, then report ``PlaybackFinished(play_id)``.

    With ``barge_in`` the interpreter may answer a key press with ``StopPlayback``; without
    it, keys pressed during the prompt are ignored. The edge passes every DTMF key on in
    either case: timing the keys (first-digit, inter-digit timeouts) is the interpreter's job.
    """

    play_id: int
    parts: tuple[PromptPart, ...]
    barge_in: bool = False


@dataclass(frozen=True, slots=True)
class StopPlayback:
    play_id: int


@dataclass(frozen=True, slots=True)
class HttpRequest:
    """Carry out the request with ``timeout_s`` and answer with ``HttpResult(request_id, ...)``."""

    request_id: int
    method: str
    url: str
    timeout_s: float
    headers: tuple[tuple[str, str], ...] = ()
    json_body: JsonValue = None


@dataclass(frozen=True, slots=True)
class ToQueue:
    """Hand the call to the ACD; ``attributes`` are the interaction's data (the screen pop)."""

    queue_id: str
    priority: int = 0
    skills: tuple[SkillRequirement, ...] = ()
    attributes: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RecordVoicemail:
    """Record the caller (after a beep) for at most ``max_length_s``; the recording becomes an
    interaction on the voicemail channel in ``queue_id`` with these attributes."""

    max_length_s: float
    beep: bool = True
    queue_id: str | None = None
    attributes: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Hangup:
    reason: str


FlowCommand = Play | StopPlayback | HttpRequest | ToQueue | RecordVoicemail | Hangup
