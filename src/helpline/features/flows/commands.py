"""``helpline flows``: check flow files, store, list and remove a tenant's flows, and try a call
through a flow in the terminal."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

__all__ = ["build"]

SettingsOption = Annotated[
    Path | None, typer.Option("--settings", help="YAML settings file (below HELPLINE_* in precedence).")
]

# The flow loader (pydantic, YAML), the store (SQLAlchemy) and the terminal call (httpx, the demo
# web service) are imported inside the commands that use them, so `helpline --help` does not pay
# for them.


def build() -> typer.Typer:
    app = typer.Typer(
        help="IVR flows: check flow files, store them per tenant, try a call through a flow.", no_args_is_help=True
    )

    @app.command("check")
    def check(
        files: Annotated[list[Path], typer.Argument(help="Flow YAML files.")],
        queues: Annotated[str | None, typer.Option(help="Known queue ids, comma-separated.")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="One JSON object with every issue.")] = False,
    ) -> None:
        """Check flows and list every error and warning with file, line and field."""
        from helpline.features.flows.loader import check_flow
        from helpline.features.flows.models import Severity

        known = None if queues is None else {q.strip() for q in queues.split(",") if q.strip()}
        issues = []
        for path in files:
            try:
                text = path.read_text(encoding="utf-8")
            except OSError as exc:
                raise typer.BadParameter(f"{path}: {exc}") from exc
            issues += check_flow(text, file=str(path), known_queues=known)[1]
        failed = any(i.severity is Severity.ERROR for i in issues)
        if as_json:
            typer.echo(json.dumps({"ok": not failed, "issues": [
                {"file": i.file, "line": i.line, "column": i.column, "field": i.field,
                 "severity": i.severity.value, "message": i.message} for i in issues
            ]}))
        else:
            console = Console(highlight=False)
            for issue in issues:
                console.print(str(issue), style="red" if issue.severity is Severity.ERROR else "yellow", soft_wrap=True)
            errors = sum(i.severity is Severity.ERROR for i in issues)
            console.print(f"{len(files)} flow file(s): {errors} error(s), {len(issues) - errors} warning(s)")
        raise typer.Exit(1 if failed else 0)

    @app.command("try")
    def try_(
        file: Annotated[Path, typer.Argument(help="A flow YAML file.")],
        keys: Annotated[str, typer.Option(help="Key groups pressed at each menu or collection, space-separated.")] = "",
        at: Annotated[str | None, typer.Option(help="When the call happens (ISO 8601 with offset); default now.")] = None,
        caller: Annotated[str, typer.Option(help="The caller's number.")] = "+31201234567",
        const: Annotated[list[str] | None, typer.Option(help="NAME=VALUE overriding a flow constant.")] = None,
        demo_service: Annotated[
            bool, typer.Option("--demo-service", help="Run Parcelo's tracking service and point tracking_url at it.")
        ] = False,
    ) -> None:
        """Run one call through a flow: prompts are printed, keys pressed, lookups done for real."""
        from helpline.features.flows.terminal_call import try_call

        overrides = dict(item.split("=", 1) for item in const or [] if "=" in item)
        when = datetime.fromisoformat(at).timestamp() if at else datetime.now(UTC).timestamp()
        lines = asyncio.run(try_call(file, keys.split(), when, caller, overrides, demo_service))
        console = Console(highlight=False)
        for line in lines:
            console.print(line, markup=False, soft_wrap=True)

    @app.command("load")
    def load(
        files: Annotated[list[Path], typer.Argument(help="Flow YAML files.")],
        tenant: Annotated[str, typer.Option(help="The tenant the flows belong to.")],
        settings: SettingsOption = None,
    ) -> None:
        """Check flow files against the tenant's queues and store them (all or nothing)."""
        from helpline.features.config.problems import NotFoundError
        from helpline.features.flows.models import FlowValidationError
        from helpline.features.flows.service import do_load_flow_files

        async def store(db: Any) -> int:
            try:
                loaded = await do_load_flow_files(db, tenant=tenant, paths=files)
            except (FlowValidationError, NotFoundError) as exc:
                Console(stderr=True).print(f"refused, nothing stored: {exc}", markup=False, highlight=False, soft_wrap=True)
                return 1
            console = Console(highlight=False)
            for item in loaded.values():
                for warning in item.warnings:
                    console.print(str(warning), style="yellow", markup=False, soft_wrap=True)
            console.print(f"stored for {tenant}: {', '.join(loaded)}", markup=False)
            return 0

        raise typer.Exit(asyncio.run(_with_store(settings, store)))

    @app.command("list")
    def list_(
        tenant: Annotated[str, typer.Option(help="The tenant whose flows to list.")],
        settings: SettingsOption = None,
        as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
    ) -> None:
        """The tenant's stored flows: name, the file each came from, when it was last stored."""
        from helpline.features.flows.service import list_tenant_flows

        async def show(db: Any) -> int:
            rows = await list_tenant_flows(db, tenant)
            if as_json:
                typer.echo(json.dumps({"tenant": tenant, "flows": [
                    {"name": r.name, "file": r.source_name, "updated_at": r.updated_at} for r in rows
                ]}))
                return 0
            console = Console(highlight=False)
            for row in rows:
                when = datetime.fromtimestamp(row.updated_at, UTC).isoformat(timespec="seconds")
                console.print(f"{row.name}  {row.source_name}  {when}", markup=False, soft_wrap=True)
            console.print(f"{len(rows)} flow(s) stored for {tenant}", markup=False)
            return 0

        raise typer.Exit(asyncio.run(_with_store(settings, show)))

    @app.command("remove")
    def remove(
        name: Annotated[str, typer.Argument(help="The flow's name.")],
        tenant: Annotated[str, typer.Option(help="The tenant the flow belongs to.")],
        settings: SettingsOption = None,
    ) -> None:
        """Remove a stored flow of a tenant (logged as a configuration change)."""
        from helpline.features.config.problems import NotFoundError
        from helpline.features.flows.service import do_remove_flow

        async def drop(db: Any) -> int:
            try:
                await do_remove_flow(db, tenant=tenant, name=name)
            except NotFoundError as exc:
                Console(stderr=True).print(str(exc), markup=False, highlight=False)
                return 1
            Console(highlight=False).print(f"removed flow {name} of {tenant}", markup=False)
            return 0

        raise typer.Exit(asyncio.run(_with_store(settings, drop)))

    return app


async def _with_store(settings: Path | None, work: Callable[[Any], Awaitable[int]]) -> int:
    """Run ``work`` on the configured database, brought up to date first."""
    from helpline.settings import load_settings
    from helpline.storage.engine import create_engine
    from helpline.storage.migrate import upgrade

    db = create_engine(load_settings(settings).database_url)
    try:
        await upgrade(db)
        return await work(db)
    finally:
        await db.dispose()
