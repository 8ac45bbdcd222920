"""The agent as written in YAML or sent to the API, and its conversion to the core's AgentConfig."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field

from helpline.core.config import AgentConfig, Channel
from helpline.features.config.fields import STRICT, Count, Identifier, Proficiency


class AgentDoc(BaseModel):
    model_config = STRICT

    id: Identifier
    name: str = ""
    skills: dict[Identifier, Proficiency] = {}  # skill -> proficiency 1..5
    queues: tuple[Identifier, ...] = ()  # in the agent's order of preference
    groups: tuple[Identifier, ...] = ()
    capacity: dict[Channel, Count] = {Channel.VOICE: 1}  # simultaneous interactions per channel
    # How many at once across channels; by default the largest per-channel capacity.
    total_capacity: Annotated[int, Field(ge=1)] | None = None
    linear_rank: int = 0

    def to_config(self) -> AgentConfig:
        total = self.total_capacity
        if total is None:
            total = max([*self.capacity.values(), 1])
        return AgentConfig(
            id=self.id,
            name=self.name,
            skills=dict(self.skills),
            queues=self.queues,
            groups=self.groups,
            capacity=dict(self.capacity),
            total_capacity=total,
            linear_rank=self.linear_rank,
        )


def agent_to_doc(agent: AgentConfig) -> dict[str, Any]:
    """The agent as plain JSON-able data, in the YAML file's shape (``AgentDoc`` reads it back)."""
    return {
        "id": agent.id,
        "name": agent.name,
        "skills": dict(agent.skills),
        "queues": list(agent.queues),
        "groups": list(agent.groups),
        "capacity": {Channel(c).value: n for c, n in agent.capacity.items()},
        "total_capacity": agent.total_capacity,
        "linear_rank": agent.linear_rank,
    }
