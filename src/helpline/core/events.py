"""Facts the routing engine records in the append-only event log.

Each fact is a frozen dataclass with the ids it concerns and the time ``at`` it happened. A
fact carries what is needed to replay it (``RoutingEngine.apply``) without deciding anything
again: the agents an offer went to, the place an interaction took in line, the skills left after
a workflow step. ``core.event_records`` turns facts into ``(kind, payload)`` pairs of JSON-safe
values so the storage layer can persist them without knowing these classes.

Two shapes here serve the compiled core (``helpline.native``): each record's ``__init__`` is
written out, because mypyc compiles that one to native code while a dataclass-made one runs
interpreted (interpreted, ``records.quick_init`` replaces it); and each ``KIND`` sits in a small
base class, because mypyc counts a dataclass's ``ClassVar`` as a field.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

from helpline.core.agent_events import AgentLoggedIn as AgentLoggedIn
from helpline.core.agent_events import AgentLoggedOut as AgentLoggedOut
from helpline.core.agent_events import AgentPaused as AgentPaused
from helpline.core.agent_events import AgentStateChanged as AgentStateChanged
from helpline.core.agent_events import AgentUnpaused as AgentUnpaused
from helpline.core.config import Channel
from helpline.core.records import quick_init_all

Pairs = tuple[tuple[str, int], ...]
StrPairs = tuple[tuple[str, str], ...]


# -- interactions ---------------------------------------------------------------------------


class _InteractionCreatedKind:
    __slots__ = ()
    KIND: ClassVar[str] = "interaction.created"


@dataclasses.dataclass(frozen=True, slots=True)
class InteractionCreated(_InteractionCreatedKind):
    at: float
    interaction: str
    queue: str
    channel: Channel
    priority: int  # as it arrived, before the queue's priority is added
    skills: Pairs  # the full requirement: queue's required skills and the interaction's own
    preferred_agent: str | None
    attributes: StrPairs
    customer: str | None

    def __init__(
        self,
        at: float,
        interaction: str,
        queue: str,
        channel: Channel,
        priority: int,
        skills: Pairs,
        preferred_agent: str | None,
        attributes: StrPairs,
        customer: str | None,
    ) -> None:
        self.at = at  # type: ignore[misc]
        self.interaction = interaction  # type: ignore[misc]
        self.queue = queue  # type: ignore[misc]
        self.channel = channel  # type: ignore[misc]
        self.priority = priority  # type: ignore[misc]
        self.skills = skills  # type: ignore[misc]
        self.preferred_agent = preferred_agent  # type: ignore[misc]
        self.attributes = attributes  # type: ignore[misc]
        self.customer = customer  # type: ignore[misc]


class _InteractionQueuedKind:
    __slots__ = ()
    KIND: ClassVar[str] = "interaction.queued"


@dataclasses.dataclass(frozen=True, slots=True)
class InteractionQueued(_InteractionQueuedKind):
    """Entered a queue (on arrival, on transfer). ``ewt`` is the estimate given at entry."""

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

    def __init__(
        self,
        at: float,
        interaction: str,
        queue: str,
        priority: int,
        skills: Pairs,
        order_at: float,
        order_seq: int,
        position: int,
        ewt: float | None,
        resumed_from: str | None = None,
        exclusive_agent: str | None = None,
        exclusive_until: float | None = None,
    ) -> None:
        self.at = at  # type: ignore[misc]
        self.interaction = interaction  # type: ignore[misc]
        self.queue = queue  # type: ignore[misc]
        self.priority = priority  # type: ignore[misc]
        self.skills = skills  # type: ignore[misc]
        self.order_at = order_at  # type: ignore[misc]
        self.order_seq = order_seq  # type: ignore[misc]
        self.position = position  # type: ignore[misc]
        self.ewt = ewt  # type: ignore[misc]
        self.resumed_from = resumed_from  # type: ignore[misc]
        self.exclusive_agent = exclusive_agent  # type: ignore[misc]
        self.exclusive_until = exclusive_until  # type: ignore[misc]


class _InteractionOfferedKind:
    __slots__ = ()
    KIND: ClassVar[str] = "interaction.offered"


@dataclasses.dataclass(frozen=True, slots=True)
class InteractionOffered(_InteractionOfferedKind):
    at: float
    interaction: str
    agents: tuple[str, ...]  # several only under ring-all
    offer: int
    timeout_at: float
    queue: str  # whose agents it went to
    callback: bool = False

    def __init__(
        self,
        at: float,
        interaction: str,
        agents: tuple[str, ...],
        offer: int,
        timeout_at: float,
        queue: str,
        callback: bool = False,
    ) -> None:
        self.at = at  # type: ignore[misc]
        self.interaction = interaction  # type: ignore[misc]
        self.agents = agents  # type: ignore[misc]
        self.offer = offer  # type: ignore[misc]
        self.timeout_at = timeout_at  # type: ignore[misc]
        self.queue = queue  # type: ignore[misc]
        self.callback = callback  # type: ignore[misc]


class _OfferAcceptedKind:
    __slots__ = ()
    KIND: ClassVar[str] = "offer.accepted"


@dataclasses.dataclass(frozen=True, slots=True)
class OfferAccepted(_OfferAcceptedKind):
    at: float
    interaction: str
    agent: str

    def __init__(self, at: float, interaction: str, agent: str) -> None:
        self.at = at  # type: ignore[misc]
        self.interaction = interaction  # type: ignore[misc]
        self.agent = agent  # type: ignore[misc]


class _OfferRejectedKind:
    __slots__ = ()
    KIND: ClassVar[str] = "offer.rejected"


@dataclasses.dataclass(frozen=True, slots=True)
class OfferRejected(_OfferRejectedKind):
    at: float
    interaction: str
    agent: str

    def __init__(self, at: float, interaction: str, agent: str) -> None:
        self.at = at  # type: ignore[misc]
        self.interaction = interaction  # type: ignore[misc]
        self.agent = agent  # type: ignore[misc]


class _OfferTimedOutKind:
    __slots__ = ()
    KIND: ClassVar[str] = "offer.timed_out"


@dataclasses.dataclass(frozen=True, slots=True)
class OfferTimedOut(_OfferTimedOutKind):
    at: float
    interaction: str
    agents: tuple[str, ...]

    def __init__(self, at: float, interaction: str, agents: tuple[str, ...]) -> None:
        self.at = at  # type: ignore[misc]
        self.interaction = interaction  # type: ignore[misc]
        self.agents = agents  # type: ignore[misc]


class _OfferCancelledKind:
    __slots__ = ()
    KIND: ClassVar[str] = "offer.cancelled"


@dataclasses.dataclass(frozen=True, slots=True)
class OfferCancelled(_OfferCancelledKind):
    """Reasons: answered-elsewhere, abandoned, agent-paused, agent-logout, overflow."""

    at: float
    interaction: str
    agent: str
    reason: str

    def __init__(self, at: float, interaction: str, agent: str, reason: str) -> None:
        self.at = at  # type: ignore[misc]
        self.interaction = interaction  # type: ignore[misc]
        self.agent = agent  # type: ignore[misc]
        self.reason = reason  # type: ignore[misc]


class _InteractionStartedKind:
    __slots__ = ()
    KIND: ClassVar[str] = "interaction.started"


@dataclasses.dataclass(frozen=True, slots=True)
class InteractionStarted(_InteractionStartedKind):
    at: float
    interaction: str
    agent: str

    def __init__(self, at: float, interaction: str, agent: str) -> None:
        self.at = at  # type: ignore[misc]
        self.interaction = interaction  # type: ignore[misc]
        self.agent = agent  # type: ignore[misc]


class _InteractionHeldKind:
    __slots__ = ()
    KIND: ClassVar[str] = "interaction.held"


@dataclasses.dataclass(frozen=True, slots=True)
class InteractionHeld(_InteractionHeldKind):
    at: float
    interaction: str

    def __init__(self, at: float, interaction: str) -> None:
        self.at = at  # type: ignore[misc]
        self.interaction = interaction  # type: ignore[misc]


class _InteractionResumedKind:
    __slots__ = ()
    KIND: ClassVar[str] = "interaction.resumed"


@dataclasses.dataclass(frozen=True, slots=True)
class InteractionResumed(_InteractionResumedKind):
    at: float
    interaction: str

    def __init__(self, at: float, interaction: str) -> None:
        self.at = at  # type: ignore[misc]
        self.interaction = interaction  # type: ignore[misc]


class _InteractionTransferredKind:
    __slots__ = ()
    KIND: ClassVar[str] = "interaction.transferred"


@dataclasses.dataclass(frozen=True, slots=True)
class InteractionTransferred(_InteractionTransferredKind):
    """Followed by the agent's wrap-up (or release) and an InteractionQueued."""

    at: float
    interaction: str
    from_agent: str
    to_queue: str
    to_agent: str | None
    wrap_up: bool  # the transferring agent goes to wrap-up (else is free at once)

    def __init__(
        self,
        at: float,
        interaction: str,
        from_agent: str,
        to_queue: str,
        to_agent: str | None,
        wrap_up: bool,
    ) -> None:
        self.at = at  # type: ignore[misc]
        self.interaction = interaction  # type: ignore[misc]
        self.from_agent = from_agent  # type: ignore[misc]
        self.to_queue = to_queue  # type: ignore[misc]
        self.to_agent = to_agent  # type: ignore[misc]
        self.wrap_up = wrap_up  # type: ignore[misc]


class _InteractionEndedKind:
    __slots__ = ()
    KIND: ClassVar[str] = "interaction.ended"


@dataclasses.dataclass(frozen=True, slots=True)
class InteractionEnded(_InteractionEndedKind):
    at: float
    interaction: str
    agent: str
    wrap_up: bool  # False: the queue has no wrap-up time, the agent is free at once

    def __init__(self, at: float, interaction: str, agent: str, wrap_up: bool) -> None:
        self.at = at  # type: ignore[misc]
        self.interaction = interaction  # type: ignore[misc]
        self.agent = agent  # type: ignore[misc]
        self.wrap_up = wrap_up  # type: ignore[misc]


class _WrapUpStartedKind:
    __slots__ = ()
    KIND: ClassVar[str] = "wrapup.started"


@dataclasses.dataclass(frozen=True, slots=True)
class WrapUpStarted(_WrapUpStartedKind):
    at: float
    interaction: str
    agent: str
    until: float

    def __init__(self, at: float, interaction: str, agent: str, until: float) -> None:
        self.at = at  # type: ignore[misc]
        self.interaction = interaction  # type: ignore[misc]
        self.agent = agent  # type: ignore[misc]
        self.until = until  # type: ignore[misc]


class _WrapUpEndedKind:
    __slots__ = ()
    KIND: ClassVar[str] = "wrapup.ended"


@dataclasses.dataclass(frozen=True, slots=True)
class WrapUpEnded(_WrapUpEndedKind):
    at: float
    interaction: str
    agent: str
    disposition: str | None
    notes: str
    timed_out: bool

    def __init__(
        self,
        at: float,
        interaction: str,
        agent: str,
        disposition: str | None,
        notes: str,
        timed_out: bool,
    ) -> None:
        self.at = at  # type: ignore[misc]
        self.interaction = interaction  # type: ignore[misc]
        self.agent = agent  # type: ignore[misc]
        self.disposition = disposition  # type: ignore[misc]
        self.notes = notes  # type: ignore[misc]
        self.timed_out = timed_out  # type: ignore[misc]


class _InteractionAbandonedKind:
    __slots__ = ()
    KIND: ClassVar[str] = "interaction.abandoned"


@dataclasses.dataclass(frozen=True, slots=True)
class InteractionAbandoned(_InteractionAbandonedKind):
    at: float
    interaction: str
    was: str  # queued, offered or callback-waiting
    waited_s: float

    def __init__(self, at: float, interaction: str, was: str, waited_s: float) -> None:
        self.at = at  # type: ignore[misc]
        self.interaction = interaction  # type: ignore[misc]
        self.was = was  # type: ignore[misc]
        self.waited_s = waited_s  # type: ignore[misc]


class _CallbackRequestedKind:
    __slots__ = ()
    KIND: ClassVar[str] = "interaction.callback_requested"


@dataclasses.dataclass(frozen=True, slots=True)
class CallbackRequested(_CallbackRequestedKind):
    at: float
    interaction: str
    number: str

    def __init__(self, at: float, interaction: str, number: str) -> None:
        self.at = at  # type: ignore[misc]
        self.interaction = interaction  # type: ignore[misc]
        self.number = number  # type: ignore[misc]


class _WorkflowStepAppliedKind:
    __slots__ = ()
    KIND: ClassVar[str] = "interaction.step_applied"


@dataclasses.dataclass(frozen=True, slots=True)
class WorkflowStepApplied(_WorkflowStepAppliedKind):
    """A queue workflow step widened the interaction; it keeps its place in line."""

    at: float
    interaction: str
    step: int
    priority: int
    skills: Pairs
    queues: tuple[str, ...]
    groups: tuple[str, ...]

    def __init__(
        self,
        at: float,
        interaction: str,
        step: int,
        priority: int,
        skills: Pairs,
        queues: tuple[str, ...],
        groups: tuple[str, ...],
    ) -> None:
        self.at = at  # type: ignore[misc]
        self.interaction = interaction  # type: ignore[misc]
        self.step = step  # type: ignore[misc]
        self.priority = priority  # type: ignore[misc]
        self.skills = skills  # type: ignore[misc]
        self.queues = queues  # type: ignore[misc]
        self.groups = groups  # type: ignore[misc]


class _InteractionOverflowedKind:
    __slots__ = ()
    KIND: ClassVar[str] = "interaction.overflowed"


@dataclasses.dataclass(frozen=True, slots=True)
class InteractionOverflowed(_InteractionOverflowedKind):
    at: float
    interaction: str
    destination: str | None
    waited_s: float

    def __init__(self, at: float, interaction: str, destination: str | None, waited_s: float) -> None:
        self.at = at  # type: ignore[misc]
        self.interaction = interaction  # type: ignore[misc]
        self.destination = destination  # type: ignore[misc]
        self.waited_s = waited_s  # type: ignore[misc]


class _PreferenceExpiredKind:
    __slots__ = ()
    KIND: ClassVar[str] = "interaction.preference_expired"


@dataclasses.dataclass(frozen=True, slots=True)
class PreferenceExpired(_PreferenceExpiredKind):
    """The preferred agent did not become free in time; any matching agent may now take it."""

    at: float
    interaction: str

    def __init__(self, at: float, interaction: str) -> None:
        self.at = at  # type: ignore[misc]
        self.interaction = interaction  # type: ignore[misc]


class _ResumeWindowExpiredKind:
    __slots__ = ()
    KIND: ClassVar[str] = "interaction.resume_expired"


@dataclasses.dataclass(frozen=True, slots=True)
class ResumeWindowExpired(_ResumeWindowExpiredKind):
    """The abandoned caller did not call back in time; their place is given up."""

    at: float
    interaction: str

    def __init__(self, at: float, interaction: str) -> None:
        self.at = at  # type: ignore[misc]
        self.interaction = interaction  # type: ignore[misc]


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

quick_init_all(*(cls for cls in EVENT_TYPES if cls.__module__ == __name__))  # agent facts: agent_events
