"""The ``helpline`` command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

# Each command imports what it needs (settings, storage, the server, the numeric libraries) when
# it runs, so `helpline --help` and a mistyped command answer at once.
from helpline.bench.cli import build as build_bench
from helpline.features.flows.commands import build as build_flows
from helpline.sim.cli import build as build_sim
from helpline.wfm.commands import build as build_wfm

app = typer.Typer(help="Helpline: an open-source contact center.", no_args_is_help=True)
app.add_typer(build_bench(), name="bench")
app.add_typer(build_wfm(), name="wfm")
app.add_typer(build_flows(), name="flows")
app.add_typer(build_sim(), name="sim")

SettingsOption = Annotated[
    Path | None, typer.Option("--settings", help="YAML settings file (below HELPLINE_* in precedence).")
]


@app.command("check-config")
def check_config(settings: SettingsOption = None, as_json: bool = typer.Option(False, "--json")) -> None:
    """Print the effective settings, secrets masked."""
    from helpline.settings import load_settings, masked

    values = masked(load_settings(settings))
    if as_json:
        print(json.dumps(values, indent=2))
        return
    console = Console()

    def show(prefix: str, data: dict[str, object]) -> None:
        for key, value in data.items():
            if isinstance(value, dict):
                show(f"{prefix}{key}.", value)
            else:
                console.print(f"[bold]{prefix}{key}[/bold] = {value}")

    show("", values)


config_app = typer.Typer(help="Tenants' configuration files: check and load.", no_args_is_help=True)
app.add_typer(config_app, name="config")


@config_app.command("check")
def config_check(files: Annotated[list[Path], typer.Argument(help="Configuration YAML files.")]) -> None:
    """Check configuration files without touching the store; every problem with file, line, field."""
    from helpline.features.config.loader import load_config_file
    from helpline.features.config.problems import ConfigError

    failed = False
    for path in files:
        try:
            document = load_config_file(path)
        except ConfigError as exc:
            failed = True
            Console(stderr=True).print(str(exc), markup=False, highlight=False)
            continue
        tenants = ", ".join(f"{t.id} ({len(t.queues)} queues, {len(t.agents)} agents)" for t in document.tenants)
        Console().print(f"{path}: ok — {tenants}", markup=False, highlight=False)
    raise typer.Exit(1 if failed else 0)


@config_app.command("load")
def config_load(file: Path, settings: SettingsOption = None) -> None:
    """Check a configuration file and store it (all or nothing); changes go to the event log."""
    import asyncio

    from helpline.features.config.problems import ConfigError
    from helpline.features.config.service import do_load_config_file
    from helpline.settings import load_settings
    from helpline.storage.engine import create_engine
    from helpline.storage.migrate import upgrade

    effective = load_settings(settings)

    async def load() -> int:
        db = create_engine(effective.database_url)
        try:
            await upgrade(db)
            document = await do_load_config_file(db, path=file)
        except ConfigError as exc:
            Console(stderr=True).print(f"refused, nothing stored: {exc}", markup=False, highlight=False)
            return 1
        finally:
            await db.dispose()
        Console().print(f"stored {', '.join(t.id for t in document.tenants)} from {file}")
        return 0

    raise typer.Exit(asyncio.run(load()))


@app.command()
def migrate(settings: SettingsOption = None) -> None:
    """Bring the database schema up to date (the server also does this at start)."""
    import asyncio

    from helpline.settings import load_settings
    from helpline.storage.migrate import migrate as run_migrations

    effective = load_settings(settings)
    asyncio.run(run_migrations(effective.database_url))
    Console().print("database schema is up to date")


@app.command()
def serve(
    settings: SettingsOption = None,
    config: Annotated[
        Path | None, typer.Option("--config", help="Tenants' configuration YAML to check and load at start.")
    ] = None,
    demo: Annotated[
        bool, typer.Option("--demo", help="Load the demo tenant and run synthetic customers and agents.")
    ] = False,
    demo_rate: Annotated[float, typer.Option(help="Demo calls per minute.")] = 12.0,
) -> None:
    """Run the server: routing runtime, /healthz and /metrics over HTTP."""
    from helpline.serve import run
    from helpline.settings import load_settings

    try:
        effective = load_settings(settings)
    except (FileNotFoundError, ValueError) as exc:
        Console(stderr=True).print(f"[red]settings refused:[/] {exc}")
        raise typer.Exit(2) from None
    raise typer.Exit(run(effective, config_file=config, demo=demo, demo_rate=demo_rate))


def main() -> None:
    app()
