"""Facts the routing engine records in the append-only event log.

Each fact is a frozen dataclass with the ids it concerns and the time ``at`` it happened. A
fact carries what is needed to replay it (``RoutingEngine.apply``) without deciding anything
again: the agents an offer went to, the place an interaction took in line, the skills left after
a workflow step. ``event_to_record`` / ``event_from_record`` turn facts into ``(kind, payload)``
pairs of JSON-safe values so the storage layer can persist them without knowing these classes.
"""

from __future__ import annotations

import dataclasses
from enum import StrEnum
from typing import Any, ClassVar

from helpline.core.agent import AgentState
from helpline.core.config import Channel
from helpline.core.records import quick_init_all

Pairs = tuple[tuple[str, int], ...]
StrPairs = tuple[tuple[str, str], ...]


# -- interactions ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class InteractionCreated:
    KIND: ClassVar[str] = "interaction.created"
    at: float
    interaction: str
    queue: str
    channel: Channel
    priority: int  # as it arrived, before the queue's priority is added
    skills: Pairs  # the full requirement: queue's required skills and the interaction's own
    preferred_agent: str | None
    attributes: StrPairs
    customer: str | None


@dataclasses.dataclass(frozen=True, slots=True)
class InteractionQueued:
    """Entered a queue (on arrival, on transfer). ``ewt`` is the estimate given at entry."""

    KIND: ClassVar[str] = "interaction.queued"
    at: float
    interaction: str
    queue: str
    priority: int  # effective priority in this queue
    skills: Pairs
    order_at: float  # its place in line: original arrival, kept on resume-on-redial
    order_seq: int
    position: int
    ewt: float | None
    resumed_from: str | None = None  # the abandoned interaction whose place it took back
    exclusive_agent: str | None = None  # only this agent may take it (until exclusive_until)
    exclusive_until: float | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class InteractionOffered:
    KIND: ClassVar[str] = "interaction.offered"
    at: float
    interaction: str
    agents: tuple[str, ...]  # several only under ring-all
    offer: int
    timeout_at: float
    queue: str  # whose agents it went to
    callback: bool = False


@dataclasses.dataclass(frozen=True, slots=True)
class OfferAccepted:
    KIND: ClassVar[str] = "offer.accepted"
    at: float
    interaction: str
    agent: str


@dataclasses.dataclass(frozen=True, slots=True)
class OfferRejected:
    KIND: ClassVar[str] = "offer.rejected"
    at: float
    interaction: str
    agent: str


@dataclasses.dataclass(frozen=True, slots=True)
class OfferTimedOut:
    KIND: ClassVar[str] = "offer.timed_out"
    at: float
    interaction: str
    agents: tuple[str, ...]


@dataclasses.dataclass(frozen=True, slots=True)
class OfferCancelled:
    """Reasons: answered-elsewhere, abandoned, agent-paused, agent-logout, overflow."""

    KIND: ClassVar[str] = "offer.cancelled"
    at: float
    interaction: str
    agent: str
    reason: str


@dataclasses.dataclass(frozen=True, slots=True)
class InteractionStarted:
    KIND: ClassVar[str] = "interaction.started"
    at: float
    interaction: str
    agent: str


@dataclasses.dataclass(frozen=True, slots=True)
class InteractionHeld:
    KIND: ClassVar[str] = "interaction.held"
    at: float
    interaction: str


@dataclasses.dataclass(frozen=True, slots=True)
class InteractionResumed:
    KIND: ClassVar[str] = "interaction.resumed"
    at: float
    interaction: str


@dataclasses.dataclass(frozen=True, slots=True)
class InteractionTransferred:
    """Followed by the agent's wrap-up (or release) and an InteractionQueued."""

    KIND: ClassVar[str] = "interaction.transferred"
    at: float
    interaction: str
    from_agent: str
    to_queue: str
    to_agent: str | None
    wrap_up: bool  # the transferring agent goes to wrap-up (else is free at once)


@dataclasses.dataclass(frozen=True, slots=True)
class InteractionEnded:
    KIND: ClassVar[str] = "interaction.ended"
    at: float
    interaction: str
    agent: str
    wrap_up: bool  # False: the queue has no wrap-up time, the agent is free at once


@dataclasses.dataclass(frozen=True, slots=True)
class WrapUpStarted:
    KIND: ClassVar[str] = "wrapup.started"
    at: float
    interaction: str
    agent: str
    until: float


@dataclasses.dataclass(frozen=True, slots=True)
class WrapUpEnded:
    KIND: ClassVar[str] = "wrapup.ended"
    at: float
    interaction: str
    agent: str
    disposition: str | None
    notes: str
    timed_out: bool


@dataclasses.dataclass(frozen=True, slots=True)
class InteractionAbandoned:
    KIND: ClassVar[str] = "interaction.abandoned"
    at: float
    interaction: str
    was: str  # queued, offered or callback-waiting
    waited_s: float


@dataclasses.dataclass(frozen=True, slots=True)
class CallbackRequested:
    KIND: ClassVar[str] = "interaction.callback_requested"
    at: float
    interaction: str
    number: str


@dataclasses.dataclass(frozen=True, slots=True)
class WorkflowStepApplied:
    """A queue workflow step widened the interaction; it keeps its place in line."""

    KIND: ClassVar[str] = "interaction.step_applied"
    at: float
    interaction: str
    step: int
    priority: int
    skills: Pairs
    queues: tuple[str, ...]
    groups: tuple[str, ...]


@dataclasses.dataclass(frozen=True, slots=True)
class InteractionOverflowed:
    KIND: ClassVar[str] = "interaction.overflowed"
    at: float
    interaction: str
    destination: str | None
    waited_s: float


@dataclasses.dataclass(frozen=True, slots=True)
class PreferenceExpired:
    """The preferred agent did not become free in time; any matching agent may now take it."""

    KIND: ClassVar[str] = "interaction.preference_expired"
    at: float
    interaction: str


@dataclasses.dataclass(frozen=True, slots=True)
class ResumeWindowExpired:
    """The abandoned caller did not call back in time; their place is given up."""

    KIND: ClassVar[str] = "interaction.resume_expired"
    at: float
    interaction: str


# -- agents ---------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class AgentLoggedIn:
    KIND: ClassVar[str] = "agent.logged_in"
    at: float
    agent: str


@dataclasses.dataclass(frozen=True, slots=True)
class AgentLoggedOut:
    KIND: ClassVar[str] = "agent.logged_out"
    at: float
    agent: str


@dataclasses.dataclass(frozen=True, slots=True)
class AgentPaused:
    KIND: ClassVar[str] = "agent.paused"
    at: float
    agent: str
    reason: str


@dataclasses.dataclass(frozen=True, slots=True)
class AgentUnpaused:
    KIND: ClassVar[str] = "agent.unpaused"
    at: float
    agent: str


@dataclasses.dataclass(frozen=True, slots=True)
class AgentStateChanged:
    """The agent's wallboard state changed; ``reason`` names what caused it."""

    KIND: ClassVar[str] = "agent.state_changed"
    at: float
    agent: str
    state: AgentState
    previous: AgentState
    reason: str


Event = (
    InteractionCreated
    | InteractionQueued
    | InteractionOffered
    | OfferAccepted
    | OfferRejected
    | OfferTimedOut
    | OfferCancelled
    | InteractionStarted
    | InteractionHeld
    | InteractionResumed
    | InteractionTransferred
    | InteractionEnded
    | WrapUpStarted
    | WrapUpEnded
    | InteractionAbandoned
    | CallbackRequested
    | WorkflowStepApplied
    | InteractionOverflowed
    | PreferenceExpired
    | ResumeWindowExpired
    | AgentLoggedIn
    | AgentLoggedOut
    | AgentPaused
    | AgentUnpaused
    | AgentStateChanged
)

EVENT_TYPES: tuple[type[Event], ...] = (
    InteractionCreated,
    InteractionQueued,
    InteractionOffered,
    OfferAccepted,
    OfferRejected,
    OfferTimedOut,
    OfferCancelled,
    InteractionStarted,
    InteractionHeld,
    InteractionResumed,
    InteractionTransferred,
    InteractionEnded,
    WrapUpStarted,
    WrapUpEnded,
    InteractionAbandoned,
    CallbackRequested,
    WorkflowStepApplied,
    InteractionOverflowed,
    PreferenceExpired,
    ResumeWindowExpired,
    AgentLoggedIn,
    AgentLoggedOut,
    AgentPaused,
    AgentUnpaused,
    AgentStateChanged,
)

_BY_KIND: dict[str, type[Event]] = {cls.KIND: cls for cls in EVENT_TYPES}
_ENUM_FIELDS: dict[str, type[StrEnum]] = {"Channel": Channel, "AgentState": AgentState}


def _encode(value: Any) -> Any:
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, tuple):
        return [_encode(v) for v in value]
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_decode(v) for v in value)
    return value


def event_to_record(event: Event) -> tuple[str, dict[str, Any]]:
    """``(kind, payload)`` with JSON-safe values (str, int, float, bool, None, lists)."""
    payload = {f.name: _encode(getattr(event, f.name)) for f in dataclasses.fields(event)}
    return event.KIND, payload


def event_from_record(kind: str, payload: dict[str, Any]) -> Event:
    """The fact ``event_to_record`` produced ``(kind, payload)`` from."""
    try:
        cls = _BY_KIND[kind]
    except KeyError:
        raise ValueError(f"unknown event kind {kind!r}") from None
    values: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        raw = payload[f.name]
        annotation = str(f.type)
        enum = _ENUM_FIELDS.get(annotation.split(" ")[0])
        if enum is not None and raw is not None:
            values[f.name] = enum(raw)
        elif f.name == "at":
            values[f.name] = float(raw)
        else:
            values[f.name] = _decode(raw)
    return cls(**values)

quick_init_all(*EVENT_TYPES)
