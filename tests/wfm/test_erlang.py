"""Erlang B/C/A against published tables and independent brute-force computations."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.linalg import expm, solve

from helpline.wfm.erlang import MAX_QUEUE_STATES, erlang_a, erlang_b, erlang_c, offered_load

# -- independent references -------------------------------------------------------------------


def erlang_c_pure(load: float, agents: int) -> float:
    """P(wait) from the textbook formula, summed in log space with plain Python."""
    logs = [k * math.log(load) - math.lgamma(k + 1) for k in range(agents)]
    last = agents * math.log(load) - math.lgamma(agents + 1) + math.log(agents / (agents - load))
    top = max([*logs, last])
    below = math.fsum(math.exp(v - top) for v in logs)
    tail = math.exp(last - top)
    return tail / (below + tail)


def ctmc_erlang_a(rate: float, aht: float, patience: float, agents: int, target: float, short: float = 0.0):
    """Dense generator of M/M/n+M truncated far out, plus the tagged caller's absorbing chain."""
    mu, theta = 1.0 / aht, 1.0 / patience
    size = agents + 120
    q = np.zeros((size, size))
    for k in range(size):
        if k + 1 < size:
            q[k, k + 1] = rate
        if k > 0:
            q[k, k - 1] = min(k, agents) * mu + max(k - agents, 0) * theta
        q[k, k] = -q[k].sum()
    # pi Q = 0, sum pi = 1: replace one balance equation by the normalisation.
    lhs = q.T.copy()
    lhs[-1, :] = 1.0
    rhs = np.zeros(size)
    rhs[-1] = 1.0
    pi = solve(lhs, rhs)
    p_wait = pi[agents:].sum()
    # The tagged caller's chain: state i = callers still ahead (i = 0 is at the head), then two
    # absorbing states, served and abandoned. A caller arriving to k >= n starts at k - n.
    m = size - agents
    gen = np.zeros((m + 2, m + 2))
    served_at, abandoned_at = m, m + 1
    for ahead in range(m):
        advance = agents * mu + ahead * theta
        gen[ahead, ahead - 1 if ahead > 0 else served_at] = advance
        gen[ahead, abandoned_at] = theta
        gen[ahead, ahead] = -(advance + theta)
    inv = np.linalg.inv(-gen[:m, :m])
    exit_served = gen[:m, served_at]
    p_served = inv @ exit_served
    wait_if_served = inv @ inv @ exit_served
    by_target = expm(gen * target)[:m, served_at]
    by_short = expm(gen * short)[:m, abandoned_at] if short > 0 else np.zeros(m)
    queue_pi = pi[agents:]
    served = pi[:agents].sum() + queue_pi @ p_served
    within = pi[:agents].sum() + queue_pi @ by_target
    wait_served = queue_pi @ wait_if_served
    short_ab = queue_pi @ by_short
    return {
        "p_wait": p_wait,
        "p_abandon": 1.0 - served,
        "answered_within_target": within,
        "asa": wait_served / served,
        "queue_length": float(np.sum(pi[agents:] * np.arange(size - agents))),
        "p_short_abandon": short_ab,
    }


# -- Erlang B ---------------------------------------------------------------------------------


def test_erlang_b_matches_the_published_table() -> None:
    assert erlang_b(10, 15) == pytest.approx(0.0365, abs=5e-5)
    assert erlang_b(2, 5) == pytest.approx(0.0367, abs=5e-5)
    # Loads carried at 1 % grade of service in the standard Erlang B table.
    for load, lines in [(4.46, 10), (12.03, 20), (84.06, 100)]:
        assert erlang_b(load, lines) == pytest.approx(0.01, abs=2e-4)


def test_erlang_b_agrees_with_its_recursion_from_one_line_to_thousands() -> None:
    loads = np.array([0.3, 7.5, 95.0, 1000.0, 5000.0, 5000.0, 10_000.0])
    lines = np.array([1, 9, 100, 1000, 4800, 100, 9000])
    got = erlang_b(loads, lines)
    for load, n, value in zip(loads, lines, got, strict=True):
        b = 1.0
        for k in range(1, n + 1):
            b = load * b / (k + load * b)
        assert value == pytest.approx(b, rel=1e-10)


def test_erlang_b_edges() -> None:
    assert erlang_b(0.0, 0) == 1.0
    assert erlang_b(0.0, 3) == 0.0
    assert erlang_b(4.0, 0) == 1.0
    assert 0.0 <= erlang_b(1.0, 400) < 1e-300


# -- Erlang C ---------------------------------------------------------------------------------


def test_erlang_c_published_example() -> None:
    # 100 calls per 30 minutes, AHT 180 s, 11 agents, 20 s target.
    m = erlang_c(100 / 1800, 180, 11, target=20)
    assert float(m.p_wait) == pytest.approx(0.6821, abs=5e-5)
    assert float(m.service_level) == pytest.approx(0.3896, abs=5e-5)
    assert float(m.asa) == pytest.approx(122.8, abs=0.05)
    assert float(m.occupancy) == pytest.approx(10 / 11)
    assert float(m.p_abandon) == 0.0


def test_erlang_c_units_cancel() -> None:
    per_second = erlang_c(100 / 1800, 180, 13, target=20)
    per_half_hour = erlang_c(100, 0.1, 13, target=20 / 1800)
    assert float(per_half_hour.p_wait) == pytest.approx(float(per_second.p_wait), rel=1e-12)
    assert float(per_half_hour.asa) * 1800 == pytest.approx(float(per_second.asa), rel=1e-12)


@pytest.mark.parametrize(
    ("load", "agents"), [(10.0, 11), (10.0, 14), (95.3, 101), (1800.0, 1850), (4000.0, 4100)]
)
def test_erlang_c_agrees_with_the_textbook_formula(load: float, agents: int) -> None:
    m = erlang_c(load / 300.0, 300.0, agents, target=20.0)
    c = erlang_c_pure(load, agents)
    assert float(m.p_wait) == pytest.approx(c, rel=1e-9)
    assert float(m.service_level) == pytest.approx(1 - c * math.exp(-(agents - load) * 20 / 300), rel=1e-9)
    assert float(m.asa) == pytest.approx(c * 300 / (agents - load), rel=1e-9)


def test_erlang_c_unstable_and_idle_queues() -> None:
    m = erlang_c([1.0, 1.0, 0.0], 10.0, [10, 5, 0], target=20.0)
    assert m.p_wait.tolist() == [1.0, 1.0, 0.0]
    assert m.service_level.tolist() == [0.0, 0.0, 1.0]
    assert m.asa.tolist() == [math.inf, math.inf, 0.0]
    assert m.occupancy.tolist() == [1.0, 1.0, 0.0]


def test_erlang_c_broadcasts_over_rates_and_agents() -> None:
    rates = np.array([[0.02], [0.05], [0.1]])
    agents = np.array([10, 20, 30, 40])
    m = erlang_c(rates, 180.0, agents, target=20.0)
    assert m.p_wait.shape == (3, 4)
    for i in range(3):
        for k in range(4):
            one = erlang_c(float(rates[i, 0]), 180.0, int(agents[k]), target=20.0)
            assert m.p_wait[i, k] == pytest.approx(float(one.p_wait), rel=1e-12)
            assert m.service_level[i, k] == pytest.approx(float(one.service_level), rel=1e-12)


# -- Erlang A ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rate", "aht", "patience", "agents", "target", "short"),
    [
        (100 / 1800, 180.0, 180.0, 11, 20.0, 0.0),
        (100 / 1800, 180.0, 60.0, 8, 20.0, 5.0),
        (0.2, 300.0, 180.0, 55, 20.0, 5.0),
        (0.2, 300.0, 600.0, 70, 30.0, 0.0),
        (1.0, 10.0, 2.0, 3, 1.0, 0.5),
        (0.5, 4.0, 30.0, 1, 3.0, 0.0),
    ],
)
def test_erlang_a_matches_a_dense_ctmc_solve(
    rate: float, aht: float, patience: float, agents: int, target: float, short: float
) -> None:
    ref = ctmc_erlang_a(rate, aht, patience, agents, target, short)
    got = erlang_a(rate, aht, patience, agents, target=target, short_abandon=short).at(())
    for name, value in ref.items():
        assert got[name] == pytest.approx(value, rel=1e-7, abs=1e-10), name
    assert got["service_level"] == pytest.approx(ref["answered_within_target"] / (1 - ref["p_short_abandon"]))
    load = rate * aht
    assert got["occupancy"] == pytest.approx(load * (1 - ref["p_abandon"]) / agents, rel=1e-7)


def test_erlang_a_tends_to_erlang_c_as_patience_grows() -> None:
    c = erlang_c(100 / 1800, 180.0, [11, 12, 14], target=20.0)
    a = erlang_a(100 / 1800, 180.0, 1e9, [11, 12, 14], target=20.0)
    for name in ("p_wait", "service_level", "asa", "occupancy", "queue_length"):
        np.testing.assert_allclose(getattr(a, name), getattr(c, name), rtol=1e-5)
    assert np.all(a.p_abandon < 1e-6)
    exact = erlang_a(100 / 1800, 180.0, np.inf, [11, 12, 14], target=20.0)
    np.testing.assert_array_equal(exact.p_wait, c.p_wait)


def test_erlang_a_with_thousands_of_agents() -> None:
    # 2,000 erlangs: staffed at, below and above the load.
    a = erlang_a(2000 / 300, 300.0, 180.0, [1900, 2000, 2100, 3000], target=20.0)
    assert np.all(np.isfinite(a.p_wait)) and np.all(np.isfinite(a.asa))
    assert np.all(np.diff(a.p_wait) < 0) and np.all(np.diff(a.p_abandon) < 0)
    assert a.p_abandon[0] > 0.04  # 100 agents short: at least the excess load leaves
    assert a.p_wait[-1] < 1e-50 and a.service_level[-1] == pytest.approx(1.0)
    rate, theta = 2000 / 300, 1 / 180
    np.testing.assert_allclose(a.p_abandon, theta * a.queue_length / rate, rtol=1e-9, atol=1e-300)


def test_erlang_a_abandonment_balances_the_queue_length() -> None:
    rates = np.linspace(0.01, 0.5, 9)[:, None]
    agents = np.arange(0, 120, 7)
    a = erlang_a(rates, 240.0, 90.0, agents, target=15.0)
    np.testing.assert_allclose(a.p_abandon, (1 / 90) * a.queue_length / rates, rtol=1e-9, atol=1e-14)
    assert np.all((a.p_wait >= 0) & (a.p_wait <= 1))
    assert np.all(a.service_level <= 1 - a.p_abandon + 1e-12)


def test_erlang_a_without_agents_or_without_calls() -> None:
    a = erlang_a([0.1, 0.0], 100.0, 50.0, [0, 0], target=10.0, short_abandon=5.0)
    assert a.p_wait.tolist() == [1.0, 0.0]
    assert a.p_abandon.tolist() == [1.0, 0.0]
    assert a.service_level.tolist() == [0.0, 1.0]
    assert math.isnan(a.asa[0]) and a.asa[1] == 0.0
    assert a.p_short_abandon[0] == pytest.approx(1 - math.exp(-5 / 50))


def test_erlang_a_refuses_a_state_space_it_cannot_hold() -> None:
    with pytest.raises(ValueError, match="queue states"):
        erlang_a(10.0, 1.0, 1e12, 5)
    assert MAX_QUEUE_STATES >= 1_000_000


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"rate": -1.0}, "rate"),
        ({"aht": 0.0}, "aht"),
        ({"patience": 0.0}, "patience"),
        ({"agents": 2.5}, "agents"),
        ({"target": -1.0}, "target"),
    ],
)
def test_bad_inputs_are_named(kwargs: dict[str, float], message: str) -> None:
    args = {"rate": 1.0, "aht": 1.0, "patience": 1.0, "agents": 2, "target": 0.0} | kwargs
    with pytest.raises(ValueError, match=message):
        erlang_a(**args)


def test_offered_load() -> None:
    assert offered_load(100 / 1800, 180) == pytest.approx(10.0)


def test_erlang_a_with_a_long_queue_in_log_space() -> None:
    # 1,000 erlangs offered to one agent with 100 s patience: ~900 callers wait, weights near
    # e^700 that only the log-space path can hold; mixed with a small queue in one call.
    rate, aht, patience = 10.0, 100.0, 100.0
    mixed = erlang_a([rate, 0.01], aht, patience, [1, 3], target=5.0)
    alone = erlang_a(rate, aht, patience, 1, target=5.0)
    assert mixed.p_abandon[0] == pytest.approx(float(alone.p_abandon), rel=1e-12)
    assert mixed.service_level[0] == pytest.approx(float(alone.service_level), rel=1e-12)
    # Birth-death probabilities summed independently in log space with plain Python.
    logs = [0.0, math.log(rate * aht)]
    for k in range(2, 4000):
        logs.append(logs[-1] + math.log(rate / (1 / aht + (k - 1) / patience)))
    top = max(logs)
    weights = [math.exp(v - top) for v in logs]
    total = math.fsum(weights)
    queue = math.fsum(w * max(k - 1, 0) for k, w in enumerate(weights)) / total
    assert float(alone.queue_length) == pytest.approx(queue, rel=1e-9)
    assert float(alone.p_wait) == pytest.approx(1 - weights[0] / total, rel=1e-12)
    assert float(alone.p_abandon) == pytest.approx(queue / patience / rate, rel=1e-9)


def test_erlang_a_can_skip_sums_it_is_not_asked_for() -> None:
    full = erlang_a(0.2, 300.0, 180.0, [55, 60], target=20.0)
    some = erlang_a(0.2, 300.0, 180.0, [55, 60], target=20.0, fields={"answered_within_target"})
    np.testing.assert_array_equal(some.p_abandon, full.p_abandon)
    np.testing.assert_array_equal(some.service_level, full.service_level)
    assert np.all(np.isnan(some.asa)) and np.all(np.isnan(some.queue_length))
    with pytest.raises(ValueError, match="unknown Erlang A fields: speed"):
        erlang_a(0.2, 300.0, 180.0, 55, fields={"speed"})
