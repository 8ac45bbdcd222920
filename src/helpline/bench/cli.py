"""The ``helpline bench`` command group: each benchmark module registers its own command."""

from __future__ import annotations

import importlib

import typer

# Each module here defines ``register(app: typer.Typer) -> None`` and keeps its heavy imports
# inside the command, so ``helpline --help`` stays fast.
BENCHMARKS = ("routing", "sim", "staffing", "sip", "media")


def build() -> typer.Typer:
    app = typer.Typer(help="Benchmarks; each prints one JSON object with --json.", no_args_is_help=True)
    for name in BENCHMARKS:
        module = importlib.import_module(f"helpline.bench.{name}")
        module.register(app)
    return app
