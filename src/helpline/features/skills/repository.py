"""Reading and writing the list of skills of a tenant."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from helpline.features.config.ordered import list_ordered_ids, replace_ordered_ids
from helpline.features.skills.models import SkillRow


async def list_skills(session: AsyncSession, tenant_id: str) -> list[str]:
    return await list_ordered_ids(session, SkillRow, tenant_id)


async def save_skills(session: AsyncSession, tenant_id: str, skills: Sequence[str]) -> None:
    """Make the tenant's skills exactly ``skills``, in that order (only adds; see remove_skills)."""
    await replace_ordered_ids(session, SkillRow, tenant_id, skills, remove=False)


async def remove_skills(session: AsyncSession, tenant_id: str, skills: Sequence[str]) -> None:
    if skills:
        await session.execute(
            delete(SkillRow).where(SkillRow.tenant_id == tenant_id, SkillRow.id.in_(skills))
        )
