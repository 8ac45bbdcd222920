"""Reading and writing tenants and their tenant-wide lists."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from helpline.features.config.ordered import list_ordered_ids, replace_ordered_ids
from helpline.features.tenants.models import DispositionRow, PauseReasonRow, TenantRow


async def list_tenant_ids(session: AsyncSession) -> list[str]:
    return list(await session.scalars(select(TenantRow.id).order_by(TenantRow.id)))


async def get_tenant(session: AsyncSession, tenant_id: str, *, lock: bool = False) -> TenantRow | None:
    """The tenant's row; with ``lock``, held until the transaction ends (PostgreSQL row lock)."""
    query = select(TenantRow).where(TenantRow.id == tenant_id)
    if lock:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def save_tenant(session: AsyncSession, tenant_id: str, *, name: str, short_abandon_s: float) -> None:
    values = {"name": name, "short_abandon_s": short_abandon_s}
    if await get_tenant(session, tenant_id) is None:
        await session.execute(insert(TenantRow).values(id=tenant_id, **values))
    else:
        await session.execute(update(TenantRow).where(TenantRow.id == tenant_id).values(**values))


async def delete_tenant(session: AsyncSession, tenant_id: str) -> None:
    """Remove the tenant and, by cascade, all of its configuration."""
    await session.execute(delete(TenantRow).where(TenantRow.id == tenant_id))


async def list_dispositions(session: AsyncSession, tenant_id: str) -> list[str]:
    return await list_ordered_ids(session, DispositionRow, tenant_id)


async def save_dispositions(session: AsyncSession, tenant_id: str, ids: Sequence[str]) -> None:
    await replace_ordered_ids(session, DispositionRow, tenant_id, ids)


async def list_pause_reasons(session: AsyncSession, tenant_id: str) -> list[str]:
    return await list_ordered_ids(session, PauseReasonRow, tenant_id)


async def save_pause_reasons(session: AsyncSession, tenant_id: str, ids: Sequence[str]) -> None:
    await replace_ordered_ids(session, PauseReasonRow, tenant_id, ids)
