"""Agents: check, create or change, and remove an agent of a tenant."""

from __future__ import annotations

import dataclasses

from helpline.core.config import AgentConfig
from helpline.features.agents.schemas import AgentDoc, agent_to_doc
from helpline.features.config.loader import validate_partially
from helpline.features.config.problems import ConfigError, NotFoundError, Problem
from helpline.features.config.service import do_apply_tenant_config, load_tenant_config
from helpline.storage.unit_of_work import UnitOfWork


def check_agent(agent: AgentConfig) -> list[Problem]:
    """The agent's own fields against the same rules as the YAML file (proficiency, capacity)."""
    _, problems, _ = validate_partially(AgentDoc, agent_to_doc(agent), ("agents", agent.id))
    return problems


async def do_upsert_agent(
    uow: UnitOfWork, *, tenant_id: str, agent: AgentConfig, at: float | None = None
) -> None:
    """Create ``agent`` (last in order) or replace the one with its id; logs ``config.changed``."""
    problems = check_agent(agent)
    if problems:
        raise ConfigError.from_problems(problems)
    current = await load_tenant_config(uow, tenant_id, lock=True)
    if agent.id in {a.id for a in current.agents}:
        new_agents = tuple(agent if a.id == agent.id else a for a in current.agents)
    else:
        new_agents = (*current.agents, agent)
    config = dataclasses.replace(current, agents=new_agents)
    await do_apply_tenant_config(uow, config=config, require_servable=False, at=at)


async def do_remove_agent(uow: UnitOfWork, *, tenant_id: str, agent_id: str, at: float | None = None) -> None:
    """Remove an agent from the tenant's configuration; logs ``config.changed``."""
    current = await load_tenant_config(uow, tenant_id, lock=True)
    if agent_id not in {a.id for a in current.agents}:
        raise NotFoundError(f"tenant {tenant_id!r} has no agent {agent_id!r}")
    config = dataclasses.replace(current, agents=tuple(a for a in current.agents if a.id != agent_id))
    await do_apply_tenant_config(uow, config=config, require_servable=False, at=at)
