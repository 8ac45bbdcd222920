"""The ``helpline`` command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from helpline.bench.cli import build as build_bench
from helpline.features.flows.commands import build as build_flows
from helpline.settings import load_settings, masked
from helpline.wfm.commands import build as build_wfm

app = typer.Typer(help="Helpline: an open-source contact center.", no_args_is_help=True)
app.add_typer(build_bench(), name="bench")
app.add_typer(build_wfm(), name="wfm")
app.add_typer(build_flows(), name="flows")

SettingsOption = Annotated[
    Path | None, typer.Option("--settings", help="YAML settings file (below HELPLINE_* in precedence).")
]


@app.command("check-config")
def check_config(settings: SettingsOption = None, as_json: bool = typer.Option(False, "--json")) -> None:
    """Print the effective settings, secrets masked."""
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

    try:
        effective = load_settings(settings)
    except (FileNotFoundError, ValueError) as exc:
        Console(stderr=True).print(f"[red]settings refused:[/] {exc}")
        raise typer.Exit(2) from None
    raise typer.Exit(run(effective, config_file=config, demo=demo, demo_rate=demo_rate))


def main() -> None:
    app()
