"""Capacity, offers (accept, reject, ring-no-answer), wrap-up, abandonment and transfers."""

from __future__ import annotations

import pytest

from helpline.core import commands as C
from helpline.core import events as E
from helpline.core import inputs as I
from helpline.core.agent import AgentState
from helpline.core.config import AgentConfig, Channel, QueueConfig
from helpline.core.errors import InvalidTransition
from helpline.core.interaction import InteractionState
from helpline.core.routing.engine import RoutingEngine

from .scenario import TICK, Like, agents, announce, call, chat, login_all, offer, play, tenant

CHAT_AGENT = {"capacity": {Channel.VOICE: 1, Channel.CHAT: 3}, "total_capacity": 3}


def test_chat_capacity_per_channel_and_in_total() -> None:
    cfg = tenant([QueueConfig("q", channels=(Channel.VOICE, Channel.CHAT))], agents("a1", **CHAT_AGENT))
    e = RoutingEngine(cfg)
    login_all(e, ["a1"])
    play(
        e,
        [
            (1, chat("m1"), [offer("m1", "a1")]),
            (2, I.OfferAccepted("m1", "a1"), [Like(E.AgentStateChanged, state=AgentState.BUSY)]),
            (3, chat("m2"), [offer("m2", "a1")]),  # busy on one chat, still offered more
            (4, call("v1"), [offer("v1", "a1")]),  # a voice call fits too: total 3
            (5, chat("m3"), [announce("m3", 1)]),  # total capacity reached
            # the slot frees, but v1 is ahead of m3 and no one else can take it: back to a1
            (6, I.OfferRejected("v1", "a1"), [offer("v1", "a1")]),
            (7, I.OfferRejected("v1", "a1"), [offer("v1", "a1")]),
        ],
    )
    assert e.position("m3") == 1
    assert e.agent_state("a1") is AgentState.BUSY


def test_multi_chat_spreads_over_agents_before_stacking() -> None:
    cfg = tenant([QueueConfig("q", channels=(Channel.CHAT,))], agents("a1", "a2", **CHAT_AGENT))
    e = RoutingEngine(cfg)
    login_all(e, ["a1", "a2"])
    play(e, [(1, chat("m1"), [offer("m1", "a1")]), (2, chat("m2"), [offer("m2", "a2")]), (3, chat("m3"), [offer("m3", "a1")])])


def test_reject_goes_to_another_agent_and_keeps_the_place() -> None:
    e = RoutingEngine(tenant([QueueConfig("q")], agents("a1", "a2")))
    login_all(e, ["a1", "a2"])
    play(
        e,
        [
            (1, call("c1"), [offer("c1", "a1")]),
            (2, call("c2"), [offer("c2", "a2")]),
            (3, call("c3"), [announce("c3", 1)]),
            # c1 goes back ahead of c3; nobody else is free, so it is offered back to a1
            (4, I.OfferRejected("c1", "a1"), [offer("c1", "a1"), E.OfferRejected(4, "c1", "a1")]),
            (5, I.OfferAccepted("c2", "a2"), []),
            (6, I.InteractionEnded("c2"), [offer("c3", "a2")]),
            (7, I.OfferRejected("c1", "a1"), [offer("c1", "a1")]),
            (8, I.OfferRejected("c3", "a2"), [offer("c3", "a2")]),
        ],
    )
    assert e.interaction_state("c1") is InteractionState.OFFERED


def test_a_rejected_interaction_is_not_offered_straight_back_when_another_agent_is_free() -> None:
    e = RoutingEngine(tenant([QueueConfig("q")], agents("a1", "a2", "a3")))
    login_all(e, ["a1", "a2", "a3"])
    play(
        e,
        [
            (1, call("c1"), [offer("c1", "a1")]),
            (2, call("c2"), [offer("c2", "a2")]),
            (3, call("c3"), [offer("c3", "a3")]),
            (4, call("c4"), [announce("c4", 1)]),
            (5, I.OfferAccepted("c2", "a2"), []),
            (6, I.InteractionEnded("c2"), [offer("c4", "a2")]),
            (7, I.OfferRejected("c4", "a2"), [offer("c4", "a2")]),
            (8, I.OfferAccepted("c3", "a3"), []),
            # c1 rejected by a1 while a3 frees at once: c1 keeps its place at the head and a3 is free
            (9, I.InteractionEnded("c3"), []),
            (10, I.OfferRejected("c1", "a1"), [offer("c1", "a3")]),
        ],
    )


def test_missed_offers_move_on_and_pause_the_agent_after_n_in_a_row() -> None:
    cfg = tenant([QueueConfig("q", offer_timeout_s=10, max_consecutive_misses=2)], agents("a1", "a2"))
    e = RoutingEngine(cfg)
    login_all(e, ["a1", "a2"])
    play(
        e,
        [
            (1, call("c1"), [offer("c1", "a1")]),
            (11, TICK, [C.CancelOffer("c1", "a1", "no-answer"), offer("c1", "a2"), E.OfferTimedOut(11, "c1", ("a1",))]),
            (11.5, I.OfferAccepted("c1", "a2"), []),
            (12, call("c2"), [offer("c2", "a1")]),
            (
                22,
                TICK,
                [
                    C.CancelOffer("c2", "a1", "no-answer"),
                    C.NotifyAgentPaused("a1", "missed"),
                    E.OfferTimedOut(22, "c2", ("a1",)),
                    E.AgentPaused(22, "a1", "missed"),
                ],
            ),
        ],
    )
    assert e.agent_state("a1") is AgentState.PAUSED
    assert e.position("c2") == 1  # a2 is busy with c1


def test_an_accept_resets_the_miss_count() -> None:
    cfg = tenant([QueueConfig("q", offer_timeout_s=10, max_consecutive_misses=2)], agents("a1"))
    e = RoutingEngine(cfg)
    login_all(e, ["a1"])
    e.handle(call("c1"), 1)
    e.handle(I.OfferRejected("c1", "a1"), 2)  # 1 miss; offered straight back (no one else)
    e.handle(I.OfferAccepted("c1", "a1"), 3)
    e.handle(I.InteractionEnded("c1"), 4)
    e.handle(call("c2"), 5)
    d = e.handle(I.OfferRejected("c2", "a1"), 6)
    assert not [c for c in d.commands if isinstance(c, C.NotifyAgentPaused)]


def test_wrap_up_timer_and_early_wrap_up_with_disposition() -> None:
    cfg = tenant([QueueConfig("q", wrap_up_s=30)], agents("a1"), dispositions=("sale", "no-sale"))
    e = RoutingEngine(cfg)
    login_all(e, ["a1"])
    play(
        e,
        [
            (1, call("c1"), [offer("c1", "a1")]),
            (2, I.OfferAccepted("c1", "a1"), [E.InteractionStarted(2, "c1", "a1")]),
            (3, call("c2"), [announce("c2", 1)]),
            (50, I.InteractionEnded("c1"), [E.InteractionEnded(50, "c1", "a1", True), E.WrapUpStarted(50, "c1", "a1", 80)]),
            (80, TICK, [offer("c2", "a1"), E.WrapUpEnded(80, "c1", "a1", None, "", True)]),
            (81, I.OfferAccepted("c2", "a1"), []),
            (90, I.InteractionEnded("c2"), []),
            (
                95,
                I.WrapUpDone("c2", "sale", "upsold the warranty"),
                [E.WrapUpEnded(95, "c2", "a1", "sale", "upsold the warranty", False)],
            ),
        ],
    )
    assert e.agent_state("a1") is AgentState.AVAILABLE
    assert not e.has_interaction("c2")
    assert e.next_timer() is None  # the wrap-up timer of c2 is void


def test_abandon_while_queued_and_while_offered() -> None:
    e = RoutingEngine(tenant([QueueConfig("q")], agents("a1")))
    login_all(e, ["a1"])
    play(
        e,
        [
            (1, call("c1"), [offer("c1", "a1")]),
            (2, call("c2"), [announce("c2", 1)]),
            (3, call("c3"), [announce("c3", 2)]),
            (4, I.InteractionAbandoned("c2"), [Like(E.InteractionAbandoned, interaction="c2", was="queued", waited_s=2)]),
            (
                5,
                I.InteractionAbandoned("c1"),
                [C.CancelOffer("c1", "a1", "abandoned"), offer("c3", "a1"), Like(E.InteractionAbandoned, was="offered")],
            ),
        ],
    )


def test_transfer_to_a_queue_and_to_an_agent() -> None:
    cfg = tenant(
        [QueueConfig("sales", wrap_up_s=5), QueueConfig("billing")],
        [AgentConfig("s1", queues=("sales",)), AgentConfig("b1", queues=("billing",)), AgentConfig("b2", queues=("billing",))],
    )
    e = RoutingEngine(cfg)
    login_all(e, ["s1", "b1", "b2"])
    play(
        e,
        [
            (10, call("c1", "sales"), [offer("c1", "s1")]),
            (11, I.OfferAccepted("c1", "s1"), []),
            (
                20,
                I.InteractionTransferred("c1", to_queue="billing"),
                [
                    offer("c1", "b1"),
                    Like(E.InteractionTransferred, from_agent="s1", to_queue="billing", wrap_up=True),
                    Like(E.InteractionQueued, interaction="c1", queue="billing", order_at=20),
                ],
            ),
            (21, I.OfferAccepted("c1", "b1"), []),
            (22, I.InteractionTransferred("c1", to_agent="b2"), [offer("c1", "b2")]),
            (23, I.OfferAccepted("c1", "b2"), []),
            (24, I.InteractionEnded("c1"), []),  # billing has no wrap-up: done
        ],
    )
    assert e.agent_state("b1") is AgentState.AVAILABLE
    assert e.agent_state("s1") is AgentState.WRAP_UP
    e.on_timer(25)
    assert e.agent_state("s1") is AgentState.AVAILABLE
    assert not e.has_interaction("c1")


def test_pause_cancels_pending_offers_and_logout_waits_for_work() -> None:
    e = RoutingEngine(tenant([QueueConfig("q")], agents("a1", "a2")))
    login_all(e, ["a1", "a2"])
    play(
        e,
        [
            (1, call("c1"), [offer("c1", "a1")]),
            (2, I.AgentPause("a1", "break"), [C.CancelOffer("c1", "a1", "agent-paused"), offer("c1", "a2")]),
            (3, I.OfferAccepted("c1", "a2"), []),
        ],
    )
    with pytest.raises(InvalidTransition):
        e.handle(I.AgentLogout("a2"), 4)
    play(e, [(5, I.AgentLogout("a1"), [E.AgentLoggedOut(5, "a1")])])


def test_an_agent_wrapping_up_an_interaction_is_not_offered_it_again() -> None:
    cfg = tenant(
        [QueueConfig("q", channels=(Channel.CHAT,), wrap_up_s=30)],
        agents("a1", "a2", capacity={Channel.CHAT: 2}, total_capacity=2),
    )
    e = RoutingEngine(cfg)
    login_all(e, ["a1"])
    play(
        e,
        [
            (1, chat("m1"), [offer("m1", "a1")]),
            (2, I.OfferAccepted("m1", "a1"), []),
            # back to the same queue: a1 has a free chat slot but is wrapping up m1 itself
            (3, I.InteractionTransferred("m1", to_queue="q"), [announce("m1", 1)]),
            (4, I.AgentLogin("a2"), [offer("m1", "a2")]),
        ],
    )
