"""``helpline bench sim``: simulated calls per second through the production routing engine.

The model is Erlang A's (M/M/n+M): one queue, one pool of identical agents with no skills, no
wrap-up, offers accepted at once, Poisson arrivals, exponential handle times and patience.
Rate, AHT and patience share one unit of time. Besides speed the run checks itself against the
exact Erlang A figures: ``p_wait_zero`` (share of calls answered without waiting) against
1 - P(wait), and ``p_abandon``, each with the half-width of a 95% batch-means confidence interval
(20 batches of simulated time): near full load the figures wander slowly, so a run's error is
judged against its own interval. ``p_wait_zero_cv`` and ``p_abandon_cv`` are the same run's
control-variate estimates (``sim.control_variates``): corrected for how far the run's arrivals
and handle times drifted from the model's means, with their own, narrower, intervals.

``--peer`` times a hand-written SimPy model of the same system in the same run (SimPy is
looked for in ``--peer-path``, default ``/tmp/simpy-peer``, installed there with
``pip install --target``; it is not a dependency), on at most ``--peer-calls`` calls.
``--profile N`` prints cProfile's top N functions for the engine run to stderr.
"""

from __future__ import annotations

import json
import math
import platform
import sys
import time
from typing import Annotated, Any

import typer

BATCHES = 20


def _model(rate: float, aht: float, patience: float, agents: int, calls: int) -> Any:
    from helpline.core.config import AgentConfig, QueueConfig, TenantConfig
    from helpline.sim.distributions import NEVER, Exponential
    from helpline.sim.model import QueueLoad, SimModel

    config = TenantConfig(
        "bench",
        queues=(QueueConfig("q"),),
        agents=tuple(AgentConfig(f"a{k}", queues=("q",)) for k in range(agents)),
        pause_reasons=(),
    )
    load = QueueLoad((rate,), Exponential(aht), NEVER if math.isinf(patience) else Exponential(patience))
    return SimModel(config, math.inf, {"q": load}, max_calls=calls)


def _simpy_peer(
    path: str, rate: float, aht: float, patience: float, agents: int, calls: int, seed: int
) -> dict[str, Any]:
    if path not in sys.path:
        sys.path.insert(0, path)
    try:
        import simpy  # type: ignore[import-not-found, import-untyped, unused-ignore]
    except ImportError:
        return {"peer": None, "peer_error": f"simpy not importable from {path}"}
    import random

    rng = random.Random(seed)
    env = simpy.Environment()
    pool = simpy.Resource(env, capacity=agents)
    counts = {"at_once": 0, "abandoned": 0, "done": 0}

    def caller() -> Any:
        arrived = env.now
        with pool.request() as req:
            got = yield req | env.timeout(rng.expovariate(1.0 / patience))
            if req not in got:
                counts["abandoned"] += 1
                return
            if env.now == arrived:
                counts["at_once"] += 1
            yield env.timeout(rng.expovariate(1.0 / aht))

    def source() -> Any:
        for _ in range(calls):
            yield env.timeout(rng.expovariate(rate))
            env.process(caller())

    env.process(source())
    started = time.perf_counter()
    env.run()
    elapsed = time.perf_counter() - started
    return {
        "peer": f"simpy {getattr(simpy, '__version__', '?')} (hand-written M/M/n+M model)",
        "peer_calls": calls,
        "peer_calls_per_s": calls / elapsed,
        "peer_p_wait_zero": counts["at_once"] / calls,
        "peer_p_abandon": counts["abandoned"] / calls,
    }


def _controlled(by_batch: dict[int, Any], rate: float, aht: float, batch: float) -> tuple[Any, Any]:
    """Control-variate estimates of the shares answered at once and abandoned.

    Controls per batch: arrivals against ``rate * batch`` and the mean handle time of the calls
    finished in it against ``aht`` (both known from the model, not from its answer). The run
    stops at a number of calls, so its last batch is cut short and has fewer arrivals than
    ``rate * batch``: only the batches before the last one count.
    """
    from helpline.sim.control_variates import controlled_estimate

    last = max((k for k, b in by_batch.items() if b.offered), default=0)
    used = [by_batch[k] for k in range(last) if k in by_batch and by_batch[k].offered and by_batch[k].handled]
    if len(used) < len(range(last)):
        return None, None
    controls = [[b.offered / (rate * batch) - 1.0 for b in used], [b.talk_s / b.handled / aht - 1.0 for b in used]]
    try:
        wait = controlled_estimate([b.answered_at_once / b.offered for b in used], controls)
        abandon = controlled_estimate([b.abandoned / b.offered for b in used], controls)
    except ValueError:  # too short a run for the controls to vary independently
        return None, None
    return wait, abandon


def register(app: typer.Typer) -> None:
    @app.command("sim")
    def sim(
        model: Annotated[str, typer.Option(help="The model: erlang-a (M/M/n+M).")] = "erlang-a",
        rate: Annotated[float, typer.Option(help="Arrivals per unit of time.")] = 102.0,
        aht: Annotated[float, typer.Option(help="Mean handle time (same unit).")] = 1.0,
        patience: Annotated[float, typer.Option(help="Mean patience (same unit; inf: never abandon).")] = 1.0,
        agents: Annotated[int, typer.Option(help="Identical agents in one pool.")] = 100,
        calls: Annotated[int, typer.Option(help="Calls to simulate.")] = 300_000,
        seed: Annotated[int, typer.Option(help="Random seed.")] = 1,
        peer: Annotated[bool, typer.Option("--peer", help="Also time SimPy on the same model.")] = False,
        peer_path: Annotated[str, typer.Option(help="Folder SimPy was installed into.")] = "/tmp/simpy-peer",
        peer_calls: Annotated[int, typer.Option(help="Calls for the SimPy run (at most --calls).")] = 300_000,
        profile: Annotated[
            int, typer.Option(help="Print the top N functions of a cProfile run to stderr.")
        ] = 0,
        as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    ) -> None:
        """Simulated calls per second through the production routing core, checked against Erlang A."""
        from helpline.core.metrics import MetricFold
        from helpline.sim.engine import Simulator
        from helpline.sim.replications import estimate
        from helpline.wfm.erlang import erlang_a

        if model != "erlang-a":
            raise typer.BadParameter(f"unknown model {model!r} (known: erlang-a)", param_hint="--model")
        if agents < 1 or calls < 1 or not (rate > 0 and aht > 0 and patience > 0):
            raise typer.BadParameter("rate, aht, patience, agents and calls must be positive")
        sim_model = _model(rate, aht, patience, agents, calls)
        # batches of simulated time for a batch-means confidence interval (calls within one run
        # are correlated; batches long against the system's relaxation time are nearly not)
        batch = calls / rate / BATCHES
        fold = MetricFold(sim_model.config, interval_s=batch)
        simulator = Simulator(sim_model, seed=seed, fold=fold)
        if profile:
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            started = time.perf_counter()
            result = profiler.runcall(simulator.run)
            elapsed = time.perf_counter() - started
            pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(profile)
        else:
            from helpline.runtime.gc_tuning import long_run

            with long_run():  # the collector settings of a server after start-up (runtime.gc_tuning)
                started = time.perf_counter()
                result = simulator.run()
                elapsed = time.perf_counter() - started
        totals = result.metrics.total("q")
        by_batch = result.metrics.queues["q"]
        full = [by_batch[k] for k in range(BATCHES) if k in by_batch and by_batch[k].offered]
        wait_ci = estimate([b.answered_at_once / b.offered for b in full])
        abandon_ci = estimate([b.abandoned / b.offered for b in full])
        wait_cv, abandon_cv = _controlled(by_batch, rate, aht, batch)
        exact = erlang_a(rate, aht, patience, agents).at(())
        p_wait_zero = totals.answered_at_once / totals.offered
        p_abandon = totals.abandoned / totals.offered
        out: dict[str, Any] = {
            "benchmark": "sim",
            "model": model,
            "rate": rate,
            "aht": aht,
            "patience": patience,
            "agents": agents,
            "calls": result.calls,
            "seconds": elapsed,
            "calls_per_s": result.calls / elapsed,
            "engine_calls_per_call": result.decisions / result.calls,
            "p_wait_zero": p_wait_zero,
            "p_abandon": p_abandon,
            "erlang_a_p_wait_zero": 1.0 - exact["p_wait"],
            "erlang_a_p_abandon": exact["p_abandon"],
            "diff_p_wait_zero": p_wait_zero - (1.0 - exact["p_wait"]),
            "diff_p_abandon": p_abandon - exact["p_abandon"],
            "p_wait_zero_ci95": None if wait_ci is None else wait_ci.half_width,
            "p_abandon_ci95": None if abandon_ci is None else abandon_ci.half_width,
            "batches": len(full),
            # the same run corrected for its drift from the model's arrival rate and handle time
            # (sim.control_variates): a narrower interval from the same calls
            "p_wait_zero_cv": None if wait_cv is None else wait_cv.mean,
            "p_wait_zero_cv_ci95": None if wait_cv is None else wait_cv.half_width,
            "diff_p_wait_zero_cv": None if wait_cv is None else wait_cv.mean - (1.0 - exact["p_wait"]),
            "p_abandon_cv": None if abandon_cv is None else abandon_cv.mean,
            "p_abandon_cv_ci95": None if abandon_cv is None else abandon_cv.half_width,
            "diff_p_abandon_cv": None if abandon_cv is None else abandon_cv.mean - exact["p_abandon"],
            "cv_batches": None if wait_cv is None else wait_cv.n,
            "ewt_mean_abs_error": totals.ewt.mean_abs_error_s,
            "profiled": bool(profile),
            "python": platform.python_version(),
            "machine": platform.machine(),
        }
        if peer:
            out.update(_simpy_peer(peer_path, rate, aht, patience, agents, min(peer_calls, calls), seed))
            if out.get("peer_calls_per_s"):
                out["ratio"] = out["calls_per_s"] / out["peer_calls_per_s"]
        if as_json:
            print(json.dumps(out))
            return
        for key, value in out.items():
            print(f"{key}: {value:.6g}" if isinstance(value, float) else f"{key}: {value}")
