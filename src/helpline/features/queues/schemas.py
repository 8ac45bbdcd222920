"""The queue as written in YAML or sent to the API, and its conversion to the core's QueueConfig."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, Field, model_validator

from helpline.core.config import (
    Channel,
    OpenHours,
    QueueConfig,
    SkillRequirement,
    StepAction,
    Strategy,
    WorkflowStep,
)
from helpline.features.config.fields import (
    STRICT,
    Clock,
    Identifier,
    Proficiency,
    Seconds,
    Weekdays,
    format_clock,
    format_weekdays,
)


def _share(value: float) -> float:
    if 1 < value <= 100:
        raise ValueError(
            f"must be a share between 0 and 1 (got {value:g}; write {value / 100:g} for {value:g} %)"
        )
    if not 0 < value <= 1:
        raise ValueError(f"must be a share between 0 and 1 (got {value:g})")
    return value


def _timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r} (use a name such as Europe/Berlin)") from None
    return value


class StepDoc(BaseModel):
    """One workflow step: after ``after_s`` seconds of waiting, widen, overflow or raise priority."""

    model_config = STRICT

    after_s: Seconds
    action: StepAction
    skill: Identifier | None = None
    min_proficiency: Proficiency | None = None
    queue: Identifier | None = None
    group: Identifier | None = None
    priority: int = 0

    @model_validator(mode="after")
    def _needs(self) -> StepDoc:
        needed = {
            StepAction.DROP_SKILL: "skill",
            StepAction.LOWER_PROFICIENCY: "min_proficiency",
            StepAction.ADD_QUEUE: "queue",
            StepAction.ADD_GROUP: "group",
        }.get(self.action)
        if needed is not None and getattr(self, needed) is None:
            article = "an" if self.action.value[0] in "aeiou" else "a"
            raise ValueError(f"{article} {self.action.value} step needs {needed}")
        if self.action is StepAction.RAISE_PRIORITY and self.priority == 0:
            raise ValueError("a raise-priority step needs a priority other than 0")
        return self

    def to_config(self) -> WorkflowStep:
        return WorkflowStep(
            after_s=self.after_s,
            action=self.action,
            skill=self.skill,
            min_proficiency=self.min_proficiency,
            queue=self.queue,
            group=self.group,
            priority=self.priority,
        )


class HoursDoc(BaseModel):
    """Open from ``opens`` to ``closes`` on ``weekdays`` (``mon-fri``, ``[sat]``, ``[1, 2]``)."""

    model_config = STRICT

    weekdays: Weekdays
    opens: Clock
    closes: Clock

    @model_validator(mode="after")
    def _order(self) -> HoursDoc:
        if self.closes <= self.opens:
            raise ValueError(
                f"closes ({format_clock(self.closes)}) must be after opens ({format_clock(self.opens)})"
            )
        return self

    def to_config(self) -> OpenHours:
        return OpenHours(weekdays=self.weekdays, opens=self.opens, closes=self.closes)


class QueueDoc(BaseModel):
    model_config = STRICT

    id: Identifier
    name: str = ""
    priority: int = 0
    weight: Annotated[float, Field(gt=0, allow_inf_nan=False)] = 1.0
    strategy: Strategy = Strategy.LONGEST_IDLE
    channels: Annotated[tuple[Channel, ...], Field(min_length=1)] = (Channel.VOICE,)
    required_skills: dict[Identifier, Proficiency] = {}  # skill -> minimum proficiency
    sl_target: Annotated[float, AfterValidator(_share)] = 0.8
    sl_threshold_s: Seconds = 20.0
    max_wait_s: Annotated[float, Field(gt=0, allow_inf_nan=False)] | None = None
    overflow_destination: Identifier | None = None
    steps: tuple[StepDoc, ...] = ()
    wrap_up_s: Seconds = 0.0
    offer_timeout_s: Seconds = 20.0
    max_consecutive_misses: Annotated[int, Field(ge=1)] = 3
    resume_window_s: Seconds = 60.0
    preferred_agent_wait_s: Seconds = 0.0
    aht_prior_s: Annotated[float, Field(gt=0, allow_inf_nan=False)] = 180.0
    timezone: Annotated[str, AfterValidator(_timezone)] = "UTC"
    hours: tuple[HoursDoc, ...] = ()
    holidays: tuple[date, ...] = ()

    def to_config(self) -> QueueConfig:
        return QueueConfig(
            id=self.id,
            name=self.name,
            priority=self.priority,
            weight=self.weight,
            strategy=self.strategy,
            channels=self.channels,
            required_skills=tuple(SkillRequirement(s, p) for s, p in self.required_skills.items()),
            sl_target=self.sl_target,
            sl_threshold_s=self.sl_threshold_s,
            max_wait_s=self.max_wait_s,
            overflow_destination=self.overflow_destination,
            steps=tuple(s.to_config() for s in self.steps),
            wrap_up_s=self.wrap_up_s,
            offer_timeout_s=self.offer_timeout_s,
            max_consecutive_misses=self.max_consecutive_misses,
            resume_window_s=self.resume_window_s,
            preferred_agent_wait_s=self.preferred_agent_wait_s,
            aht_prior_s=self.aht_prior_s,
            timezone=self.timezone,
            hours=tuple(h.to_config() for h in self.hours),
            holidays=self.holidays,
        )


def step_to_doc(step: WorkflowStep) -> dict[str, Any]:
    doc: dict[str, Any] = {"after_s": step.after_s, "action": step.action.value}
    for name in ("skill", "min_proficiency", "queue", "group"):
        if getattr(step, name) is not None:
            doc[name] = getattr(step, name)
    if step.priority:
        doc["priority"] = step.priority
    return doc


def hours_to_doc(hours: OpenHours) -> dict[str, Any]:
    return {
        "weekdays": format_weekdays(hours.weekdays),
        "opens": format_clock(hours.opens),
        "closes": format_clock(hours.closes),
    }


def queue_to_doc(queue: QueueConfig) -> dict[str, Any]:
    """The queue as plain JSON-able data, in the YAML file's shape (``QueueDoc`` reads it back)."""
    return {
        "id": queue.id,
        "name": queue.name,
        "priority": queue.priority,
        "weight": queue.weight,
        "strategy": queue.strategy.value,
        "channels": [c.value for c in queue.channels],
        "required_skills": {r.skill: r.min_proficiency for r in queue.required_skills},
        "sl_target": queue.sl_target,
        "sl_threshold_s": queue.sl_threshold_s,
        "max_wait_s": queue.max_wait_s,
        "overflow_destination": queue.overflow_destination,
        "steps": [step_to_doc(s) for s in queue.steps],
        "wrap_up_s": queue.wrap_up_s,
        "offer_timeout_s": queue.offer_timeout_s,
        "max_consecutive_misses": queue.max_consecutive_misses,
        "resume_window_s": queue.resume_window_s,
        "preferred_agent_wait_s": queue.preferred_agent_wait_s,
        "aht_prior_s": queue.aht_prior_s,
        "timezone": queue.timezone,
        "hours": [hours_to_doc(h) for h in queue.hours],
        "holidays": [d.isoformat() for d in queue.holidays],
    }


__all__ = ["HoursDoc", "QueueDoc", "StepDoc", "hours_to_doc", "queue_to_doc", "step_to_doc"]
