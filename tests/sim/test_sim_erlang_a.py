"""The simulator, driving the production routing engine, against exact Erlang A (M/M/n+M).

Eight independent replications of ~4,800 calls each; the first hour of each is warm-up (the
center opens empty) and is left out. The tolerance is each figure's own 99% confidence interval
over the replications, so it follows the run length: shorter runs, wider intervals. Seeds are
fixed, so the outcome does not vary from run to run.
"""

from __future__ import annotations

import pytest
from models import mmn_model

from helpline.sim.engine import SimResult, Simulator
from helpline.sim.replications import Estimate, estimate
from helpline.wfm.erlang import erlang_a

AGENTS, AHT_S, PATIENCE_S = 6, 180.0, 120.0
RATE = 6.0 / AHT_S  # 6 erlangs on 6 agents: stable only because callers abandon
HOURS, REPLICATIONS = 40, 8


@pytest.fixture(scope="module")
def runs() -> list[SimResult]:
    model = mmn_model(AGENTS, RATE, AHT_S, PATIENCE_S, intervals=HOURS, interval_s=3600.0)
    return [Simulator(model, seed=100 + r).run() for r in range(REPLICATIONS)]


def _figure(runs: list[SimResult], read: str) -> Estimate:
    values = []
    for r in runs:
        t = r.metrics.total("q", first=1)  # interval 0: warm-up
        values.append(
            {
                "p_wait_zero": t.answered_at_once / t.offered,
                "p_abandon": t.abandoned / t.offered,
                "service_level": t.service_level,
                "abandon_rate": t.abandon_rate,
                "asa": t.asa_s,
                "occupancy": r.metrics.occupancy(None, 1, HOURS - 1),
            }[read]
        )
    e = estimate(values, confidence=0.99)
    assert e is not None
    return e


EXACT = erlang_a(RATE, AHT_S, PATIENCE_S, AGENTS, target=20.0, short_abandon=5.0).at(())


@pytest.mark.parametrize(
    ("figure", "exact", "widest"),
    [
        ("p_wait_zero", 1 - EXACT["p_wait"], 0.05),
        ("p_abandon", EXACT["p_abandon"], 0.05),
        ("service_level", EXACT["service_level"], 0.05),
        ("abandon_rate", EXACT["abandon_rate"], 0.05),
        ("asa", EXACT["asa"], 4.0),
        ("occupancy", EXACT["occupancy"], 0.02),
    ],
)
def test_simulation_agrees_with_exact_erlang_a(
    runs: list[SimResult], figure: str, exact: float, widest: float
) -> None:
    e = _figure(runs, figure)
    assert e.half_width < widest, f"{figure}: interval too wide to tell anything ({e})"
    assert e.low <= exact <= e.high, (
        f"{figure}: simulated {e.mean:.4f} ± {e.half_width:.4f}, exact {exact:.4f}"
    )


def test_the_runs_are_the_size_the_tolerance_assumes(runs: list[SimResult]) -> None:
    calls = [r.calls for r in runs]
    assert all(4300 < c < 5300 for c in calls), calls
    # nothing left behind: every call answered, abandoned or (none here) overflowed
    t = runs[0].metrics.total("q")
    assert t.offered == t.answered + t.abandoned


def test_ewt_accuracy_is_reported(runs: list[SimResult]) -> None:
    t = runs[0].metrics.total("q", first=1)
    ewt = t.ewt
    assert ewt.n > 0.9 * t.answered  # an estimate was given to (almost) everyone answered
    assert ewt.mean_abs_error_s is not None and ewt.mean_error_s is not None
    assert ewt.within_share is not None and 0.0 <= ewt.within_share <= 1.0
    # the estimate ignores abandonment ahead in line, so it runs long rather than short
    assert ewt.mean_error_s > 0
    assert ewt.mean_abs_error_s >= abs(ewt.mean_error_s)
