"""``helpline bench media``: N RTP legs playing music on hold to a receiver process."""

from __future__ import annotations

import json
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    @app.command("media")
    def media(
        legs: Annotated[int, typer.Option(help="Concurrent legs playing music.")] = 100,
        seconds: Annotated[float, typer.Option(help="How long they play.")] = 5.0,
        port_base: Annotated[int, typer.Option(help="First RTP port to use.")] = 40000,
        as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    ) -> None:
        """CPU per leg and packet timing of the media edge (uvloop, shared 20 ms ticker)."""
        import uvloop

        from helpline.edge.media.loadtest import run_music_legs

        result = uvloop.run(run_music_legs(legs, seconds, port_base))
        if as_json:
            print(json.dumps(result))
        else:
            for key, value in result.items():
                print(f"{key:>24}: {value}")
