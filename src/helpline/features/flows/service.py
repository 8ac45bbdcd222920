"""A tenant's IVR flows in the store: check and store flow files, remove a flow, load them all.

A flow is stored as its YAML source under the tenant, by the flow's own ``name``. Storing checks
the text with the same loader as ``helpline flows check`` (every problem naming file, line and
field) and refuses the lot, writing nothing, when any file has an error; each flow that really
changes appends a ``config.changed`` event (entity ``flow``) to the tenant's log in the same
transaction, so storing the same files twice changes nothing and logs nothing.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from helpline.features.config.changes import Change, record_changes
from helpline.features.config.problems import NotFoundError
from helpline.features.flows import repository as flows
from helpline.features.flows.loader import parse_flow
from helpline.features.flows.models import FlowIssue, FlowRow, FlowValidationError, LoadedFlow, Severity
from helpline.features.queues import repository as queues
from helpline.features.tenants import repository as tenants
from helpline.storage.unit_of_work import UnitOfWork

Database = AsyncEngine | UnitOfWork
FLOW = "flow"


def flow_doc(row: FlowRow) -> dict[str, Any]:
    """A stored flow as it appears in ``config.changed`` events."""
    return {"name": row.name, "file": row.source_name, "source": row.source_text}


async def do_upsert_flow(
    db: Database,
    *,
    tenant: str,
    source_text: str,
    source_name: str = "<flow>",
    name: str | None = None,
    known_queues: Collection[str] | None = None,
    at: float | None = None,
) -> LoadedFlow:
    """Check a flow and store it for ``tenant`` (new, or replacing the flow of the same name).

    ``name``, when given, must be the flow's own ``name``. ``known_queues`` defaults to the
    tenant's queues. Raises ``FlowValidationError`` (nothing written) or ``NotFoundError``.
    """
    loaded = await do_upsert_flows(
        db, tenant=tenant, sources=[(source_name, source_text)], known_queues=known_queues, names=[name], at=at
    )
    return next(iter(loaded.values()))


async def do_upsert_flows(
    db: Database,
    *,
    tenant: str,
    sources: Sequence[tuple[str, str]],
    known_queues: Collection[str] | None = None,
    names: Sequence[str | None] | None = None,
    at: float | None = None,
) -> dict[str, LoadedFlow]:
    """Check several flows, given as ``(file name, YAML text)``, and store them all or none.

    Every error of every file is reported at once in one ``FlowValidationError``.
    """
    if isinstance(db, AsyncEngine):
        async with UnitOfWork(db) as uow:
            return await do_upsert_flows(
                uow, tenant=tenant, sources=sources, known_queues=known_queues, names=names, at=at
            )
    session = db.session
    if await tenants.get_tenant(session, tenant, lock=True) is None:
        raise NotFoundError(f"no tenant {tenant!r}")
    if known_queues is None:
        known_queues = {q.id for q in await queues.list_queues(session, tenant)}
    loaded, issues = _check(sources, known_queues, names)
    if any(i.severity is Severity.ERROR for i in issues):
        raise FlowValidationError(issues)

    when = time.time() if at is None else at
    changes: list[Change] = []
    for (source_name, text), flow in zip(sources, loaded.values(), strict=True):
        name = flow.flow.name
        current = await flows.get_flow(session, tenant, name)
        if current is not None and current.source_text == text:
            continue
        old = None if current is None else flow_doc(current)
        await flows.save_flow(session, tenant, name, source_name=source_name, source_text=text, at=when)
        new = {"name": name, "file": source_name, "source": text}
        changes.append(Change(FLOW, name, old, new))
    if changes:
        await record_changes(db, tenant, changes, at=when)
    return loaded


async def do_remove_flow(db: Database, *, tenant: str, name: str, at: float | None = None) -> None:
    """Remove a stored flow; raises ``NotFoundError`` when the tenant has no flow of that name."""
    if isinstance(db, AsyncEngine):
        async with UnitOfWork(db) as uow:
            return await do_remove_flow(uow, tenant=tenant, name=name, at=at)
    session = db.session
    if await tenants.get_tenant(session, tenant, lock=True) is None:
        raise NotFoundError(f"no tenant {tenant!r}")
    current = await flows.get_flow(session, tenant, name)
    if current is None:
        raise NotFoundError(f"tenant {tenant!r} has no flow {name!r}")
    await flows.delete_flow(session, tenant, name)
    await record_changes(db, tenant, [Change(FLOW, name, flow_doc(current), None)], at=at)


async def do_load_flow_files(
    db: Database,
    *,
    tenant: str,
    paths: Sequence[str | Path],
    known_queues: Collection[str] | None = None,
    at: float | None = None,
) -> dict[str, LoadedFlow]:
    """Read flow files and store them for ``tenant``, all or none (see ``do_upsert_flows``)."""
    sources = await asyncio.to_thread(read_flow_files, paths)
    return await do_upsert_flows(db, tenant=tenant, sources=sources, known_queues=known_queues, at=at)


def read_flow_files(paths: Sequence[str | Path]) -> list[tuple[str, str]]:
    """``(file name, text)`` of each file; ``FlowValidationError`` naming every unreadable one."""
    sources: list[tuple[str, str]] = []
    unreadable: list[FlowIssue] = []
    for path in paths:
        try:
            sources.append((str(path), Path(path).read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError) as exc:
            unreadable.append(FlowIssue(str(path), 0, 0, "", f"cannot read the file: {exc}"))
    if unreadable:
        raise FlowValidationError(unreadable)
    return sources


def flow_files(folder: str | Path) -> list[Path]:
    """The flow files of a folder (``*.yaml``, ``*.yml``), in name order."""
    return sorted([*Path(folder).glob("*.yaml"), *Path(folder).glob("*.yml")])


async def list_tenant_flows(db: Database, tenant: str) -> list[FlowRow]:
    """The tenant's stored flows by name (their source, unchecked)."""
    if isinstance(db, AsyncEngine):
        async with AsyncSession(db) as session:
            return await flows.list_flows(session, tenant)
    return await flows.list_flows(db.session, tenant)


async def load_tenant_flows(
    db: Database,
    tenant: str,
    *,
    constants: Mapping[str, str] | None = None,
    known_queues: Collection[str] | None = None,
) -> dict[str, LoadedFlow]:
    """The tenant's stored flows, checked again with this installation's ``constants``.

    Raises ``FlowValidationError`` with the problems of every flow that no longer passes.
    """
    rows = await list_tenant_flows(db, tenant)
    loaded: dict[str, LoadedFlow] = {}
    issues: list[FlowIssue] = []
    for row in rows:
        try:
            loaded[row.name] = parse_flow(
                row.source_text, file=row.source_name, known_queues=known_queues, constants=constants
            )
        except FlowValidationError as exc:
            issues += exc.issues
    if any(i.severity is Severity.ERROR for i in issues):
        raise FlowValidationError(issues)
    return loaded


def _check(
    sources: Sequence[tuple[str, str]], known_queues: Collection[str], names: Sequence[str | None] | None
) -> tuple[dict[str, LoadedFlow], list[FlowIssue]]:
    """Every source checked; the flows by name (in source order) and every issue of every file."""
    loaded: dict[str, LoadedFlow] = {}
    issues: list[FlowIssue] = []
    for i, (source_name, text) in enumerate(sources):
        try:
            flow = parse_flow(text, file=source_name, known_queues=known_queues)
        except FlowValidationError as exc:
            issues += exc.issues
            continue
        issues += flow.warnings
        name = flow.flow.name
        expected = names[i] if names is not None else None
        if expected is not None and name != expected:
            issues.append(
                FlowIssue(source_name, _line_of_name(text), 1, "name", f"the flow is named {name!r}, not {expected!r}")
            )
        elif name in loaded:
            issues.append(
                FlowIssue(
                    source_name,
                    _line_of_name(text),
                    1,
                    "name",
                    f"flow name {name!r} is also used by {loaded[name].file}",
                )
            )
        else:
            loaded[name] = flow
    return loaded, issues


def _line_of_name(text: str) -> int:
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith("name:"):
            return number
    return 1


async def do_load_flow_folder(
    db: Database,
    *,
    folder: str | Path,
    tenants: Collection[str],
    known_queues: Collection[str] | None = None,
    at: float | None = None,
) -> dict[str, dict[str, LoadedFlow]]:
    """Store every flow file of ``folder`` for each of ``tenants``, in one transaction: all
    tenants get them, or (on any error, every one reported) none does."""
    if isinstance(db, AsyncEngine):
        async with UnitOfWork(db) as uow:
            return await do_load_flow_folder(uow, folder=folder, tenants=tenants, known_queues=known_queues, at=at)
    sources = await asyncio.to_thread(read_flow_files, await asyncio.to_thread(flow_files, folder))
    return {
        tenant: await do_upsert_flows(db, tenant=tenant, sources=sources, known_queues=known_queues, at=at)
        for tenant in sorted(tenants)
    }
