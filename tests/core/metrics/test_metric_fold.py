"""The metric fold on hand-made fact sequences, at the boundaries of every definition."""

from __future__ import annotations

import math

import pytest

from helpline.core import events as E
from helpline.core import inputs as I
from helpline.core.agent import AgentState
from helpline.core.config import AgentConfig, Channel, QueueConfig, TenantConfig
from helpline.core.metrics import MetricFold
from helpline.core.routing.engine import RoutingEngine

CONFIG = TenantConfig(
    "t",
    queues=(QueueConfig("q", sl_threshold_s=20.0, wrap_up_s=10.0), QueueConfig("r", sl_threshold_s=60.0)),
    agents=(AgentConfig("a", queues=("q", "r")), AgentConfig("b", queues=("q",))),
    short_abandon_s=5.0,
)


def queued(at: float, iid: str, queue: str = "q", ewt: float | None = None) -> E.InteractionQueued:
    return E.InteractionQueued(at, iid, queue, 0, (), at, 0, 1, ewt)


def started(at: float, iid: str, agent: str = "a") -> E.InteractionStarted:
    return E.InteractionStarted(at, iid, agent)


def abandoned(at: float, iid: str, waited: float) -> E.InteractionAbandoned:
    return E.InteractionAbandoned(at, iid, "queued", waited)


def state(at: float, agent: str, new: AgentState, old: AgentState) -> E.AgentStateChanged:
    return E.AgentStateChanged(at, agent, new, old, "test")


def fold_of(*events: E.Event, interval_s: float = 900.0, **kw: float) -> MetricFold:
    fold = MetricFold(CONFIG, interval_s=interval_s, **kw)
    for e in events:
        fold.add(e)
    return fold


def test_abandon_at_exactly_short_threshold_is_short_and_just_after_is_not() -> None:
    r = fold_of(
        queued(0, "x"),
        abandoned(5.0, "x", 5.0),
        queued(0, "y"),
        abandoned(5.001, "y", 5.001),
        queued(0, "z"),
        started(3.0, "z"),
    ).result()
    t = r.total("q")
    assert (t.offered, t.abandoned, t.short_abandoned, t.answered) == (3, 2, 1, 1)
    # denominators leave the short abandon out: 3 offered - 1 short = 2
    assert t.service_level == pytest.approx(1 / 2)
    assert t.abandon_rate == pytest.approx(1 / 2)


def test_answered_at_exactly_threshold_counts_within_and_just_after_does_not() -> None:
    t = (
        fold_of(
            queued(0, "x"),
            started(20.0, "x"),
            queued(0, "y"),
            started(20.0001, "y", "b"),
        )
        .result()
        .total("q")
    )
    assert (t.answered, t.answered_within) == (2, 1)
    assert t.service_level == pytest.approx(0.5)
    assert t.asa_s == pytest.approx(20.00005)


def test_threshold_is_the_queues_own() -> None:
    t = fold_of(queued(0, "x", "r"), started(59.0, "x")).result().total("r")
    assert t.answered_within == 1 and t.service_level == 1.0


def test_calls_count_in_the_interval_they_entered_the_queue() -> None:
    r = fold_of(
        queued(899.999, "x"),
        started(950.0, "x"),  # answered in the next interval: still interval 0
        queued(900.0, "y"),
        started(901.0, "y", "b"),  # exactly on the boundary: interval 1
        interval_s=900.0,
    ).result()
    assert sorted(r.queues["q"]) == [0, 1]
    assert r.queues["q"][0].answered == 1 and r.queues["q"][0].wait_s == pytest.approx(50.001)
    assert r.queues["q"][1].answered == 1
    assert r.interval_start(1) == 900.0
    assert [row["interval"] for row in r.rows()] == [0, 1]


def test_aht_is_talk_hold_and_wrap_up_per_handled_interaction() -> None:
    events = [
        queued(0, "x"),
        started(2, "x"),
        E.InteractionHeld(30, "x"),
        E.InteractionResumed(40, "x"),
        E.InteractionEnded(102, "x", "a", True),
        E.WrapUpStarted(102, "x", "a", 112),
    ]
    fold = fold_of(*events)
    assert fold.result().total("q").handled == 0  # not handled until wrap-up is done
    fold.add(E.WrapUpEnded(110, "x", "a", None, "", False))
    t = fold.result().total("q")
    assert (t.handled, t.talk_s, t.wrap_s) == (1, 100.0, 8.0)
    assert t.aht_s == pytest.approx(108.0)
    fold.add_all([queued(200, "y", "r"), started(200, "y"), E.InteractionEnded(260, "y", "a", False)])
    assert fold.result().total("r").aht_s == pytest.approx(60.0)
    assert fold.result().total().handled == 2


def test_transfer_offers_again_in_the_target_queue() -> None:
    t = fold_of(
        queued(0, "x"),
        started(1, "x"),
        E.InteractionTransferred(31, "x", "a", "r", None, False),
        queued(31, "x", "r"),
        started(41, "x", "b"),
        E.InteractionEnded(61, "x", "b", False),
    ).result()
    q, r = t.total("q"), t.total("r")
    assert (q.offered, q.answered, q.handled, q.transferred_out, q.talk_s) == (1, 1, 1, 1, 30.0)
    assert (r.offered, r.answered, r.handled, r.wait_s, r.talk_s) == (1, 1, 1, 10.0, 20.0)


def test_overflow_and_unknown_interactions() -> None:
    t = (
        fold_of(
            queued(0, "x"),
            E.InteractionOverflowed(900, "x", "elsewhere", 900),
            started(5, "ghost"),
            abandoned(6, "ghost2", 1.0),  # never seen queued: ignored
        )
        .result()
        .total()
    )
    assert (t.offered, t.overflowed, t.answered, t.abandoned) == (1, 1, 0, 0)
    assert t.service_level == 0.0 and t.asa_s is None and t.aht_s is None


def test_ewt_accuracy_against_actual_wait() -> None:
    t = (
        fold_of(
            queued(0, "x", ewt=10.0),
            started(12.0, "x"),  # error -2 (20% of 12 = 2.4: within)
            queued(0, "y", ewt=30.0),
            started(20.0, "y", "b"),  # error +10 (20% of 20 = 4: outside)
            queued(0, "z", ewt=None),
            started(1.0, "z"),  # no estimate given
            queued(0, "w", ewt=0.0),
            abandoned(50, "w", 50),  # abandoned: no actual wait to compare
        )
        .result()
        .total()
    )
    ewt = t.ewt
    assert (ewt.n, ewt.missing) == (2, 1)
    assert ewt.mean_error_s == pytest.approx(4.0)
    assert ewt.mean_abs_error_s == pytest.approx(6.0)
    assert ewt.within_share == pytest.approx(0.5)


def test_ewt_floor_covers_short_waits() -> None:
    events = [queued(0, "x", ewt=3.0), started(0.0, "x")]
    assert fold_of(*events).result().total().ewt.within_share == 0.0
    assert fold_of(*events, ewt_floor_s=5.0).result().total().ewt.within_share == 1.0


def test_occupancy_counts_handling_over_handling_plus_available_cut_at_intervals() -> None:
    S = AgentState
    fold = fold_of(
        state(0, "a", S.AVAILABLE, S.OFFLINE),
        state(50, "a", S.RESERVED, S.AVAILABLE),
        state(60, "a", S.BUSY, S.RESERVED),
        state(90, "a", S.WRAP_UP, S.BUSY),
        state(100, "a", S.PAUSED, S.WRAP_UP),  # paused time counts in neither
        state(150, "a", S.AVAILABLE, S.PAUSED),
        interval_s=120.0,
    )
    r = fold.result(now=200.0)
    a0, a1 = r.agents["a"][0], r.agents["a"][1]
    assert (a0.handling_s, a0.available_s) == (50.0, 50.0)  # 50-100 handling; 0-50 available
    assert (a1.handling_s, a1.available_s) == (0.0, 50.0)  # 150-200 available (open state up to now)
    assert r.occupancy("a") == pytest.approx(50 / 150)
    assert r.occupancy() == pytest.approx(50 / 150)
    # the result is a copy: more facts do not change it, and the open state was not consumed
    fold.add(state(210, "a", S.BUSY, S.AVAILABLE))
    assert r.occupancy("a") == pytest.approx(50 / 150)
    assert fold.result(now=240.0).agents["a"][1].available_s == 60.0


def test_a_state_spanning_several_intervals_is_split() -> None:
    S = AgentState
    r = fold_of(
        state(10, "b", S.BUSY, S.OFFLINE), state(370, "b", S.AVAILABLE, S.BUSY), interval_s=100.0
    ).result()
    assert [r.agents["b"][k].handling_s for k in range(4)] == [90.0, 100.0, 100.0, 70.0]


def test_one_interval_for_the_whole_run() -> None:
    r = fold_of(queued(1e7, "x"), started(1e7 + 1, "x"), interval_s=math.inf).result()
    assert list(r.queues["q"]) == [0] and r.interval_start(0) == 0.0


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError):
        MetricFold(CONFIG, interval_s=0)
    with pytest.raises(ValueError):
        MetricFold(CONFIG, ewt_tolerance=-1)


def test_fold_of_the_routing_engines_own_facts() -> None:
    engine = RoutingEngine(CONFIG)
    fold = MetricFold(CONFIG, interval_s=3600.0)
    script: list[tuple[float, I.Input]] = [
        (0, I.AgentLogin("a")),
        (1, I.InteractionArrived("c1", "q")),
        (2, I.OfferAccepted("c1", "a")),
        (3, I.InteractionArrived("c2", "q")),  # waits: b is logged out
        (5, I.InteractionArrived("c3", "q", channel=Channel.VOICE)),
        (7, I.InteractionAbandoned("c3")),  # 2 s: short
        (62, I.InteractionEnded("c1")),
    ]
    for at, inp in script:
        fold.add_all(engine.handle(inp, at).events)
    while (due := engine.next_timer()) is not None and due <= 72:
        fold.add_all(engine.on_timer(due).events)  # a's wrap-up ends; c2 is offered to a
    fold.add_all(engine.handle(I.OfferAccepted("c2", "a"), 80).events)
    t = fold.result().total("q")
    assert (t.offered, t.answered, t.answered_within, t.short_abandoned, t.handled) == (3, 2, 1, 1, 1)
    assert t.asa_s == pytest.approx((1 + 77) / 2)
    assert t.aht_s == pytest.approx(60 + 10)
    assert t.service_level == pytest.approx(1 / 2)
    occ = fold.result().occupancy("a")
    assert occ is not None and 0.9 < occ <= 1.0
