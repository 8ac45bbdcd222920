"""Facts about agents' presence and wallboard state (re-exported by ``core.events``).

The same kind of record as the interaction facts in ``core.events``; kept apart only so each
module stays readable.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

from helpline.core.agent import AgentState
from helpline.core.records import quick_init_all


class _AgentLoggedInKind:
    __slots__ = ()
    KIND: ClassVar[str] = "agent.logged_in"


@dataclasses.dataclass(frozen=True, slots=True)
class AgentLoggedIn(_AgentLoggedInKind):
    at: float
    agent: str

    def __init__(self, at: float, agent: str) -> None:
        self.at = at  # type: ignore[misc]
        self.agent = agent  # type: ignore[misc]


class _AgentLoggedOutKind:
    __slots__ = ()
    KIND: ClassVar[str] = "agent.logged_out"


@dataclasses.dataclass(frozen=True, slots=True)
class AgentLoggedOut(_AgentLoggedOutKind):
    at: float
    agent: str

    def __init__(self, at: float, agent: str) -> None:
        self.at = at  # type: ignore[misc]
        self.agent = agent  # type: ignore[misc]


class _AgentPausedKind:
    __slots__ = ()
    KIND: ClassVar[str] = "agent.paused"


@dataclasses.dataclass(frozen=True, slots=True)
class AgentPaused(_AgentPausedKind):
    at: float
    agent: str
    reason: str

    def __init__(self, at: float, agent: str, reason: str) -> None:
        self.at = at  # type: ignore[misc]
        self.agent = agent  # type: ignore[misc]
        self.reason = reason  # type: ignore[misc]


class _AgentUnpausedKind:
    __slots__ = ()
    KIND: ClassVar[str] = "agent.unpaused"


@dataclasses.dataclass(frozen=True, slots=True)
class AgentUnpaused(_AgentUnpausedKind):
    at: float
    agent: str

    def __init__(self, at: float, agent: str) -> None:
        self.at = at  # type: ignore[misc]
        self.agent = agent  # type: ignore[misc]


class _AgentStateChangedKind:
    __slots__ = ()
    KIND: ClassVar[str] = "agent.state_changed"


@dataclasses.dataclass(frozen=True, slots=True)
class AgentStateChanged(_AgentStateChangedKind):
    """The agent's wallboard state changed; ``reason`` names what caused it."""

    at: float
    agent: str
    state: AgentState
    previous: AgentState
    reason: str

    def __init__(self, at: float, agent: str, state: AgentState, previous: AgentState, reason: str) -> None:
        self.at = at  # type: ignore[misc]
        self.agent = agent  # type: ignore[misc]
        self.state = state  # type: ignore[misc]
        self.previous = previous  # type: ignore[misc]
        self.reason = reason  # type: ignore[misc]


quick_init_all(AgentLoggedIn, AgentLoggedOut, AgentPaused, AgentUnpaused, AgentStateChanged)
