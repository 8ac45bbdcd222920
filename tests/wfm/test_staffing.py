"""Staffing returns the truly smallest head count meeting every target."""

from __future__ import annotations

import math

import numpy as np
import pytest

from helpline.wfm.erlang import QueueMetrics, erlang_a, erlang_c
from helpline.wfm.staffing import StaffingError, Targets, required_agents, scheduled_heads, search_cap


def meets(m: QueueMetrics, t: Targets) -> np.ndarray:
    ok = np.ones(m.p_wait.shape, dtype=bool)
    if t.service_level is not None:
        ok &= m.service_level >= t.service_level
    if t.max_asa is not None:
        ok &= m.asa <= t.max_asa
    if t.max_abandon is not None:
        ok &= m.abandon_rate <= t.max_abandon
    if t.max_occupancy is not None:
        ok &= m.occupancy <= t.max_occupancy
    return ok


def brute_force(rate: float, aht: float, t: Targets, patience: float | None) -> int:
    heads = np.arange(0, int(rate * aht * 3) + 60)
    if patience is None:
        m = erlang_c(rate, aht, heads, target=t.target_time)
        ok = meets(m, t) & (heads > rate * aht)
    else:
        m = erlang_a(rate, aht, patience, heads, target=t.target_time, short_abandon=t.short_abandon)
        ok = meets(m, t)
    return int(np.argmax(ok)) if ok.any() else -1


def sl_pure(load: float, agents: int, t: float, aht: float) -> float:
    terms = [load**k / math.factorial(k) for k in range(agents)]
    last = load**agents / math.factorial(agents) * agents / (agents - load)
    c = last / (sum(terms) + last)
    return 1 - c * math.exp(-(agents - load) * t / aht)


def test_erlang_c_service_level_example_needs_fourteen_agents() -> None:
    # 100 calls per 30 minutes, AHT 180 s, 80 % within 20 s.
    s = required_agents(100 / 1800, 180, Targets(service_level=0.8, target_time=20))
    assert int(s.agents) == 14
    assert sl_pure(10.0, 13, 20, 180) < 0.8 <= sl_pure(10.0, 14, 20, 180)
    assert float(s.metrics.service_level) == pytest.approx(sl_pure(10.0, 14, 20, 180), rel=1e-9)


CASES = [
    (100 / 1800, 180.0, Targets(service_level=0.8, target_time=20), None),
    (100 / 1800, 180.0, Targets(service_level=0.8, target_time=20), 180.0),
    (0.2, 300.0, Targets(service_level=0.9, target_time=15, max_abandon=0.02), 120.0),
    (0.2, 300.0, Targets(max_asa=10.0), None),
    (0.2, 300.0, Targets(max_asa=10.0, max_abandon=0.1), 60.0),
    (0.05, 600.0, Targets(max_occupancy=0.85), None),
    (0.05, 600.0, Targets(max_occupancy=0.85, service_level=0.5, target_time=0.0), 300.0),
    (1.0, 30.0, Targets(service_level=0.8, target_time=5, short_abandon=3.0, max_abandon=0.05), 20.0),
    (3.0, 240.0, Targets(service_level=0.95, target_time=30, max_asa=5), 200.0),
]


@pytest.mark.parametrize(("rate", "aht", "targets", "patience"), CASES)
def test_staffing_is_the_smallest_count_meeting_every_target(
    rate: float, aht: float, targets: Targets, patience: float | None
) -> None:
    s = required_agents(rate, aht, targets, patience=patience)
    n = int(s.agents)
    assert n == brute_force(rate, aht, targets, patience)
    assert bool(meets(s.metrics, targets))
    below = (
        erlang_c(rate, aht, n - 1, target=targets.target_time)
        if patience is None
        else erlang_a(
            rate, aht, patience, n - 1, target=targets.target_time, short_abandon=targets.short_abandon
        )
    )
    assert not bool(meets(below, targets)) or (patience is None and n - 1 <= rate * aht)


def test_many_intervals_in_one_call_match_one_at_a_time() -> None:
    rng = np.random.default_rng(7)
    rates = rng.uniform(5, 300, size=(3, 8)) / 900
    rates[1, 2] = 0.0
    t = Targets(service_level=0.8, target_time=20, max_abandon=0.05)
    s = required_agents(rates, 300.0, t, patience=180.0)
    assert s.agents.shape == (3, 8)
    assert s.agents[1, 2] == 0
    for idx in [(0, 0), (1, 5), (2, 7)]:
        one = required_agents(float(rates[idx]), 300.0, t, patience=180.0)
        assert int(one.agents) == s.agents[idx]
        assert brute_force(float(rates[idx]), 300.0, t, 180.0) == s.agents[idx]


def test_random_queues_against_a_scan_from_zero() -> None:
    rng = np.random.default_rng(11)
    for _ in range(12):
        rate = 10 ** rng.uniform(-2.5, 0)
        aht = 10 ** rng.uniform(1, 2.7)
        patience = 10 ** rng.uniform(0.5, 2.5)
        t = Targets(
            service_level=float(rng.uniform(0.5, 0.95)),
            target_time=float(rng.uniform(0, 60)),
            max_abandon=float(rng.uniform(0.01, 0.2)),
            short_abandon=float(rng.choice([0.0, 5.0])),
        )
        assert int(required_agents(rate, aht, t, patience=patience).agents) == brute_force(
            rate, aht, t, patience
        )


def test_short_patience_and_asa_alone_give_a_small_count() -> None:
    # Callers who give up after 5 s on average: the few answered waited little.
    s = required_agents(0.2, 300.0, Targets(max_asa=10.0), patience=5.0)
    assert int(s.agents) < 0.2 * 300
    assert float(s.metrics.p_abandon) > 0.1
    assert int(s.agents) == brute_force(0.2, 300.0, Targets(max_asa=10.0), 5.0)


def test_shrinkage_turns_agents_into_scheduled_heads() -> None:
    assert scheduled_heads([7, 14, 0, 10], 0.3).tolist() == [10, 20, 0, 15]
    s = required_agents(100 / 1800, 180, Targets(service_level=0.8, target_time=20), shrinkage=0.3)
    assert (int(s.agents), int(s.scheduled)) == (14, 20)


@pytest.mark.parametrize(
    ("targets", "patience", "message"),
    [
        (Targets(service_level=1.0, target_time=0), None, "100%"),
        (Targets(service_level=1.0, target_time=20), 60.0, "100%"),
        (Targets(max_asa=0.0), None, "ASA of 0"),
        (Targets(max_abandon=0.0), 60.0, "abandonment rate of 0"),
        (Targets(), None, "at least one target"),
        (Targets(service_level=80), None, "between 0 and 1"),
        (Targets(max_occupancy=0.0), None, "occupancy"),
        (Targets(service_level=0.8, target_time=-1), None, "time T"),
    ],
)
def test_impossible_or_invalid_targets_are_explained(
    targets: Targets, patience: float | None, message: str
) -> None:
    with pytest.raises(StaffingError, match=message):
        required_agents(0.1, 100.0, targets, patience=patience)


def test_the_search_stops_at_its_cap_and_says_so() -> None:
    with pytest.raises(StaffingError, match="search cap of 12 agents") as caught:
        required_agents([0.01, 100 / 1800], 180, Targets(service_level=0.8, target_time=20), max_agents=12)
    assert caught.value.indices == (1,)
    assert int(search_cap(np.array([100.0]), Targets(service_level=0.8))[0]) == 400


def test_bad_shrinkage_is_refused() -> None:
    with pytest.raises(StaffingError, match="shrinkage"):
        required_agents(0.1, 100.0, Targets(service_level=0.8), shrinkage=1.0)


def test_callers_who_never_give_up_need_more_agents_than_erlangs() -> None:
    # Occupancy 100 % allowed: only stability keeps the count above the load of 10 erlangs.
    s = required_agents([100 / 1800, 100 / 1800], 180, Targets(max_occupancy=1.0))
    assert s.agents.tolist() == [11, 11]
    a = required_agents(100 / 1800, 180, Targets(max_abandon=0.5), patience=np.inf)
    assert int(a.agents) == 11
