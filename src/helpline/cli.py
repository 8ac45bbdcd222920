"""The ``helpline`` command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from helpline.bench.cli import build as build_bench
from helpline.settings import load_settings, masked
from helpline.wfm.commands import build as build_wfm

app = typer.Typer(help="Helpline: an open-source contact center.", no_args_is_help=True)
app.add_typer(build_bench(), name="bench")
app.add_typer(build_wfm(), name="wfm")

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


def main() -> None:
    app()
