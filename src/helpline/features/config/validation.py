"""Checks across a tenant's configuration: references, duplicates, and queues nobody can serve.

Field-level rules (ranges, types, required fields) live in the schemas (``QueueDoc``,
``AgentDoc``, ``TenantDoc``); the checks here need the whole tenant. They are pure, so the YAML
loader and the services that change one queue or agent share them.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field

from helpline.core.config import AgentConfig, QueueConfig, StepAction, TenantConfig
from helpline.features.config.problems import Path, Problem

MISSED = "missed"  # the pause reason the core gives an agent after too many missed offers


@dataclass(frozen=True, slots=True)
class KnownIds:
    """Ids of entities that exist but failed their own checks: references to them are not errors."""

    skills: frozenset[str] = field(default_factory=frozenset)
    queues: frozenset[str] = field(default_factory=frozenset)
    any_skill: bool = False  # the list of skills itself was unreadable: take every name on trust
    any_queue: bool = False  # a queue without a readable id exists


def check_tenant_config(
    config: TenantConfig, *, require_servable: bool = True, known: KnownIds | None = None
) -> list[Problem]:
    """Everything wrong with ``config`` as a whole; empty when it can be used.

    ``require_servable`` also refuses a queue no agent can take (and a step naming a group with
    no agent). Loading a whole file asks for it; a change to one entity does not, since a new
    queue is created before the agents who will serve it.
    """
    known = known or KnownIds()
    skills = _Names(set(config.skills) | known.skills, trust=known.any_skill)
    queues = _Names({q.id for q in config.queues} | known.queues, trust=known.any_queue)
    groups = {g for a in config.agents for g in a.groups}
    problems: list[Problem] = []
    problems += _duplicates("skills", config.skills, "skill")
    problems += _duplicates("queues", (q.id for q in config.queues), "queue")
    problems += _duplicates("agents", (a.id for a in config.agents), "agent")
    problems += _duplicates("dispositions", config.dispositions, "disposition")
    problems += _duplicates("pause_reasons", config.pause_reasons, "pause reason")
    if MISSED not in config.pause_reasons:
        problems.append(
            Problem(
                ("pause_reasons",),
                f"must include {MISSED!r}: agents who miss max_consecutive_misses offers are paused with it",
            )
        )
    for i, queue in enumerate(config.queues):
        problems += _check_queue(("queues", i), queue, skills, queues, groups if require_servable else None)
        if require_servable and (why := _why_unservable(queue, config.agents)):
            problems.append(Problem(("queues", i), f"no agent can take queue {queue.id!r}: {why}"))
    for i, agent in enumerate(config.agents):
        problems += _check_agent(("agents", i), agent, skills, queues)
    return problems


class _Names(set[str]):
    """Known ids; with ``trust``, every name counts as known (its list could not be read)."""

    def __init__(self, names: set[str], *, trust: bool) -> None:
        super().__init__(names)
        self.trust = trust

    def __contains__(self, name: object) -> bool:
        return self.trust or super().__contains__(name)


def _duplicates(section: str, ids: Iterable[str], what: str) -> list[Problem]:
    seen: set[str] = set()
    problems = []
    for i, ident in enumerate(ids):
        if ident in seen:
            problems.append(Problem((section, i), f"duplicate {what} id {ident!r}"))
        seen.add(ident)
    return problems


def _check_queue(
    path: Path, queue: QueueConfig, skills: set[str], queues: set[str], groups: set[str] | None
) -> list[Problem]:
    problems = []
    required = {r.skill for r in queue.required_skills}
    for req in queue.required_skills:
        if req.skill not in skills:
            problems.append(
                Problem(path + ("required_skills", req.skill), _unknown("skill", req.skill, skills))
            )
    previous = 0.0
    for j, step in enumerate(queue.steps):
        at = path + ("steps", j)
        if step.after_s < previous:
            problems.append(
                Problem(
                    at + ("after_s",), f"steps go in order of after_s ({step.after_s:g} after {previous:g})"
                )
            )
        previous = max(previous, step.after_s)
        if step.skill is not None:
            if step.skill not in skills:
                problems.append(Problem(at + ("skill",), _unknown("skill", step.skill, skills)))
            elif (
                step.action in (StepAction.DROP_SKILL, StepAction.LOWER_PROFICIENCY)
                and step.skill not in required
            ):
                problems.append(Problem(at + ("skill",), f"the queue does not require skill {step.skill!r}"))
        if step.queue is not None:
            if step.queue == queue.id:
                problems.append(Problem(at + ("queue",), "a queue cannot overflow to itself"))
            elif step.queue not in queues:
                problems.append(Problem(at + ("queue",), _unknown("queue", step.queue, queues)))
        if groups is not None and step.group is not None and step.group not in groups:
            problems.append(Problem(at + ("group",), f"no agent is in group {step.group!r}"))
    return problems


def _check_agent(path: Path, agent: AgentConfig, skills: set[str], queues: set[str]) -> list[Problem]:
    problems = []
    for skill in agent.skills:
        if skill not in skills:
            problems.append(Problem(path + ("skills", skill), _unknown("skill", skill, skills)))
    seen: set[str] = set()
    for k, queue in enumerate(agent.queues):
        if queue not in queues:
            problems.append(Problem(path + ("queues", k), _unknown("queue", queue, queues)))
        elif queue in seen:
            problems.append(Problem(path + ("queues", k), f"serves queue {queue!r} twice"))
        seen.add(queue)
    return problems


def _why_unservable(queue: QueueConfig, agents: Iterable[AgentConfig]) -> str | None:
    serving = [a for a in agents if queue.id in a.queues]
    if not serving:
        return "no agent serves it"
    skilled = [
        a
        for a in serving
        if all(a.skills.get(r.skill, 0) >= r.min_proficiency for r in queue.required_skills)
    ]
    if not skilled:
        need = ", ".join(f"{r.skill} ≥ {r.min_proficiency}" for r in queue.required_skills)
        return f"none of the agents serving it has the required skills ({need})"
    if not any(a.capacity.get(c, 0) > 0 for a in skilled for c in queue.channels):
        channels = ", ".join(c.value for c in queue.channels)
        return f"none of the skilled agents serving it has capacity for {channels}"
    return None


def _unknown(what: str, ident: str, known: set[str]) -> str:

    close = difflib.get_close_matches(ident, sorted(known), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    if not known:
        return f"unknown {what} {ident!r}: the tenant declares no {what}s"
    return f"unknown {what} {ident!r}{hint}"
