"""Callbacks that keep their place, resume on redial, maximum wait, position and wait estimates."""

from __future__ import annotations

import pytest

from helpline.core import commands as C
from helpline.core import events as E
from helpline.core import inputs as I
from helpline.core.agent import AgentState
from helpline.core.config import AgentConfig, Channel, QueueConfig, SkillRequirement
from helpline.core.interaction import InteractionState
from helpline.core.routing.engine import RoutingEngine

from .scenario import TICK, Like, agents, announce, call, login_all, offer, play, tenant


def busy_engine(n_agents: int = 1, **queue: object) -> RoutingEngine:
    """Agents a1..an, each busy on a call accepted at t=1."""
    ids = [f"a{k}" for k in range(1, n_agents + 1)]
    e = RoutingEngine(tenant([QueueConfig("q", **queue)], agents(*ids)))  # type: ignore[arg-type]
    login_all(e, ids, t=0, step=0)
    for a in ids:
        e.handle(call(f"busy-{a}"), 1)
        e.handle(I.OfferAccepted(f"busy-{a}", a), 1)
    return e


def test_callback_keeps_its_place_and_dials_the_agent_first() -> None:
    e = busy_engine()
    play(
        e,
        [
            (10, call("c1", customer="+15550001"), [announce("c1", 1)]),
            (11, call("c2", customer="+15550002"), [announce("c2", 2)]),
            (12, I.CallbackRequested("c1", "+15550001"), [E.CallbackRequested(12, "c1", "+15550001")]),
            (13, call("c3"), [announce("c3", 3)]),
        ],
    )
    assert e.interaction_state("c1") is InteractionState.CALLBACK_WAITING
    assert e.waiting("q") == ["c1", "c2", "c3"]
    play(
        e,
        [
            (
                100,
                I.InteractionEnded("busy-a1"),
                [C.StartCallback("c1", "a1", "+15550001", 120.0, "q"), Like(E.InteractionOffered, callback=True)],
            ),
            # the agent does not answer: the callback returns to its place, not the tail
            (120, TICK, [C.CancelOffer("c1", "a1", "no-answer"), Like(C.StartCallback, interaction="c1")]),
            (121, I.OfferAccepted("c1", "a1"), [E.InteractionStarted(121, "c1", "a1")]),
        ],
    )
    assert e.waiting("q") == ["c2", "c3"]


def test_resume_on_redial_within_the_window_takes_the_old_place_back() -> None:
    e = busy_engine(resume_window_s=60)
    play(
        e,
        [
            (10, call("c1", customer="+1555"), [announce("c1", 1)]),
            (20, call("c2", customer="+1666"), [announce("c2", 2)]),
            (30, I.InteractionAbandoned("c1"), []),
            (40, call("c3"), [announce("c3", 2)]),
            (
                50,
                call("c1b", customer="+1555"),
                [announce("c1b", 1), Like(E.InteractionQueued, order_at=10, resumed_from="c1", position=1)],
            ),
        ],
    )
    assert e.waiting("q") == ["c1b", "c2", "c3"]
    assert not e.has_interaction("c1")


def test_redial_after_the_window_goes_to_the_tail() -> None:
    e = busy_engine(resume_window_s=60)
    play(
        e,
        [
            (10, call("c1", customer="+1555"), [announce("c1", 1)]),
            (20, call("c2"), [announce("c2", 2)]),
            (30, I.InteractionAbandoned("c1"), []),
            (90, TICK, [E.ResumeWindowExpired(90, "c1")]),
            (91, call("c1b", customer="+1555"), [announce("c1b", 2), Like(E.InteractionQueued, resumed_from=None)]),
        ],
    )


def test_a_different_queue_does_not_resume() -> None:
    cfg = tenant([QueueConfig("q"), QueueConfig("other")], agents("a1"))
    e = RoutingEngine(cfg)
    e.handle(call("c1", customer="+1555"), 10)
    e.handle(I.InteractionAbandoned("c1"), 11)
    d = e.handle(call("c2", "other", customer="+1555"), 12)
    assert [f for f in d.events if isinstance(f, E.InteractionQueued)][0].resumed_from is None


def test_max_wait_sends_the_interaction_to_the_overflow_destination() -> None:
    e = busy_engine(max_wait_s=120, overflow_destination="voicemail")
    play(
        e,
        [
            (10, call("c1"), [announce("c1", 1)]),
            (20, call("c2"), [announce("c2", 2)]),
            (130, TICK, [C.SendToOverflow("c1", "voicemail"), E.InteractionOverflowed(130, "c1", "voicemail", 120)]),
        ],
    )
    assert e.waiting("q") == ["c2"]
    assert e.next_timer() == 140


def test_max_wait_cancels_a_ringing_offer() -> None:
    e = RoutingEngine(tenant([QueueConfig("q", max_wait_s=30, offer_timeout_s=60)], agents("a1")))
    login_all(e, ["a1"])
    play(
        e,
        [
            (1, call("c1"), [offer("c1", "a1")]),
            (31, TICK, [C.CancelOffer("c1", "a1", "overflow"), C.SendToOverflow("c1", None)]),
        ],
    )
    assert e.agent_state("a1") is AgentState.AVAILABLE


def test_position_and_estimate_follow_the_kth_agent_release() -> None:
    e = busy_engine(n_agents=2, aht_prior_s=300)
    for k in range(1, 6):
        e.handle(call(f"w{k}"), 10)
    # two busy agents with a 300 s mean handle time release one call every 150 s on average
    assert e.position("w1") == 1 and e.position("w5") == 5
    now = 101.0
    assert e.estimated_wait("w1", now) == pytest.approx(150)
    assert e.estimated_wait("w2", now) == pytest.approx(300)
    assert e.estimated_wait("w5", now) == pytest.approx(750)
    assert e.estimated_wait_for_newcomer("q", now) == pytest.approx(900)  # 6th in line
    assert e.estimated_wait_for_newcomer("q", now, priority=5) == pytest.approx(150)  # jumps the line
    e.handle(I.InteractionAbandoned("w1"), 102)
    assert e.estimated_wait("w5", 102) == pytest.approx(600)  # moved up to 4th


def test_free_agents_mean_no_wait_and_more_agents_mean_a_shorter_one() -> None:
    cfg = tenant([QueueConfig("q", aht_prior_s=100)], agents("a1", "a2", "a3", "a4"))
    e = RoutingEngine(cfg)
    login_all(e, ["a1", "a2"], t=0, step=0)
    assert e.estimated_wait_for_newcomer("q", 1) == 0.0
    e.handle(call("c1"), 1)
    e.handle(call("c2"), 1)
    assert e.estimated_wait_for_newcomer("q", 2) == pytest.approx(50)
    login_all(e, ["a3", "a4"], t=3, step=0)  # they take nothing: the two calls are ringing a1, a2
    assert e.estimated_wait_for_newcomer("q", 4) == 0.0
    e.handle(call("c3"), 5)
    e.handle(call("c4"), 5)
    assert e.estimated_wait_for_newcomer("q", 6) == pytest.approx(25)


def test_estimates_learn_handle_times_and_use_the_agents_who_can_serve() -> None:
    cfg = tenant(
        [QueueConfig("q", aht_prior_s=1000)],
        [AgentConfig("es", queues=("q",), skills={"es": 3}), AgentConfig("en", queues=("q",))],
    )
    e = RoutingEngine(cfg)
    login_all(e, ["es", "en"], t=0, step=0)
    for a in ("es", "en"):  # each agent handles one call in 60 s
        e.handle(call(f"x{a}", preferred_agent=a), 0)
        e.handle(I.OfferAccepted(f"x{a}", a), 0)
        e.handle(I.InteractionEnded(f"x{a}"), 60)
    assert e.estimated_wait_for_newcomer("q", 60) == 0.0
    e.handle(call("b1", skills=(SkillRequirement("es"),)), 60)
    e.handle(I.OfferAccepted("b1", "es"), 60)
    e.handle(call("b2"), 60)
    e.handle(I.OfferAccepted("b2", "en"), 60)
    spanish = (SkillRequirement("es", 1),)
    assert e.estimated_wait_for_newcomer("q", 80, skills=spanish) == pytest.approx(60)  # only "es"
    assert e.estimated_wait_for_newcomer("q", 80) == pytest.approx(30)  # either agent
    e.handle(I.AgentPause("es", "break"), 80)
    assert e.estimated_wait_for_newcomer("q", 80, skills=spanish) is None  # nobody can serve it
    assert e.estimated_wait_for_newcomer("q", 80) == pytest.approx(60)


def test_queued_fact_records_the_estimate_given_at_entry() -> None:
    e = busy_engine(aht_prior_s=120)
    d = e.handle(call("c1"), 61)
    (queued,) = [f for f in d.events if isinstance(f, E.InteractionQueued)]
    assert queued.ewt == pytest.approx(120)
    assert queued.position == 1
    assert C.AnnouncePosition("c1", 1, queued.ewt) in d.commands


def test_wallboard_read_outs() -> None:
    cfg = tenant([QueueConfig("q", channels=(Channel.VOICE,))], agents("a1", "a2", "a3"))
    e = RoutingEngine(cfg)
    login_all(e, ["a1", "a2"], t=0, step=0)
    e.handle(call("c1"), 1)
    e.handle(I.OfferAccepted("c1", "a1"), 2)
    e.handle(I.AgentPause("a2", "lunch"), 3)
    e.handle(call("c2"), 5)
    e.handle(call("c3"), 7)
    by_state = e.agents_by_state()
    assert by_state[AgentState.BUSY] == ["a1"]
    assert by_state[AgentState.PAUSED] == ["a2"]
    assert by_state[AgentState.OFFLINE] == ["a3"]
    assert e.queue_length("q") == 2
    assert e.oldest_wait("q", 10) == 5
    assert e.queue_summary(10)["q"] == {"waiting": 2, "offered": 0, "oldest_wait_s": 5, "staffed": 2, "available": 0}


def test_estimate_for_extra_skills_counts_only_the_agents_who_have_them() -> None:
    sales = (SkillRequirement("sales", 1),)
    cfg = tenant(
        [QueueConfig("q", required_skills=sales, aht_prior_s=300)],
        (
            AgentConfig("a1", skills={"sales": 3, "spanish": 4}, queues=("q",)),
            AgentConfig("a2", skills={"sales": 2, "spanish": 2}, queues=("q",)),
            AgentConfig("a3", skills={"sales": 5}, queues=("q",)),
            AgentConfig("a4", skills={"spanish": 5}, queues=("q",)),  # lacks the queue's skill
            AgentConfig("a5", skills={"sales": 1, "spanish": 3}, queues=("q",)),
        ),
    )
    e = RoutingEngine(cfg)
    login_all(e, ["a1", "a2", "a3", "a4"], t=0, step=0)
    for a in ["a1", "a2", "a3"]:
        e.handle(call(f"busy-{a}", preferred_agent=a), 1)
        e.handle(I.OfferAccepted(f"busy-{a}", a), 1)
    spanish = (SkillRequirement("spanish", 3),)
    # each busy server releases at 1/300 s: the first release among k of them comes after 300/k s
    assert e.estimated_wait_for_newcomer("q", 2) == pytest.approx(100)  # a1, a2, a3
    assert e.estimated_wait_for_newcomer("q", 2, skills=spanish) == pytest.approx(300)  # a1 only
    assert e.estimated_wait_for_newcomer("q", 2, skills=(SkillRequirement("sales", 3),)) == pytest.approx(150)
    assert e.estimated_wait_for_newcomer("q", 2, skills=(SkillRequirement("french", 1),)) is None
    login_all(e, ["a5"], t=3, step=0)
    assert e.estimated_wait_for_newcomer("q", 4, skills=spanish) == 0.0  # a5 is free
    e.handle(call("s1", skills=spanish), 5)
    assert e.agent_state("a5") is AgentState.RESERVED
    assert e.estimated_wait_for_newcomer("q", 6, skills=spanish) == pytest.approx(150)  # a1, a5
