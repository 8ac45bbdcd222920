"""The ``helpline wfm`` command group: each module registers its commands."""

from __future__ import annotations

import importlib

import typer

COMMAND_MODULES = ("erlang", "forecast", "schedule")


def build() -> typer.Typer:
    app = typer.Typer(help="Workforce management: Erlang, staffing, forecasts, schedules.", no_args_is_help=True)
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"helpline.wfm.commands.{name}")
        module.register(app)
    return app
