"""A tenant's whole configuration: load a file into the store, read it back, apply a new one.

Applying a configuration compares it with what is stored and writes only the differences, each
with a ``config.changed`` event in the same transaction; loading the same file twice changes
nothing and logs nothing. A file with any problem is refused before anything is written.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path as FilePath
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from helpline.core.config import AgentConfig, QueueConfig, TenantConfig
from helpline.features.agents import repository as agents
from helpline.features.agents.schemas import agent_to_doc
from helpline.features.config.changes import Change, record_changes
from helpline.features.config.loader import ConfigDocument, load_config_file
from helpline.features.config.problems import ConfigError, NotFoundError, Problem
from helpline.features.config.validation import check_tenant_config
from helpline.features.queues import repository as queues
from helpline.features.queues.schemas import queue_to_doc
from helpline.features.skills import repository as skills
from helpline.features.tenants import repository as tenants
from helpline.features.tenants.schemas import tenant_to_doc
from helpline.storage.unit_of_work import UnitOfWork

Database = AsyncSession | AsyncEngine | UnitOfWork
_Entity = TypeVar("_Entity", QueueConfig, AgentConfig)


async def do_load_config_file(engine: AsyncEngine, *, path: str | FilePath) -> ConfigDocument:
    """Check a configuration file and store every tenant in it, in one transaction.

    Raises ``ConfigError`` (naming file, line and field of every problem) and writes nothing
    when the file has any problem.
    """
    document = load_config_file(path)
    async with UnitOfWork(engine) as uow:
        for config in document.tenants:
            await do_apply_tenant_config(uow, config=config)
    return document


async def load_tenant_config(db: Database, tenant_id: str, *, lock: bool = False) -> TenantConfig:
    """The tenant's configuration as the core uses it; raises ``NotFoundError``.

    With ``lock`` (inside a unit of work), other changes to the tenant's configuration wait
    until this transaction ends, so a change is always checked against the latest state.
    """
    if isinstance(db, AsyncEngine):
        async with AsyncSession(db) as session:
            return await _load(session, tenant_id, lock=False)
    return await _load(db.session if isinstance(db, UnitOfWork) else db, tenant_id, lock=lock)


async def find_tenant_config(db: Database, tenant_id: str, *, lock: bool = False) -> TenantConfig | None:
    """Like ``load_tenant_config``, but None for a tenant that does not exist."""
    try:
        return await load_tenant_config(db, tenant_id, lock=lock)
    except NotFoundError:
        return None


async def list_tenants(db: Database) -> list[str]:
    """The ids of every configured tenant."""
    if isinstance(db, AsyncEngine):
        async with AsyncSession(db) as session:
            return await tenants.list_tenant_ids(session)
    return await tenants.list_tenant_ids(db.session if isinstance(db, UnitOfWork) else db)


async def _load(session: AsyncSession, tenant_id: str, *, lock: bool) -> TenantConfig:
    tenant = await tenants.get_tenant(session, tenant_id, lock=lock)
    if tenant is None:
        raise NotFoundError(f"no tenant {tenant_id!r}")
    return TenantConfig(
        id=tenant.id,
        name=tenant.name,
        skills=tuple(await skills.list_skills(session, tenant_id)),
        queues=tuple(await queues.list_queues(session, tenant_id)),
        agents=tuple(await agents.list_agents(session, tenant_id)),
        dispositions=tuple(await tenants.list_dispositions(session, tenant_id)),
        pause_reasons=tuple(await tenants.list_pause_reasons(session, tenant_id)),
        short_abandon_s=tenant.short_abandon_s,
    )


async def do_apply_tenant_config(
    uow: UnitOfWork, *, config: TenantConfig, require_servable: bool = True, at: float | None = None
) -> list[Change]:
    """Make the stored configuration of ``config.id`` equal to ``config``; returns the changes.

    Raises ``ConfigError`` when ``config`` does not pass ``check_tenant_config``.
    """
    problems = check_tenant_config(config, require_servable=require_servable)
    if problems:
        raise ConfigError.from_problems(named(problems, config))
    session, tenant_id = uow.session, config.id
    current = await find_tenant_config(uow, tenant_id, lock=True)
    old = current or TenantConfig(tenant_id, pause_reasons=())
    changes: list[Change] = []

    if current is None or tenant_to_doc(current) != tenant_to_doc(config):
        await tenants.save_tenant(
            session, tenant_id, name=config.name, short_abandon_s=config.short_abandon_s
        )
        changes.append(
            Change(
                "tenant",
                tenant_id,
                None if current is None else tenant_to_doc(current),
                tenant_to_doc(config),
            )
        )

    if old.skills != config.skills:
        await skills.save_skills(session, tenant_id, config.skills)
    changes += _list_changes("skill", old.skills, config.skills)

    queues_added, queues_updated, queue_changes = _diff("queue", old.queues, config.queues, queue_to_doc)
    for i, queue in queues_updated:
        await queues.update_queue(session, tenant_id, queue, i)
    await queues.insert_queues(session, tenant_id, queues_added)
    changes += queue_changes

    agents_added, agents_updated, agent_changes = _diff("agent", old.agents, config.agents, agent_to_doc)
    for i, agent in agents_updated:
        await agents.update_agent(session, tenant_id, agent, i)
    await agents.insert_agents(session, tenant_id, agents_added)
    changes += agent_changes

    # Removals last, once nothing refers to what goes.
    new_agents = {a.id for a in config.agents}
    for agent in old.agents:
        if agent.id not in new_agents:
            await agents.delete_agent(session, tenant_id, agent.id)
            changes.append(Change("agent", agent.id, agent_to_doc(agent), None))
    new_queues = {q.id for q in config.queues}
    for queue in old.queues:
        if queue.id not in new_queues:
            await queues.delete_queue(session, tenant_id, queue.id)
            changes.append(Change("queue", queue.id, queue_to_doc(queue), None))
    await skills.remove_skills(session, tenant_id, [s for s in old.skills if s not in config.skills])

    if old.dispositions != config.dispositions:
        await tenants.save_dispositions(session, tenant_id, config.dispositions)
    changes += _list_changes("disposition", old.dispositions, config.dispositions)
    if old.pause_reasons != config.pause_reasons:
        await tenants.save_pause_reasons(session, tenant_id, config.pause_reasons)
    changes += _list_changes("pause_reason", old.pause_reasons, config.pause_reasons)

    if changes:
        await record_changes(uow, tenant_id, changes, at=at)
    return changes


def _diff(
    entity: str, old: Sequence[_Entity], new: Sequence[_Entity], to_doc: Callable[[_Entity], dict[str, Any]]
) -> tuple[list[tuple[int, _Entity]], list[tuple[int, _Entity]], list[Change]]:
    """Queues or agents by id: the new ones and the changed or moved ones, each with its position
    in ``new``, and the changes to log (a move alone logs nothing)."""
    before = {item.id: (i, item) for i, item in enumerate(old)}
    added: list[tuple[int, _Entity]] = []
    updated: list[tuple[int, _Entity]] = []
    changes: list[Change] = []
    for i, item in enumerate(new):
        was = before.get(item.id)
        if was is None:
            added.append((i, item))
        elif was != (i, item):
            updated.append((i, item))
        if was is None or was[1] != item:
            changes.append(Change(entity, item.id, None if was is None else to_doc(was[1]), to_doc(item)))
    return added, updated, changes


def _list_changes(entity: str, old: tuple[str, ...], new: tuple[str, ...]) -> list[Change]:
    added = [Change(entity, i, None, {"id": i}) for i in new if i not in old]
    removed = [Change(entity, i, {"id": i}, None) for i in old if i not in new]
    return added + removed


def named(problems: list[Problem], config: TenantConfig) -> list[Problem]:
    """Refer to queues and agents by id rather than by position (``queues.claims.steps[1]``)."""
    out = []
    for problem in problems:
        path = problem.path
        if len(path) >= 2 and isinstance(index := path[1], int):
            if path[0] == "queues" and index < len(config.queues):
                path = ("queues", config.queues[index].id, *path[2:])
            elif path[0] == "agents" and index < len(config.agents):
                path = ("agents", config.agents[index].id, *path[2:])
        out.append(Problem(path, problem.message))
    return out
