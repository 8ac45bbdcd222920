"""A tenant's routing configuration as the pure core sees it.

These frozen dataclasses are the contract between the configuration store (YAML and the
database, in ``features/``), the routing engine (``core/routing``) and the simulator
(``sim/``). They carry no I/O and no validation against a file: the loader in
``features/config`` checks the YAML (naming file, line and field) and builds these; the core
trusts them.

Times are seconds. Proficiency is 1–5. Identifiers are the tenant's own strings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, time
from enum import StrEnum


class Channel(StrEnum):
    """The kinds of interaction the ACD routes; an agent has a capacity per channel."""

    VOICE = "voice"
    CHAT = "chat"
    EMAIL = "email"
    SMS = "sms"
    CALLBACK = "callback"
    VOICEMAIL = "voicemail"


class Strategy(StrEnum):
    """How a queue picks among the agents who can take an interaction."""

    LONGEST_IDLE = "longest-idle"
    ROUND_ROBIN = "round-robin"
    FEWEST_HANDLED = "fewest-handled"
    LINEAR = "linear"
    RANDOM = "random"
    RING_ALL = "ring-all"
    HIGHEST_PROFICIENCY = "highest-proficiency"


class StepAction(StrEnum):
    """What a workflow step does once an interaction has waited ``after_s`` seconds."""

    DROP_SKILL = "drop-skill"  # remove one required skill (widen)
    LOWER_PROFICIENCY = "lower-proficiency"  # lower the minimum proficiency of a skill (or all)
    ADD_QUEUE = "add-queue"  # agents of another queue may also take it (overflow)
    ADD_GROUP = "add-group"  # agents of a named group may also take it
    RAISE_PRIORITY = "raise-priority"  # add ``priority`` to the interaction's priority


@dataclass(frozen=True, slots=True)
class SkillRequirement:
    skill: str
    min_proficiency: int = 1


@dataclass(frozen=True, slots=True)
class WorkflowStep:
    """One step of a queue's workflow (TaskRouter workflow, Asterisk queuerule, bullseye ring)."""

    after_s: float
    action: StepAction
    skill: str | None = None  # DROP_SKILL, LOWER_PROFICIENCY (None = every skill)
    min_proficiency: int | None = None  # LOWER_PROFICIENCY
    queue: str | None = None  # ADD_QUEUE
    group: str | None = None  # ADD_GROUP
    priority: int = 0  # RAISE_PRIORITY: added to the interaction's priority


@dataclass(frozen=True, slots=True)
class OpenHours:
    """Open from ``opens`` to ``closes`` (local time) on the given ISO weekdays (1 = Monday)."""

    weekdays: tuple[int, ...]
    opens: time
    closes: time


@dataclass(frozen=True, slots=True)
class QueueConfig:
    id: str
    name: str = ""
    priority: int = 0  # added to every interaction's priority in this queue
    weight: float = 1.0  # multiplies waiting time in cross-queue fairness
    strategy: Strategy = Strategy.LONGEST_IDLE
    channels: tuple[Channel, ...] = (Channel.VOICE,)
    required_skills: tuple[SkillRequirement, ...] = ()
    sl_target: float = 0.8  # share answered within sl_threshold_s
    sl_threshold_s: float = 20.0
    max_wait_s: float | None = None  # then the interaction leaves toward overflow_destination
    overflow_destination: str | None = None  # a queue id or a flow name, used by the edges
    steps: tuple[WorkflowStep, ...] = ()
    wrap_up_s: float = 0.0
    offer_timeout_s: float = 20.0  # ring-no-answer
    max_consecutive_misses: int = 3  # then the agent is paused with reason "missed"
    resume_window_s: float = 60.0  # a caller who abandoned and calls again keeps their place
    preferred_agent_wait_s: float = 0.0  # only the preferred agent may take it for this long
    aht_prior_s: float = 180.0  # handle time assumed for wait estimates before any is measured
    timezone: str = "UTC"
    hours: tuple[OpenHours, ...] = ()  # empty = always open
    holidays: tuple[date, ...] = ()


@dataclass(frozen=True, slots=True)
class AgentConfig:
    id: str
    name: str = ""
    skills: Mapping[str, int] = field(default_factory=dict)  # skill -> proficiency 1..5
    queues: tuple[str, ...] = ()  # queues the agent serves, in the agent's order of preference
    groups: tuple[str, ...] = ()
    capacity: Mapping[Channel, int] = field(default_factory=lambda: {Channel.VOICE: 1})
    total_capacity: int = 1
    linear_rank: int = 0  # position in LINEAR strategy (lower first)


@dataclass(frozen=True, slots=True)
class TenantConfig:
    id: str
    name: str = ""
    skills: tuple[str, ...] = ()
    queues: tuple[QueueConfig, ...] = ()
    agents: tuple[AgentConfig, ...] = ()
    dispositions: tuple[str, ...] = ()
    pause_reasons: tuple[str, ...] = ("break", "lunch", "training", "missed")
    short_abandon_s: float = 5.0

    def queue(self, queue_id: str) -> QueueConfig:
        for q in self.queues:
            if q.id == queue_id:
                return q
        raise KeyError(queue_id)

    def agent(self, agent_id: str) -> AgentConfig:
        for a in self.agents:
            if a.id == agent_id:
                return a
        raise KeyError(agent_id)
