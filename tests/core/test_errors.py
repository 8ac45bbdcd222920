"""Bad input raises a CoreError and leaves the engine exactly as it was."""

from __future__ import annotations

import pytest

from helpline.core import inputs as I
from helpline.core.config import QueueConfig
from helpline.core.errors import CoreError, DuplicateEntity, InvalidInput, InvalidTransition, UnknownEntity
from helpline.core.routing.engine import RoutingEngine

from .scenario import agents, call, login_all, tenant


@pytest.fixture
def engine() -> RoutingEngine:
    e = RoutingEngine(tenant([QueueConfig("q", wrap_up_s=10)], agents("a1", "a2", "a3")))
    login_all(e, ["a1", "a2"])
    e.handle(call("offered"), 5)  # -> a1
    e.handle(call("talking"), 6)  # -> a2
    e.handle(I.OfferAccepted("talking", "a2"), 7)
    e.handle(call("waiting"), 8)
    return e


UNKNOWN = [
    I.AgentLogin("ghost"),
    I.AgentLogout("ghost"),
    I.AgentPause("ghost", "break"),
    I.AgentReady("ghost"),
    I.InteractionArrived("new", "no-such-queue"),
    I.InteractionArrived("new", "q", preferred_agent="ghost"),
    I.OfferAccepted("nope", "a1"),
    I.OfferAccepted("offered", "ghost"),
    I.OfferRejected("nope", "a1"),
    I.InteractionHeld("nope"),
    I.InteractionResumed("nope"),
    I.InteractionTransferred("nope", to_queue="q"),
    I.InteractionTransferred("talking", to_queue="no-such-queue"),
    I.InteractionTransferred("talking", to_agent="ghost"),
    I.InteractionEnded("nope"),
    I.WrapUpDone("nope"),
    I.InteractionAbandoned("nope"),
    I.CallbackRequested("nope", "+1555"),
]

ILLEGAL = [
    (I.AgentLogin("a1"), InvalidTransition),  # already logged in
    (I.AgentReady("a1"), InvalidTransition),  # not paused
    (I.AgentLogout("a2"), InvalidTransition),  # on a call
    (I.AgentPause("a3", "break"), InvalidTransition),  # offline
    (I.AgentPause("a1", "gossip"), InvalidInput),  # not a configured reason
    (I.InteractionArrived("waiting", "q"), DuplicateEntity),
    (I.OfferAccepted("offered", "a2"), InvalidTransition),  # offered to a1, not a2
    (I.OfferAccepted("waiting", "a1"), InvalidTransition),
    (I.OfferRejected("talking", "a2"), InvalidTransition),
    (I.InteractionHeld("waiting"), InvalidTransition),
    (I.InteractionResumed("talking"), InvalidTransition),  # not on hold
    (I.InteractionEnded("offered"), InvalidTransition),
    (I.WrapUpDone("talking"), InvalidTransition),  # no wrap-up yet
    (I.InteractionAbandoned("talking"), InvalidTransition),
    (I.CallbackRequested("talking", "+1555"), InvalidTransition),
    (I.CallbackRequested("waiting", ""), InvalidInput),
    (I.InteractionTransferred("waiting", to_queue="q"), InvalidTransition),
    (I.InteractionTransferred("talking"), InvalidInput),
    (I.InteractionTransferred("talking", to_agent="a3"), InvalidTransition),  # a3 is offline
]


@pytest.mark.parametrize("inp", UNKNOWN, ids=repr)
def test_unknown_ids_raise_and_change_nothing(engine: RoutingEngine, inp: I.Input) -> None:
    before = engine.snapshot()
    timer = engine.next_timer()
    with pytest.raises(UnknownEntity):
        engine.handle(inp, 50)
    assert engine.snapshot() == before
    assert engine.next_timer() == timer


@pytest.mark.parametrize(("inp", "error"), ILLEGAL, ids=repr)
def test_illegal_transitions_raise_and_change_nothing(
    engine: RoutingEngine, inp: I.Input, error: type[CoreError]
) -> None:
    before = engine.snapshot()
    with pytest.raises(error):
        engine.handle(inp, 50)
    assert engine.snapshot() == before


def test_unknown_ids_in_queries(engine: RoutingEngine) -> None:
    with pytest.raises(UnknownEntity):
        engine.position("nope")
    with pytest.raises(UnknownEntity):
        engine.estimated_wait("nope", 1)
    with pytest.raises(UnknownEntity):
        engine.estimated_wait_for_newcomer("no-such-queue", 1)
    with pytest.raises(UnknownEntity):
        engine.agent_state("ghost")
    with pytest.raises(UnknownEntity):
        engine.queue_length("no-such-queue")


def test_not_a_routing_input(engine: RoutingEngine) -> None:
    with pytest.raises(InvalidInput):
        engine.handle("hello", 1)  # type: ignore[arg-type]


def test_the_engine_still_works_after_refusals(engine: RoutingEngine) -> None:
    for inp, error in ILLEGAL:
        with pytest.raises(error):
            engine.handle(inp, 50)
    engine.handle(I.OfferAccepted("offered", "a1"), 51)
    assert engine.position("waiting") == 1
