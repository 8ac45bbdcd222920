"""Instructions from the routing engine to the edges (telephony, chat, agent desktop).

Each record's ``__init__`` is written out for the compiled core (see ``core.events``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import get_args

from helpline.core.config import Channel
from helpline.core.records import quick_init_all


@dataclass(frozen=True, slots=True)
class OfferInteraction:
    """Ring (or pop) the interaction on these agents' desks until ``timeout_at``.

    Several agents only under ring-all: the first to accept wins, the others get CancelOffer.
    """

    interaction: str
    agents: tuple[str, ...]
    timeout_at: float
    channel: Channel
    queue: str
    customer: str | None = None
    attributes: Mapping[str, str] = field(default_factory=dict)

    def __init__(
        self,
        interaction: str,
        agents: tuple[str, ...],
        timeout_at: float,
        channel: Channel,
        queue: str,
        customer: str | None = None,
        attributes: Mapping[str, str] | None = None,
    ) -> None:
        self.interaction = interaction  # type: ignore[misc]
        self.agents = agents  # type: ignore[misc]
        self.timeout_at = timeout_at  # type: ignore[misc]
        self.channel = channel  # type: ignore[misc]
        self.queue = queue  # type: ignore[misc]
        self.customer = customer  # type: ignore[misc]
        self.attributes = {} if attributes is None else attributes  # type: ignore[misc]


@dataclass(frozen=True, slots=True)
class StartCallback:
    """Dial the agent first; when they answer (OfferAccepted), dial the customer's number."""

    interaction: str
    agent: str
    number: str
    timeout_at: float
    queue: str

    def __init__(self, interaction: str, agent: str, number: str, timeout_at: float, queue: str) -> None:
        self.interaction = interaction  # type: ignore[misc]
        self.agent = agent  # type: ignore[misc]
        self.number = number  # type: ignore[misc]
        self.timeout_at = timeout_at  # type: ignore[misc]
        self.queue = queue  # type: ignore[misc]


@dataclass(frozen=True, slots=True)
class CancelOffer:
    """Stop ringing this agent for this interaction."""

    interaction: str
    agent: str
    reason: str

    def __init__(self, interaction: str, agent: str, reason: str) -> None:
        self.interaction = interaction  # type: ignore[misc]
        self.agent = agent  # type: ignore[misc]
        self.reason = reason  # type: ignore[misc]


@dataclass(frozen=True, slots=True)
class NotifyAgentPaused:
    """Tell the agent's desktop they were paused (e.g. reason ``missed``)."""

    agent: str
    reason: str

    def __init__(self, agent: str, reason: str) -> None:
        self.agent = agent  # type: ignore[misc]
        self.reason = reason  # type: ignore[misc]


@dataclass(frozen=True, slots=True)
class AnnouncePosition:
    """Tell a waiting customer their place and estimated wait (None: no estimate)."""

    interaction: str
    position: int
    ewt_s: float | None

    def __init__(self, interaction: str, position: int, ewt_s: float | None) -> None:
        self.interaction = interaction  # type: ignore[misc]
        self.position = position  # type: ignore[misc]
        self.ewt_s = ewt_s  # type: ignore[misc]


@dataclass(frozen=True, slots=True)
class SendToOverflow:
    """The interaction waited ``max_wait_s``: take it to ``destination`` (a queue id or flow name)."""

    interaction: str
    destination: str | None

    def __init__(self, interaction: str, destination: str | None) -> None:
        self.interaction = interaction  # type: ignore[misc]
        self.destination = destination  # type: ignore[misc]


Command = OfferInteraction | StartCallback | CancelOffer | NotifyAgentPaused | AnnouncePosition | SendToOverflow

quick_init_all(*get_args(Command))
