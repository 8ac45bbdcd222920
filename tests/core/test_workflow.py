"""Workflow steps widen a waiting interaction over time; it keeps its place. Cross-queue fairness."""

from __future__ import annotations

from helpline.core import commands as C
from helpline.core import events as E
from helpline.core import inputs as I
from helpline.core.config import AgentConfig, QueueConfig, SkillRequirement, StepAction, WorkflowStep
from helpline.core.routing.engine import RoutingEngine

from .scenario import TICK, Like, announce, call, login_all, offer, play, tenant

SPANISH = (SkillRequirement("es", 4),)


def test_drop_skill_after_a_while_and_the_interaction_keeps_its_place() -> None:
    q = QueueConfig("q", required_skills=SPANISH, steps=(WorkflowStep(30, StepAction.DROP_SKILL, skill="es"),))
    cfg = tenant([q], [AgentConfig("es", queues=("q",), skills={"es": 5}), AgentConfig("en", queues=("q",))])
    e = RoutingEngine(cfg)
    login_all(e, ["es"])
    play(
        e,
        [
            (1, call("c1"), [offer("c1", "es")]),
            (1.5, I.OfferAccepted("c1", "es"), []),
            (2, call("c2"), [announce("c2", 1)]),
            (3, call("c3"), [announce("c3", 2)]),
            (10, I.AgentLogin("en"), []),  # cannot take Spanish calls yet
            (
                32,
                TICK,
                [
                    offer("c2", "en"),  # c2 widened first and is still ahead of c3
                    Like(E.WorkflowStepApplied, interaction="c2", step=0, skills=()),
                ],
            ),
            (33, TICK, [Like(E.WorkflowStepApplied, interaction="c3", step=0, skills=())]),
        ],
    )
    assert e.position("c3") == 1


def test_lower_proficiency_step() -> None:
    q = QueueConfig(
        "q", required_skills=SPANISH, steps=(WorkflowStep(20, StepAction.LOWER_PROFICIENCY, skill="es", min_proficiency=2),)
    )
    cfg = tenant([q], [AgentConfig("weak", queues=("q",), skills={"es": 2}), AgentConfig("none", queues=("q",))])
    e = RoutingEngine(cfg)
    login_all(e, ["weak", "none"])
    play(
        e,
        [
            (5, call("c1"), [announce("c1", 1)]),
            (25, TICK, [offer("c1", "weak"), Like(E.WorkflowStepApplied, skills=(("es", 2),))]),
        ],
    )


def test_add_queue_overflows_to_another_queues_agents() -> None:
    q = QueueConfig("sales", steps=(WorkflowStep(60, StepAction.ADD_QUEUE, queue="support"),))
    cfg = tenant(
        [q, QueueConfig("support")],
        [AgentConfig("s1", queues=("sales",)), AgentConfig("p1", queues=("support",))],
    )
    e = RoutingEngine(cfg)
    login_all(e, ["s1", "p1"])
    play(
        e,
        [
            (1, call("c1", "sales"), [offer("c1", "s1")]),
            (2, I.OfferAccepted("c1", "s1"), []),
            (3, call("c2", "sales"), [announce("c2", 1)]),  # p1 is free but serves support only
            (63, TICK, [Like(C.OfferInteraction, interaction="c2", agents=("p1",), queue="support")]),
        ],
    )


def test_add_group_and_raise_priority_steps() -> None:
    q = QueueConfig(
        "q",
        steps=(
            WorkflowStep(10, StepAction.RAISE_PRIORITY, priority=5),
            WorkflowStep(20, StepAction.ADD_GROUP, group="supervisors"),
        ),
    )
    cfg = tenant(
        [q],
        [AgentConfig("a1", queues=("q",)), AgentConfig("boss", groups=("supervisors",))],
    )
    e = RoutingEngine(cfg)
    login_all(e, ["a1", "boss"])
    play(
        e,
        [
            (1, call("c1"), [offer("c1", "a1")]),
            (2, I.OfferAccepted("c1", "a1"), []),
            (3, call("old"), [announce("old", 1)]),
            (9, call("vip", priority=3), [announce("vip", 1)]),  # priority 3 goes ahead of "old"
            (13, TICK, [Like(E.WorkflowStepApplied, interaction="old", priority=5)]),
            # old (raised to 5) is ahead of vip (3) from t=13 ... until vip's own raise at t=19
            (19, TICK, [Like(E.WorkflowStepApplied, interaction="vip", priority=8)]),
            (23, TICK, [offer("old", "boss")]),  # old reaches the supervisors' group first
        ],
    )
    assert e.position("vip") == 1


def test_cross_queue_fairness_priority_then_weighted_wait() -> None:
    cfg = tenant(
        [QueueConfig("a", weight=1.0), QueueConfig("b", weight=3.0), QueueConfig("c", priority=1)],
        [AgentConfig("x", queues=("a", "b", "c")), AgentConfig("only_a", queues=("a",))],
    )
    e = RoutingEngine(cfg)
    login_all(e, ["x"])
    play(
        e,
        [
            (0, call("busy", "a"), [offer("busy", "x")]),
            (1, I.OfferAccepted("busy", "x"), []),
            (10, call("a1", "a"), [announce("a1", 1)]),  # waits 90 s by t=100 (weighted 90)
            (60, call("b1", "b"), [announce("b1", 1)]),  # waits 40 s (weighted 120)
            (70, call("c1", "c"), [announce("c1", 1)]),
            (71, I.InteractionAbandoned("c1"), []),
            (100, I.InteractionEnded("busy"), [offer("b1", "x")]),
        ],
    )
    e.handle(I.OfferAccepted("b1", "x"), 101)
    e.handle(call("c2", "c"), 102)  # queue c has priority 1: before a1 despite a shorter wait
    play(e, [(200, I.InteractionEnded("b1"), [offer("c2", "x")])])
