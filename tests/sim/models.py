"""Small simulation models shared by the simulator tests."""

from __future__ import annotations

import math

from helpline.core.config import (
    AgentConfig,
    QueueConfig,
    SkillRequirement,
    StepAction,
    TenantConfig,
    WorkflowStep,
)
from helpline.sim.distributions import NEVER, Distribution, Exponential
from helpline.sim.model import QueueLoad, Schedule, SimModel


def single_queue(agents: int, **queue: object) -> TenantConfig:
    return TenantConfig(
        "t",
        queues=(QueueConfig("q", **queue),),  # type: ignore[arg-type]
        agents=tuple(AgentConfig(f"a{k:03d}", queues=("q",)) for k in range(agents)),
    )


def mmn_model(
    agents: int,
    rate_per_s: float,
    aht_s: float,
    patience_s: float,
    *,
    intervals: int,
    interval_s: float,
    ring: Distribution | None = None,
    schedule: Schedule | None = None,
) -> SimModel:
    config = single_queue(agents)
    patience = NEVER if math.isinf(patience_s) else Exponential(patience_s)
    load = QueueLoad((rate_per_s,) * intervals, Exponential(aht_s), patience)
    return SimModel(config, interval_s, {"q": load}, schedule=schedule, ring_delay=ring)


def two_skill(overflow_after_s: float | None) -> TenantConfig:
    """Spanish callers to 2 Spanish agents (overloaded); English to 4 agents (light load).

    English agents can serve the Spanish queue's callers only once its overflow step adds the
    English queue (they are bilingual enough: the step also lowers the Spanish requirement).
    """
    steps: tuple[WorkflowStep, ...] = ()
    if overflow_after_s is not None:
        steps = (
            WorkflowStep(overflow_after_s, StepAction.LOWER_PROFICIENCY, skill="spanish", min_proficiency=1),
            WorkflowStep(overflow_after_s, StepAction.ADD_QUEUE, queue="en"),
        )
    es = QueueConfig("es", required_skills=(SkillRequirement("spanish", 3),), steps=steps)
    en = QueueConfig("en", required_skills=(SkillRequirement("english", 1),))
    agents = [AgentConfig(f"es{k}", skills={"spanish": 5}, queues=("es",)) for k in range(2)]
    agents += [AgentConfig(f"en{k}", skills={"english": 4, "spanish": 1}, queues=("en",)) for k in range(4)]
    return TenantConfig("t", skills=("spanish", "english"), queues=(es, en), agents=tuple(agents))
