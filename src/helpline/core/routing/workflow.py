"""Queue workflow steps: how an interaction's requirement widens while it waits.

A queue's steps are applied in order of ``after_s`` (seconds since the interaction entered the
queue), each once. Like TaskRouter workflow targets, Asterisk ``penaltychange`` rules and
bullseye rings, a step only ever *widens* who may take the interaction (drop a skill, lower a
minimum proficiency, add an overflow queue's or a group's agents) or raises its priority; the
interaction keeps its place in line throughout.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from helpline.core.config import StepAction, WorkflowStep


def ordered_steps(steps: Sequence[WorkflowStep]) -> tuple[WorkflowStep, ...]:
    return tuple(sorted(steps, key=lambda s: s.after_s))


def apply_step(
    step: WorkflowStep,
    skills: Mapping[str, int],
    queues: Sequence[str],
    groups: Sequence[str],
    priority: int,
) -> tuple[dict[str, int], tuple[str, ...], tuple[str, ...], int]:
    """The requirement, eligible queues and groups, and priority after ``step``."""
    new_skills = dict(skills)
    new_queues = tuple(queues)
    new_groups = tuple(groups)
    action = step.action
    if action is StepAction.DROP_SKILL:
        if step.skill is None:
            new_skills.clear()
        else:
            new_skills.pop(step.skill, None)
    elif action is StepAction.LOWER_PROFICIENCY:
        floor = step.min_proficiency if step.min_proficiency is not None else 1
        for skill in [step.skill] if step.skill is not None else list(new_skills):
            if skill in new_skills:
                new_skills[skill] = min(new_skills[skill], floor)
    elif action is StepAction.ADD_QUEUE:
        if step.queue is not None and step.queue not in new_queues:
            new_queues = (*new_queues, step.queue)
    elif action is StepAction.ADD_GROUP:
        if step.group is not None and step.group not in new_groups:
            new_groups = (*new_groups, step.group)
    elif action is StepAction.RAISE_PRIORITY:
        priority += step.priority
    return new_skills, new_queues, new_groups, priority
