"""What the voice edge tells a call's flow interpreter.

Ids (``play_id``, ``request_id``) tie an answer to the command that asked for it, so an answer
that arrives after the interpreter has moved on (a prompt stopped by barge-in, an HTTP lookup
that already timed out) is recognised as stale and ignored.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "CallStarted",
    "CallerHungUp",
    "DigitReceived",
    "FlowInput",
    "HttpResult",
    "JsonValue",
    "PlaybackFinished",
    "TimerFired",
]

JsonValue = None | bool | int | float | str | list["JsonValue"] | dict[str, "JsonValue"]


@dataclass(frozen=True, slots=True)
class CallStarted:
    """The call is answered and media flows: run the flow from its start node."""


@dataclass(frozen=True, slots=True)
class DigitReceived:
    digit: str  # one DTMF key: 0-9 * # A-D


@dataclass(frozen=True, slots=True)
class PlaybackFinished:
    play_id: int


@dataclass(frozen=True, slots=True)
class HttpResult:
    """The outcome of an ``HttpRequest``: a status and parsed JSON body, or an error text
    (connection refused, timeout, body not JSON) with ``status`` None."""

    request_id: int
    status: int | None
    body: JsonValue = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class CallerHungUp:
    pass


@dataclass(frozen=True, slots=True)
class TimerFired:
    """The deadline from ``next_timer()`` has come (same as calling ``on_timer``)."""


FlowInput = CallStarted | DigitReceived | PlaybackFinished | HttpResult | CallerHungUp | TimerFired
