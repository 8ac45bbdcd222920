"""Helpers for scenario tables: build small flows by hand and play a call through them.

A scenario is a list of steps ``(t, input, expected commands)``. The input ``TIMER`` means "the
interpreter's deadline comes at t": the step first checks that ``next_timer()`` is exactly t.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from helpline.core.ivr import FlowCommand, FlowInterpreter, Play, PromptPart
from helpline.core.ivr.nodes import Flow, Node, PromptSpec
from helpline.core.ivr.template import Template

TIMER = "timer"

Step = tuple[float, Any, Sequence[FlowCommand]]


def say(*texts: str) -> tuple[PromptSpec, ...]:
    return tuple(PromptSpec(text=Template.parse(t)) for t in texts)


def t(source: str) -> Template:
    return Template.parse(source)


def flow(*nodes: Node, start: str | None = None, **kwargs: Any) -> Flow:
    return Flow(name="test", start=start or nodes[0].id, nodes={n.id: n for n in nodes}, **kwargs)


def play(play_id: int, *texts: str, barge_in: bool = False) -> Play:
    return Play(play_id, tuple(PromptPart(text=x) for x in texts), barge_in)


def run(interp: FlowInterpreter, steps: Sequence[Step]) -> None:
    for number, (at, event, expected) in enumerate(steps, 1):
        where = f"step {number} at t={at}: {event!r}"
        if event == TIMER:
            assert interp.next_timer() == at, f"{where}: the deadline is {interp.next_timer()}"
            got = interp.on_timer(at)
        else:
            got = interp.handle(event, at)
        assert got == list(expected), f"{where}\n  got:      {got}\n  expected: {list(expected)}"
