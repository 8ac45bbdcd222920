"""Skills: add a skill to a tenant, or remove one nothing uses."""

from __future__ import annotations

import dataclasses

from pydantic import TypeAdapter, ValidationError

from helpline.features.config.fields import Identifier
from helpline.features.config.loader import describe
from helpline.features.config.problems import ConfigError, NotFoundError, Problem
from helpline.features.config.service import do_apply_tenant_config, load_tenant_config
from helpline.storage.unit_of_work import UnitOfWork

_IDENTIFIER: TypeAdapter[str] = TypeAdapter(Identifier)


def check_skill_id(skill_id: str) -> list[Problem]:
    """Whether ``skill_id`` is a valid identifier."""
    try:
        _IDENTIFIER.validate_python(skill_id)
    except ValidationError as exc:
        return [Problem(("skills",), describe(e)) for e in exc.errors()]
    return []


async def do_add_skill(uow: UnitOfWork, *, tenant_id: str, skill_id: str, at: float | None = None) -> None:
    """Add a skill (last in order); adding one that exists changes nothing."""
    problems = check_skill_id(skill_id)
    if problems:
        raise ConfigError.from_problems(problems)
    current = await load_tenant_config(uow, tenant_id, lock=True)
    if skill_id in current.skills:
        return
    config = dataclasses.replace(current, skills=(*current.skills, skill_id))
    await do_apply_tenant_config(uow, config=config, require_servable=False, at=at)


async def do_remove_skill(uow: UnitOfWork, *, tenant_id: str, skill_id: str, at: float | None = None) -> None:
    """Remove a skill that no queue requires and no agent has."""
    current = await load_tenant_config(uow, tenant_id, lock=True)
    if skill_id not in current.skills:
        raise NotFoundError(f"tenant {tenant_id!r} has no skill {skill_id!r}")
    users = [f"agent {a.id}" for a in current.agents if skill_id in a.skills]
    users += [
        f"queue {q.id}"
        for q in current.queues
        if any(r.skill == skill_id for r in q.required_skills) or any(s.skill == skill_id for s in q.steps)
    ]
    if users:
        raise ConfigError.from_problems([Problem(("skills", skill_id), f"still used by {', '.join(users)}")])
    config = dataclasses.replace(current, skills=tuple(s for s in current.skills if s != skill_id))
    await do_apply_tenant_config(uow, config=config, require_servable=False, at=at)
