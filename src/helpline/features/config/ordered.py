"""Ordered lists of ids per tenant (skills, dispositions, pause reasons) kept as rows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession


async def list_ordered_ids(session: AsyncSession, table: Any, tenant_id: str) -> list[str]:
    """The tenant's list in ``table``, in its order."""
    return list(await session.scalars(select(table.id).where(table.tenant_id == tenant_id).order_by(table.position)))


async def replace_ordered_ids(
    session: AsyncSession, table: Any, tenant_id: str, ids: Sequence[str], *, remove: bool = True
) -> None:
    """Store ``ids`` as the tenant's list in ``table`` (columns tenant_id, id, position)."""
    existing = set(await session.scalars(select(table.id).where(table.tenant_id == tenant_id)))
    for position, ident in enumerate(ids):
        if ident in existing:
            await session.execute(
                update(table).where(table.tenant_id == tenant_id, table.id == ident).values(position=position)
            )
        else:
            await session.execute(insert(table).values(tenant_id=tenant_id, id=ident, position=position))
    gone = existing - set(ids)
    if remove and gone:
        await session.execute(delete(table).where(table.tenant_id == tenant_id, table.id.in_(gone)))
