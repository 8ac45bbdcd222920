"""What reaches a call's controller task, one at a time, through its inbox."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from helpline.protocols.sip.headers import Address

if TYPE_CHECKING:
    from helpline.features.voice.agents import AgentAttempt


@dataclass(frozen=True, slots=True)
class Digit:
    digit: str


@dataclass(frozen=True, slots=True)
class Played:
    play_id: int


@dataclass(frozen=True, slots=True)
class CallerGone:
    reason: str


@dataclass(frozen=True, slots=True)
class Deadline:
    generation: int


@dataclass(frozen=True, slots=True)
class AgentAnswered:
    attempt: AgentAttempt


@dataclass(frozen=True, slots=True)
class AgentFailed:
    attempt: AgentAttempt
    status: int


@dataclass(frozen=True, slots=True)
class AgentGone:
    attempt: AgentAttempt
    reason: str


@dataclass(frozen=True, slots=True)
class Referred:
    target: Address


@dataclass(frozen=True, slots=True)
class Held:
    by_agent: bool
    on_hold: bool


@dataclass(frozen=True, slots=True)
class EndedElsewhere:
    """The interaction was ended by someone other than this call (another edge, an operator)."""
