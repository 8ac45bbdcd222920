"""The simulator's own behaviour: seeds, workflow overflow, schedules, ring delay, bad input."""

from __future__ import annotations

import math
import random
import statistics

import pytest
from models import mmn_model, single_queue, two_skill

from helpline.core.config import AgentConfig, QueueConfig, TenantConfig
from helpline.sim.distributions import Exponential, Fixed, LogNormal, parse_distribution
from helpline.sim.engine import Simulator
from helpline.sim.model import QueueLoad, Schedule, SimInputError, SimModel
from helpline.sim.replications import run_replications


def _small(seed: int) -> dict[str, object]:
    model = mmn_model(3, 3 / 120, 100.0, 60.0, intervals=2, interval_s=1800.0)
    r = Simulator(model, seed=seed).run()
    rows = list(r.metrics.rows())
    return {"rows": rows, "calls": r.calls, "end": r.end_s, "occ": r.metrics.occupancy()}


def test_the_same_seed_gives_the_same_run_and_another_seed_another() -> None:
    a, b, c = _small(7), _small(7), _small(8)
    assert a == b
    assert a["rows"] != c["rows"]


def _es_service_level(overflow_after_s: float | None, seed: int) -> float:
    config = two_skill(overflow_after_s)
    loads = {
        "es": QueueLoad((2.4 / 120,) * 4, Exponential(120.0), Exponential(300.0)),
        "en": QueueLoad((1.5 / 120,) * 4, Exponential(120.0), Exponential(300.0)),
    }
    r = Simulator(SimModel(config, 3600.0, loads), seed=seed).run()
    sl = r.metrics.total("es").service_level
    assert sl is not None
    return sl


def test_an_overflow_step_raises_the_overloaded_queues_service_level() -> None:
    without = statistics.fmean(_es_service_level(None, s) for s in range(3))
    with_step = statistics.fmean(_es_service_level(10.0, s) for s in range(3))
    assert with_step > without + 0.15, (without, with_step)


def test_the_schedule_logs_agents_in_and_out_and_work_in_hand_is_finished() -> None:
    config = single_queue(3, wrap_up_s=30.0)
    # a000 works both hours; a001 only the first; a002 only the second
    schedule = Schedule((frozenset({"a000", "a001"}), frozenset({"a000", "a002"})))
    load = QueueLoad((2 / 120, 2 / 120), Fixed(600.0), Fixed(math.inf))
    r = Simulator(SimModel(config, 3600.0, {"q": load}, schedule=schedule), seed=3).run()
    agents = r.metrics.agents
    assert 0 not in agents["a002"], "a002 was logged in before their shift"
    a001_after = agents["a001"].get(1)
    # a001 finishes the call in hand after 3600 s (handling) but is never available again
    assert a001_after is not None and a001_after.handling_s > 0 and a001_after.available_s == 0
    assert a001_after.handling_s <= 600.0 + 30.0
    assert agents["a002"][1].handling_s > 0
    t = r.metrics.total("q")
    assert t.abandoned == 0 and t.answered == t.offered  # nobody hangs up; everyone is served in the end


def test_callers_abandon_until_the_first_shift_starts() -> None:
    config = single_queue(2)
    schedule = Schedule.from_counts(config, [0, 2])
    load = QueueLoad((1 / 60, 0.0), Exponential(60.0), Fixed(30.0))
    r = Simulator(SimModel(config, 3600.0, {"q": load}, schedule=schedule), seed=1).run()
    t = r.metrics.total("q")
    # only callers who arrived in the last 30 s before 3600 s are still there when agents log in
    assert t.offered > 30 and t.answered <= 3 and t.abandoned == t.offered - t.answered
    assert t.answered_within == t.answered and t.asa_s is not None and 0 < t.asa_s <= 30
    assert all(0 not in by_k for by_k in r.metrics.agents.values())


def test_ring_delay_adds_to_every_wait_and_a_ring_longer_than_the_timeout_is_a_miss() -> None:
    model = mmn_model(4, 1 / 120, 60.0, math.inf, intervals=1, interval_s=3600.0, ring=Fixed(3.0))
    t = Simulator(model, seed=2).run().metrics.total("q")
    assert t.answered == t.offered > 10
    assert t.answered_at_once == 0 and t.asa_s is not None and t.asa_s >= 3.0
    config = TenantConfig(
        "t",
        queues=(QueueConfig("q", offer_timeout_s=2.0, max_consecutive_misses=0),),
        agents=(AgentConfig("a", queues=("q",)),),
    )
    slow = SimModel(
        config, 600.0, {"q": QueueLoad((1 / 60,), Exponential(30.0), Fixed(20.0))}, ring_delay=Fixed(3.0)
    )
    t = Simulator(slow, seed=2).run().metrics.total("q")
    assert t.offered > 3 and t.answered == 0 and t.abandoned == t.offered


def test_replications_give_confidence_intervals_and_report_progress() -> None:
    model = mmn_model(3, 3 / 120, 100.0, 60.0, intervals=2, interval_s=1800.0)
    seen: list[tuple[int, int]] = []
    summary, results = run_replications(
        model, 3, seed=5, progress=lambda r, n: seen.append((r, n)), progress_every=20
    )
    assert len(results) == 3 and summary.replications == 3
    sl = summary.figure("service_level", "q")
    assert sl is not None and sl.n == 3 and 0 < sl.half_width < 1 and sl.low < sl.mean < sl.high
    per_interval = summary.figure("offered", "q", 1)
    assert per_interval is not None and per_interval.mean > 0
    assert summary.occupancy[None].n == 3
    assert {r for r, _ in seen} == {0, 1, 2} and all(n % 20 == 0 or n == results[r].calls for r, n in seen)
    data = summary.as_dict()
    assert data["replications"] == 3 and data["rows"][0]["queue"] is None


def test_lognormal_fits_its_moments() -> None:
    d = LogNormal.from_mean_sd(300.0, 200.0)
    assert (d.mean, d.sd) == (pytest.approx(300.0), pytest.approx(200.0))
    d2 = LogNormal.from_median_sd(240.0, 200.0)
    assert (d2.median, d2.sd) == (pytest.approx(240.0), pytest.approx(200.0))
    d3 = LogNormal.from_median_mean(240.0, 300.0)
    assert (d3.median, d3.mean) == (pytest.approx(240.0), pytest.approx(300.0))
    draw = d.sampler(random.Random(1))
    xs = [draw() for _ in range(20000)]
    assert statistics.fmean(xs) == pytest.approx(300.0, rel=0.05)


@pytest.mark.parametrize(
    ("text", "mean"),
    [
        ("300", 300.0),
        ("exp:60", 60.0),
        ("fixed:5", 5.0),
        ("lognormal:mean=300,sd=100", 300.0),
        ("never", math.inf),
    ],
)
def test_distribution_spellings(text: str, mean: float) -> None:
    assert parse_distribution(text).mean == pytest.approx(mean)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("abc", "not a number"),
        ("exp:-3", "positive"),
        ("lognormal:mean=300", "two of"),
        ("lognormal:mu=3,sd=1", "expected mean="),
        ("gamma:3", "unknown distribution"),
    ],
)
def test_bad_distributions_are_named(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_distribution(text)


def test_bad_models_list_every_problem() -> None:
    config = single_queue(2)
    model = SimModel(
        config,
        900.0,
        {
            "nope": QueueLoad((1.0, -1.0), Exponential(1.0), Exponential(1.0)),
            "q": QueueLoad((1.0,), Fixed(1), Fixed(1)),
        },
        schedule=Schedule((frozenset({"ghost"}),)),
    )
    with pytest.raises(SimInputError) as info:
        model.validate()
    text = str(info.value)
    for part in (
        "unknown queue 'nope'",
        "rate must be a number >= 0",
        "different numbers of intervals",
        "ghost",
    ):
        assert part in text
    with pytest.raises(SimInputError, match="configuration has 2"):
        Schedule.from_counts(config, [3])


def test_forecast_counts_become_poisson_rates() -> None:
    load = QueueLoad.from_counts([90, 0, 45], 900.0, Exponential(60.0), Fixed(30.0))
    assert load.rates == (0.1, 0.0, 0.05)
    config = single_queue(4)
    r = Simulator(SimModel(config, 900.0, {"q": load}), seed=4).run()
    offered = [r.metrics.queues["q"].get(k) for k in range(3)]
    assert offered[1] is None  # nothing forecast, nothing arrives
    assert offered[0] is not None and offered[2] is not None and 60 < offered[0].offered < 120
