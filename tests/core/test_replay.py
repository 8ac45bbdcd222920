"""Facts survive the storage encoding, and snapshot + later facts rebuild the live state."""

from __future__ import annotations

import json

import pytest

from helpline.core import inputs as I
from helpline.core.agent import AgentState
from helpline.core.config import AgentConfig, Channel, QueueConfig, StepAction, Strategy, WorkflowStep
from helpline.core.event_records import event_from_record, event_to_record
from helpline.core.routing.engine import Decision, RoutingEngine

from .scenario import TICK, call, chat, tenant

CFG = tenant(
    [
        QueueConfig(
            "sales",
            strategy=Strategy.ROUND_ROBIN,
            wrap_up_s=5,
            max_wait_s=200,
            offer_timeout_s=10,
            max_consecutive_misses=2,
            steps=(WorkflowStep(30, StepAction.ADD_QUEUE, queue="support"), WorkflowStep(40, StepAction.RAISE_PRIORITY, priority=2)),
            preferred_agent_wait_s=5,
        ),
        QueueConfig("support", strategy=Strategy.RANDOM, channels=(Channel.VOICE, Channel.CHAT)),
    ],
    [
        AgentConfig("a1", queues=("sales",)),
        AgentConfig("a2", queues=("sales", "support")),
        AgentConfig("a3", queues=("support",), capacity={Channel.VOICE: 1, Channel.CHAT: 2}, total_capacity=2),
    ],
    dispositions=("done",),
)

SCRIPT: list[tuple[float, object]] = [
    (0, I.AgentLogin("a1")),
    (1, I.AgentLogin("a2")),
    (2, call("c1", "sales", customer="+1", attributes={"account": "42"})),
    (3, call("c2", "sales", customer="+2")),
    (4, call("c3", "sales", customer="+3", priority=1)),
    (5, I.OfferAccepted("c1", "a1")),
    (6, I.InteractionHeld("c1")),
    (7, I.InteractionResumed("c1")),
    (8, I.OfferRejected("c2", "a2")),
    (9.8, call("c4", "sales", customer="+4")),
    (10, I.InteractionAbandoned("c4")),
    (11, call("c4b", "sales", customer="+4")),
    (12, I.AgentLogin("a3")),
    (12.5, I.CallbackRequested("c4b", "+4")),
    (13, chat("m1", "support")),
    (14, chat("m2", "support", preferred_agent="a3")),
    (20, TICK),
    (25, I.InteractionTransferred("c1", to_queue="support")),
    (26, I.WrapUpDone("c1", "done", "ok")),
    (31, TICK),
    (35, I.AgentPause("a1", "break")),
    (45, TICK),
    (50, I.InteractionEnded("m1")),
    (60, I.InteractionEnded("c1")),
    (70, TICK),
    (80, I.AgentReady("a1")),
    (300, TICK),
    (400, TICK),
]


def run_script(engine: RoutingEngine) -> list[tuple[Decision, dict[str, object]]]:
    """Run SCRIPT, accepting whatever is offered a moment later; skip inputs the run made invalid."""
    out = []
    pending: list[tuple[str, str]] = []
    for t, inp in SCRIPT:
        for iid, agent in pending:
            if engine.has_interaction(iid):
                try:
                    d = engine.handle(I.OfferAccepted(iid, agent), t - 0.5)
                except Exception:
                    continue
                out.append((d, engine.snapshot()))
        pending = []
        try:
            d = engine.on_timer(t) if inp is TICK else engine.handle(inp, t)  # type: ignore[arg-type]
        except Exception:
            continue
        out.append((d, engine.snapshot()))
        for c in d.commands:
            agents = getattr(c, "agents", None) or ((c.agent,) if hasattr(c, "number") else ())
            if agents and c.interaction not in ("c2",):
                pending.append((c.interaction, agents[0]))
    return out


def test_every_fact_round_trips_through_json() -> None:
    seen: set[str] = set()
    for d, _ in run_script(RoutingEngine(CFG, seed=3)):
        for fact in d.events:
            kind, payload = event_to_record(fact)
            back = event_from_record(kind, json.loads(json.dumps(payload)))
            assert back == fact
            assert type(back) is type(fact)
            seen.add(kind)
    assert {"interaction.created", "interaction.queued", "interaction.offered", "offer.accepted",
            "offer.rejected", "interaction.held", "interaction.resumed", "interaction.transferred",
            "interaction.ended", "wrapup.started", "wrapup.ended", "interaction.abandoned",
            "interaction.callback_requested", "interaction.step_applied", "agent.paused",
            "agent.unpaused", "agent.state_changed", "agent.logged_in"} <= seen


def test_snapshot_plus_later_facts_equals_the_live_state() -> None:
    live = RoutingEngine(CFG, seed=3)
    steps = run_script(live)
    assert len(steps) > 20
    for cut in range(0, len(steps), 3):
        snap = json.loads(json.dumps(steps[cut][1]))
        restored = RoutingEngine.from_snapshot(CFG, snap, seed=3)
        for d, expected in steps[cut + 1:]:
            for fact in d.events:
                restored.apply(fact)
            assert restored.snapshot() == expected
        assert restored.next_timer() == live.next_timer()


def test_a_restored_engine_decides_like_the_live_one() -> None:
    a = RoutingEngine(CFG, seed=3)
    steps = run_script(a)
    b = RoutingEngine.from_snapshot(CFG, steps[-1][1], seed=3)
    for engine in (a, b):
        engine.handle(I.AgentLogin("a1"), 500) if engine.agent_state("a1") is AgentState.OFFLINE else None
    for k in range(4):
        da = a.handle(call(f"z{k}", "support"), 501 + k)
        db = b.handle(call(f"z{k}", "support"), 501 + k)
        assert da == db
    assert a.snapshot() == b.snapshot()


def test_a_snapshot_of_another_version_is_refused() -> None:
    snap = RoutingEngine(CFG).snapshot()
    snap["version"] = 99
    with pytest.raises(ValueError, match="99"):
        RoutingEngine.from_snapshot(CFG, snap)


def test_unknown_record_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="no.such.kind"):
        event_from_record("no.such.kind", {})
