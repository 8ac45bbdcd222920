"""Tenants: create, rename and remove them, and change their tenant-wide lists."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from helpline.core.config import TenantConfig
from helpline.features.config.changes import Change, record_changes
from helpline.features.config.loader import validate_partially
from helpline.features.config.problems import ConfigError
from helpline.features.config.service import (
    do_apply_tenant_config,
    find_tenant_config,
    list_tenants,
    load_tenant_config,
)
from helpline.features.tenants import repository
from helpline.features.tenants.schemas import TenantDoc, tenant_to_doc
from helpline.storage.unit_of_work import UnitOfWork

__all__ = [
    "do_remove_tenant",
    "do_set_dispositions",
    "do_set_pause_reasons",
    "do_upsert_tenant",
    "list_tenants",
    "load_tenant_config",
]


async def do_upsert_tenant(
    uow: UnitOfWork, *, tenant_id: str, name: str = "", short_abandon_s: float = 5.0, at: float | None = None
) -> TenantConfig:
    """Create a tenant (empty, with the default pause reasons) or change its name and settings."""
    doc, problems, _ = validate_partially(
        TenantDoc, {"id": tenant_id, "name": name, "short_abandon_s": short_abandon_s}
    )
    if doc is None or problems:
        raise ConfigError.from_problems(problems)
    current = await find_tenant_config(uow, tenant_id, lock=True) or TenantConfig(tenant_id)
    new = dataclasses.replace(current, name=doc.name, short_abandon_s=doc.short_abandon_s)
    await do_apply_tenant_config(uow, config=new, require_servable=False, at=at)
    return new


async def do_remove_tenant(uow: UnitOfWork, *, tenant_id: str, at: float | None = None) -> None:
    """Remove a tenant and all its configuration (its event log stays)."""
    current = await load_tenant_config(uow, tenant_id, lock=True)
    await repository.delete_tenant(uow.session, tenant_id)
    await record_changes(uow, tenant_id, [Change("tenant", tenant_id, tenant_to_doc(current), None)], at=at)


async def do_set_dispositions(
    uow: UnitOfWork, *, tenant_id: str, dispositions: Sequence[str], at: float | None = None
) -> TenantConfig:
    """Replace the tenant's wrap-up codes."""
    return await _set_list(uow, tenant_id, "dispositions", dispositions, at)


async def do_set_pause_reasons(
    uow: UnitOfWork, *, tenant_id: str, pause_reasons: Sequence[str], at: float | None = None
) -> TenantConfig:
    """Replace the tenant's pause reasons (``missed`` must stay)."""
    return await _set_list(uow, tenant_id, "pause_reasons", pause_reasons, at)


async def _set_list(
    uow: UnitOfWork, tenant_id: str, field: str, values: Sequence[str], at: float | None
) -> TenantConfig:
    _, problems, _ = validate_partially(TenantDoc, {"id": tenant_id, field: list(values)})
    if problems:
        raise ConfigError.from_problems(problems)
    current = await load_tenant_config(uow, tenant_id, lock=True)
    if field == "dispositions":
        new = dataclasses.replace(current, dispositions=tuple(values))
    else:
        new = dataclasses.replace(current, pause_reasons=tuple(values))
    await do_apply_tenant_config(uow, config=new, require_servable=False, at=at)
    return new
