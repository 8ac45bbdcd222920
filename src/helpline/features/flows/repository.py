"""Reading and writing a tenant's stored flows (their YAML source, by flow name)."""

from __future__ import annotations

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from helpline.features.flows.models import FlowRow


async def list_flows(session: AsyncSession, tenant_id: str) -> list[FlowRow]:
    """The tenant's flows by name."""
    rows = await session.scalars(select(FlowRow).where(FlowRow.tenant_id == tenant_id).order_by(FlowRow.name))
    return list(rows)


async def get_flow(session: AsyncSession, tenant_id: str, name: str) -> FlowRow | None:
    query = select(FlowRow).where(FlowRow.tenant_id == tenant_id, FlowRow.name == name)
    return (await session.execute(query)).scalar_one_or_none()


async def save_flow(
    session: AsyncSession, tenant_id: str, name: str, *, source_name: str, source_text: str, at: float
) -> None:
    values = {"source_name": source_name, "source_text": source_text, "updated_at": at}
    if await get_flow(session, tenant_id, name) is None:
        await session.execute(insert(FlowRow).values(tenant_id=tenant_id, name=name, **values))
    else:
        await session.execute(
            update(FlowRow).where(FlowRow.tenant_id == tenant_id, FlowRow.name == name).values(**values)
        )


async def delete_flow(session: AsyncSession, tenant_id: str, name: str) -> None:
    await session.execute(delete(FlowRow).where(FlowRow.tenant_id == tenant_id, FlowRow.name == name))
