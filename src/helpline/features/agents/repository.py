"""Reading and writing agents (with their skills and queues) in a tenant's configuration."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from helpline.core.config import AgentConfig
from helpline.features.agents.models import AgentQueueRow, AgentRow, AgentSkillRow
from helpline.features.agents.schemas import AgentDoc, agent_to_doc

_COLUMNS = ("name", "groups", "capacity", "total_capacity", "linear_rank")


async def list_agents(session: AsyncSession, tenant_id: str) -> list[AgentConfig]:
    """The tenant's agents in their configured order."""
    skills: dict[str, dict[str, int]] = defaultdict(dict)
    for agent_id, skill_id, proficiency in await session.execute(
        select(AgentSkillRow.agent_id, AgentSkillRow.skill_id, AgentSkillRow.proficiency)
        .where(AgentSkillRow.tenant_id == tenant_id)
        .order_by(AgentSkillRow.agent_id, AgentSkillRow.position)
    ):
        skills[agent_id][skill_id] = proficiency
    queues: dict[str, list[str]] = defaultdict(list)
    for agent_id, queue_id in await session.execute(
        select(AgentQueueRow.agent_id, AgentQueueRow.queue_id)
        .where(AgentQueueRow.tenant_id == tenant_id)
        .order_by(AgentQueueRow.agent_id, AgentQueueRow.rank)
    ):
        queues[agent_id].append(queue_id)
    agents = await session.scalars(
        select(AgentRow).where(AgentRow.tenant_id == tenant_id).order_by(AgentRow.position)
    )
    return [_from_row(row, skills[row.id], queues[row.id]) for row in agents]


def _from_row(row: AgentRow, skills: dict[str, int], queues: list[str]) -> AgentConfig:
    doc = {
        "id": row.id,
        **{c: getattr(row, c) for c in _COLUMNS},
        **row.options,
        "skills": skills,
        "queues": queues,
    }
    return AgentDoc.model_validate(doc).to_config()


def _values(agent: AgentConfig) -> tuple[dict[str, Any], dict[str, int], list[str]]:
    doc = agent_to_doc(agent)
    del doc["id"]
    skills, queues = doc.pop("skills"), doc.pop("queues")
    values = {c: doc.pop(c) for c in _COLUMNS}
    values["options"] = doc
    return values, skills, queues


def _rows(
    tenant_id: str, position: int, agent: AgentConfig
) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    """The agent's row and the rows of its skills and queues."""
    values, skills, queues = _values(agent)
    row = {"tenant_id": tenant_id, "id": agent.id, "position": position, **values}
    skill_rows = [
        {"tenant_id": tenant_id, "agent_id": agent.id, "skill_id": s, "proficiency": p, "position": i}
        for i, (s, p) in enumerate(skills.items())
    ]
    queue_rows = [
        {"tenant_id": tenant_id, "agent_id": agent.id, "queue_id": q, "rank": i} for i, q in enumerate(queues)
    ]
    return row, skill_rows, queue_rows


async def update_agent(session: AsyncSession, tenant_id: str, agent: AgentConfig, position: int) -> None:
    """Replace a stored agent, its skills and queues included, and put it at ``position``."""
    row, skill_rows, queue_rows = _rows(tenant_id, position, agent)
    del row["tenant_id"], row["id"]
    await session.execute(
        update(AgentRow).where(AgentRow.tenant_id == tenant_id, AgentRow.id == agent.id).values(**row)
    )
    for table in (AgentSkillRow, AgentQueueRow):
        await session.execute(delete(table).where(table.tenant_id == tenant_id, table.agent_id == agent.id))
    await _insert(session, ((AgentSkillRow, skill_rows), (AgentQueueRow, queue_rows)))


async def insert_agents(
    session: AsyncSession, tenant_id: str, agents: Sequence[tuple[int, AgentConfig]]
) -> None:
    """Insert new agents at the given positions, a few statements for the lot."""
    rows: list[dict[str, Any]] = []
    skill_rows: list[dict[str, Any]] = []
    queue_rows: list[dict[str, Any]] = []
    for position, agent in agents:
        row, skills, queues = _rows(tenant_id, position, agent)
        rows.append(row)
        skill_rows += skills
        queue_rows += queues
    await _insert(session, ((AgentRow, rows), (AgentSkillRow, skill_rows), (AgentQueueRow, queue_rows)))


async def _insert(session: AsyncSession, batches: Iterable[tuple[Any, list[dict[str, Any]]]]) -> None:
    for table, batch in batches:
        if batch:
            await session.execute(insert(table), batch)


async def delete_agent(session: AsyncSession, tenant_id: str, agent_id: str) -> None:
    await session.execute(delete(AgentRow).where(AgentRow.tenant_id == tenant_id, AgentRow.id == agent_id))
