"""Scenario tables for the routing engine: rows of ``(t, input, expected)``.

``input`` is a routing input, or ``TICK`` to fire the timers due at ``t``. ``expected`` lists
commands and facts: the commands must be exactly the decision's commands (in order); the facts
must appear among the decision's facts in that order (others may come between). ``Like(cls,
**fields)`` matches any instance of ``cls`` with those field values.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from typing import Any

from helpline.core import commands as C
from helpline.core import events as E
from helpline.core import inputs as I
from helpline.core.config import AgentConfig, Channel, QueueConfig, TenantConfig
from helpline.core.event_records import event_from_record, event_to_record
from helpline.core.routing.engine import Decision, RoutingEngine

COMMAND_TYPES = (
    C.OfferInteraction,
    C.StartCallback,
    C.CancelOffer,
    C.NotifyAgentPaused,
    C.AnnouncePosition,
    C.SendToOverflow,
)


class _Tick:
    def __repr__(self) -> str:
        return "TICK"


TICK = _Tick()


@dataclasses.dataclass(frozen=True)
class Like:
    cls: type
    fields: dict[str, Any]

    def __init__(self, cls: type, **fields: Any) -> None:
        object.__setattr__(self, "cls", cls)
        object.__setattr__(self, "fields", fields)

    def matches(self, obj: object) -> bool:
        return isinstance(obj, self.cls) and all(getattr(obj, k) == v for k, v in self.fields.items())

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v!r}" for k, v in self.fields.items())
        return f"Like({self.cls.__name__}, {inner})"


def _matches(expected: object, actual: object) -> bool:
    return expected.matches(actual) if isinstance(expected, Like) else expected == actual


def _is_command(x: object) -> bool:
    cls = x.cls if isinstance(x, Like) else type(x)
    return issubclass(cls, COMMAND_TYPES)


def offer(interaction: str, *agents: str) -> Like:
    return Like(C.OfferInteraction, interaction=interaction, agents=agents)


def announce(interaction: str, position: int) -> Like:
    return Like(C.AnnouncePosition, interaction=interaction, position=position)


def offered(interaction: str, *agents: str) -> Like:
    return Like(E.InteractionOffered, interaction=interaction, agents=agents)


def check(decision: Decision, expected: Sequence[object], where: str) -> None:
    want_cmds = [x for x in expected if _is_command(x)]
    want_facts = [x for x in expected if not _is_command(x)]
    got_cmds = list(decision.commands)
    assert len(got_cmds) == len(want_cmds) and all(
        _matches(w, g) for w, g in zip(want_cmds, got_cmds, strict=True)
    ), f"{where}: commands\n  expected {want_cmds}\n  got      {got_cmds}"
    pos = 0
    facts = list(decision.events)
    for w in want_facts:
        while pos < len(facts) and not _matches(w, facts[pos]):
            pos += 1
        assert pos < len(facts), f"{where}: fact {w} not found (in order) among\n  " + "\n  ".join(map(repr, facts))
        pos += 1


def play(engine: RoutingEngine, rows: Iterable[tuple[float, object, Sequence[object]]]) -> list[Decision]:
    out = []
    for n, (t, inp, expected) in enumerate(rows):
        if inp is TICK:
            decision = engine.on_timer(t)
        else:
            decision = engine.handle(inp, t)  # type: ignore[arg-type]
        check(decision, expected, f"row {n} (t={t}, {inp!r})")
        out.append(decision)
    return out


def agents(*ids: str, queues: tuple[str, ...] = ("q",), **kw: Any) -> tuple[AgentConfig, ...]:
    return tuple(AgentConfig(i, queues=queues, **kw) for i in ids)


def tenant(queues: Sequence[QueueConfig], agent_list: Sequence[AgentConfig], **kw: Any) -> TenantConfig:
    return TenantConfig("t", queues=tuple(queues), agents=tuple(agent_list), **kw)


def call(iid: str, queue: str = "q", **kw: Any) -> I.InteractionArrived:
    return I.InteractionArrived(iid, queue, **kw)


def chat(iid: str, queue: str = "q", **kw: Any) -> I.InteractionArrived:
    return I.InteractionArrived(iid, queue, channel=Channel.CHAT, **kw)


def login_all(engine: RoutingEngine, ids: Iterable[str], t: float = 0.0, step: float = 1.0) -> float:
    for i in ids:
        engine.handle(I.AgentLogin(i), t)
        t += step
    return t


def replayed(engine_config: TenantConfig, decisions: Iterable[Decision]) -> RoutingEngine:
    """A fresh engine that replayed the facts of ``decisions`` through the storage encoding."""
    fresh = RoutingEngine(engine_config)
    for d in decisions:
        for fact in d.events:
            kind, payload = event_to_record(fact)
            fresh.apply(event_from_record(kind, payload))
    return fresh
