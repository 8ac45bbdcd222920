"""What the edges and the runtime tell the routing engine (``RoutingEngine.handle``).

Each input is a request; the engine checks it against the current state, raises a
:class:`~helpline.core.errors.CoreError` without changing anything if it does not fit, and
otherwise answers with the facts it caused and the commands the edges should carry out.
Each record's ``__init__`` is written out for the compiled core (see ``core.events``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import get_args

from helpline.core.config import Channel, SkillRequirement
from helpline.core.records import quick_init_all


@dataclass(frozen=True, slots=True)
class AgentLogin:
    agent: str

    def __init__(self, agent: str) -> None:
        self.agent = agent  # type: ignore[misc]


@dataclass(frozen=True, slots=True)
class AgentLogout:
    """Pending offers are cancelled; refused while the agent holds accepted work or wrap-up."""

    agent: str

    def __init__(self, agent: str) -> None:
        self.agent = agent  # type: ignore[misc]


@dataclass(frozen=True, slots=True)
class AgentPause:
    """Stop new offers (pending ones are cancelled and go back to their place); work in hand continues."""

    agent: str
    reason: str = "break"

    def __init__(self, agent: str, reason: str = "break") -> None:
        self.agent = agent  # type: ignore[misc]
        self.reason = reason  # type: ignore[misc]


@dataclass(frozen=True, slots=True)
class AgentReady:
    """End a pause."""

    agent: str

    def __init__(self, agent: str) -> None:
        self.agent = agent  # type: ignore[misc]


@dataclass(frozen=True, slots=True)
class InteractionArrived:
    interaction: str
    queue: str
    channel: Channel = Channel.VOICE
    priority: int = 0
    skills: tuple[SkillRequirement, ...] = ()  # on top of the queue's required skills
    preferred_agent: str | None = None
    attributes: Mapping[str, str] = field(default_factory=dict)
    customer: str | None = None  # caller number or identity: resume-on-redial key

    def __init__(
        self,
        interaction: str,
        queue: str,
        channel: Channel = Channel.VOICE,
        priority: int = 0,
        skills: tuple[SkillRequirement, ...] = (),
        preferred_agent: str | None = None,
        attributes: Mapping[str, str] | None = None,
        customer: str | None = None,
    ) -> None:
        self.interaction = interaction  # type: ignore[misc]
        self.queue = queue  # type: ignore[misc]
        self.channel = channel  # type: ignore[misc]
        self.priority = priority  # type: ignore[misc]
        self.skills = skills  # type: ignore[misc]
        self.preferred_agent = preferred_agent  # type: ignore[misc]
        self.attributes = {} if attributes is None else attributes  # type: ignore[misc]
        self.customer = customer  # type: ignore[misc]


@dataclass(frozen=True, slots=True)
class OfferAccepted:
    interaction: str
    agent: str

    def __init__(self, interaction: str, agent: str) -> None:
        self.interaction = interaction  # type: ignore[misc]
        self.agent = agent  # type: ignore[misc]


@dataclass(frozen=True, slots=True)
class OfferRejected:
    interaction: str
    agent: str

    def __init__(self, interaction: str, agent: str) -> None:
        self.interaction = interaction  # type: ignore[misc]
        self.agent = agent  # type: ignore[misc]


@dataclass(frozen=True, slots=True)
class InteractionHeld:
    interaction: str

    def __init__(self, interaction: str) -> None:
        self.interaction = interaction  # type: ignore[misc]


@dataclass(frozen=True, slots=True)
class InteractionResumed:
    interaction: str

    def __init__(self, interaction: str) -> None:
        self.interaction = interaction  # type: ignore[misc]


@dataclass(frozen=True, slots=True)
class InteractionTransferred:
    """To a queue (tail of that queue), to one agent, or to one agent within a queue."""

    interaction: str
    to_queue: str | None = None
    to_agent: str | None = None

    def __init__(self, interaction: str, to_queue: str | None = None, to_agent: str | None = None) -> None:
        self.interaction = interaction  # type: ignore[misc]
        self.to_queue = to_queue  # type: ignore[misc]
        self.to_agent = to_agent  # type: ignore[misc]


@dataclass(frozen=True, slots=True)
class InteractionEnded:
    interaction: str

    def __init__(self, interaction: str) -> None:
        self.interaction = interaction  # type: ignore[misc]


@dataclass(frozen=True, slots=True)
class WrapUpDone:
    interaction: str
    disposition: str | None = None
    notes: str = ""
    agent: str | None = None  # needed only if several agents are wrapping up the same interaction

    def __init__(
        self,
        interaction: str,
        disposition: str | None = None,
        notes: str = "",
        agent: str | None = None,
    ) -> None:
        self.interaction = interaction  # type: ignore[misc]
        self.disposition = disposition  # type: ignore[misc]
        self.notes = notes  # type: ignore[misc]
        self.agent = agent  # type: ignore[misc]


@dataclass(frozen=True, slots=True)
class InteractionAbandoned:
    interaction: str

    def __init__(self, interaction: str) -> None:
        self.interaction = interaction  # type: ignore[misc]


@dataclass(frozen=True, slots=True)
class CallbackRequested:
    interaction: str
    number: str

    def __init__(self, interaction: str, number: str) -> None:
        self.interaction = interaction  # type: ignore[misc]
        self.number = number  # type: ignore[misc]


Input = (
    AgentLogin
    | AgentLogout
    | AgentPause
    | AgentReady
    | InteractionArrived
    | OfferAccepted
    | OfferRejected
    | InteractionHeld
    | InteractionResumed
    | InteractionTransferred
    | InteractionEnded
    | WrapUpDone
    | InteractionAbandoned
    | CallbackRequested
)

quick_init_all(*get_args(Input))
