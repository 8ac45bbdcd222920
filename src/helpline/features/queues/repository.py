"""Reading and writing queues (with their required skills) in a tenant's configuration."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from helpline.core.config import QueueConfig
from helpline.features.queues.models import QueueRow, QueueSkillRow
from helpline.features.queues.schemas import QueueDoc, queue_to_doc

_COLUMNS = (
    "name",
    "priority",
    "weight",
    "strategy",
    "channels",
    "sl_target",
    "sl_threshold_s",
    "max_wait_s",
    "overflow_destination",
    "steps",
    "wrap_up_s",
    "offer_timeout_s",
    "max_consecutive_misses",
    "resume_window_s",
    "timezone",
    "hours",
    "holidays",
)


async def list_queues(session: AsyncSession, tenant_id: str) -> list[QueueConfig]:
    """The tenant's queues in their configured order."""
    skills: dict[str, dict[str, int]] = defaultdict(dict)
    rows = await session.execute(
        select(QueueSkillRow.queue_id, QueueSkillRow.skill_id, QueueSkillRow.min_proficiency)
        .where(QueueSkillRow.tenant_id == tenant_id)
        .order_by(QueueSkillRow.queue_id, QueueSkillRow.position)
    )
    for queue_id, skill_id, min_proficiency in rows:
        skills[queue_id][skill_id] = min_proficiency
    queues = await session.scalars(
        select(QueueRow).where(QueueRow.tenant_id == tenant_id).order_by(QueueRow.position)
    )
    return [_from_row(row, skills[row.id]) for row in queues]


def _from_row(row: QueueRow, skills: dict[str, int]) -> QueueConfig:
    doc = {"id": row.id, **{c: getattr(row, c) for c in _COLUMNS}, **row.options, "required_skills": skills}
    return QueueDoc.model_validate(doc).to_config()


def _values(queue: QueueConfig) -> tuple[dict[str, Any], dict[str, int]]:
    doc = queue_to_doc(queue)
    del doc["id"]
    skills = doc.pop("required_skills")
    values = {c: doc.pop(c) for c in _COLUMNS}
    values["options"] = doc
    return values, skills


def _rows(tenant_id: str, position: int, queue: QueueConfig) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The queue's row and the rows of its required skills."""
    values, skills = _values(queue)
    row = {"tenant_id": tenant_id, "id": queue.id, "position": position, **values}
    skill_rows = [
        {"tenant_id": tenant_id, "queue_id": queue.id, "skill_id": s, "min_proficiency": p, "position": i}
        for i, (s, p) in enumerate(skills.items())
    ]
    return row, skill_rows


async def update_queue(session: AsyncSession, tenant_id: str, queue: QueueConfig, position: int) -> None:
    """Replace a stored queue, its required skills included, and put it at ``position``."""
    row, skill_rows = _rows(tenant_id, position, queue)
    del row["tenant_id"], row["id"]
    await session.execute(
        update(QueueRow).where(QueueRow.tenant_id == tenant_id, QueueRow.id == queue.id).values(**row)
    )
    await session.execute(
        delete(QueueSkillRow).where(QueueSkillRow.tenant_id == tenant_id, QueueSkillRow.queue_id == queue.id)
    )
    if skill_rows:
        await session.execute(insert(QueueSkillRow), skill_rows)


async def insert_queues(
    session: AsyncSession, tenant_id: str, queues: Sequence[tuple[int, QueueConfig]]
) -> None:
    """Insert new queues at the given positions, a few statements for the lot."""
    rows: list[dict[str, Any]] = []
    skill_rows: list[dict[str, Any]] = []
    for position, queue in queues:
        row, skills = _rows(tenant_id, position, queue)
        rows.append(row)
        skill_rows += skills
    for table, batch in ((QueueRow, rows), (QueueSkillRow, skill_rows)):
        if batch:
            await session.execute(insert(table), batch)


async def delete_queue(session: AsyncSession, tenant_id: str, queue_id: str) -> None:
    await session.execute(delete(QueueRow).where(QueueRow.tenant_id == tenant_id, QueueRow.id == queue_id))
