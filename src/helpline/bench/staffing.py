"""``helpline bench staffing``: staffing every interval of every queue of a day in one go.

Loads are synthetic but shaped like a contact center day: each queue has its own volume, AHT
(~300 s) and patience (~180 s), and a two-peak intraday curve; calls per interval stay within
5-300. Targets are 80 % answered within 20 s and (Erlang A) at most 5 % abandoned.

``--peer`` also times pyworkforce (when importable) on a sample of the same loads. pyworkforce has
Erlang C only, so the peer ratio compares Erlang C staffing with Erlang C staffing; the Erlang A
figure is reported beside it.
"""

from __future__ import annotations

import json
import platform
import statistics
import time
from typing import Annotated, Any

import typer

INTERVAL_SECONDS = 900.0
PEER_CALLS = 20


def _loads(intervals: int, queues: int, seed: int) -> tuple[Any, Any, Any]:
    import numpy as np

    rng = np.random.default_rng(seed)
    hours = (np.arange(intervals) + 0.5) * 24.0 / intervals
    shape = np.exp(-(((hours - 10.5) / 2.2) ** 2)) + 0.8 * np.exp(-(((hours - 15.0) / 2.5) ** 2))
    shape = shape / shape.max()
    peak = rng.uniform(60.0, 300.0, size=(queues, 1))
    calls = np.clip(peak * shape[None, :] * rng.uniform(0.9, 1.1, size=(queues, intervals)), 5.0, 300.0)
    rate = calls / INTERVAL_SECONDS
    aht = rng.uniform(240.0, 360.0, size=(queues, 1)) * np.ones((1, intervals))
    patience = rng.uniform(120.0, 240.0, size=(queues, 1)) * np.ones((1, intervals))
    return rate, aht, patience


def _sample(rate: Any, aht: Any) -> list[int]:
    """PEER_CALLS flat indices spread evenly over the loads' sorted order (quantiles)."""
    import numpy as np

    order = np.argsort((rate * aht).ravel(), kind="stable")
    spots = np.linspace(0, order.size - 1, min(PEER_CALLS, order.size)).round().astype(int)
    return [int(order[k]) for k in spots]


def _ours_one_at_a_time(rate: Any, aht: Any, patience: Any, picks: list[int], model: str) -> float:
    from helpline.wfm.staffing import Targets, required_agents

    targets = Targets(service_level=0.8, target_time=20.0, max_abandon=0.05 if model == "a" else None)
    flat_rate, flat_aht, flat_pat = rate.ravel(), aht.ravel(), patience.ravel()
    started = time.perf_counter()
    for i in picks:
        required_agents(
            float(flat_rate[i]),
            float(flat_aht[i]),
            targets,
            patience=float(flat_pat[i]) if model == "a" else None,
        )
    return (time.perf_counter() - started) / len(picks)


def _peer(rate: Any, aht: Any, ours_c: Any, picks: list[int]) -> dict[str, Any]:
    import importlib.util

    if importlib.util.find_spec("pyworkforce") is None:
        return {"peer": None, "peer_error": "pyworkforce is not importable"}
    try:
        from importlib.metadata import version

        from pyworkforce.queuing import ErlangC
    except Exception as exc:  # the peer's own import failing is a result, not a crash
        return {"peer": None, "peer_error": f"pyworkforce failed to import: {exc}"}

    flat_rate, flat_aht, flat_ours = rate.ravel(), aht.ravel(), ours_c.ravel()
    agree = 0
    started = time.perf_counter()
    for i in picks:
        # pyworkforce works in minutes: transactions per interval, AHT and the answer time T.
        model = ErlangC(
            transactions=float(flat_rate[i] * INTERVAL_SECONDS),
            aht=float(flat_aht[i]) / 60.0,
            asa=20.0 / 60.0,
            interval=INTERVAL_SECONDS / 60.0,
        )
        got = model.required_positions(service_level=0.8)
        agree += int(got["raw_positions"] == int(flat_ours[i]))
    per_call = (time.perf_counter() - started) / len(picks)
    return {
        "peer": f"pyworkforce {version('pyworkforce')} ErlangC.required_positions (it has no Erlang A)",
        "peer_calls": len(picks),
        "peer_seconds_per_call": per_call,
        "peer_same_agents": agree,
    }


def bench_staffing(
    intervals: Annotated[
        int, typer.Option("--intervals", min=1, help="Intervals per queue (96 = a day of 15 min).")
    ] = 96,
    queues: Annotated[int, typer.Option("--queues", min=1, help="Queues.")] = 100,
    model: Annotated[str, typer.Option("--model", help="a: Erlang A (patience ~180 s); c: Erlang C.")] = "a",
    repeat: Annotated[int, typer.Option("--repeat", min=1, help="Timed runs; the median is reported.")] = 3,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the synthetic loads.")] = 1,
    peer: Annotated[
        bool, typer.Option("--peer", help="Also time pyworkforce when it is importable.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Time the staffing of every interval of every queue (SL 80/20, abandonment <= 5 %)."""
    if model not in ("a", "c"):
        raise typer.BadParameter("--model is a or c")
    from helpline.wfm.staffing import Targets, required_agents

    rate, aht, patience = _loads(intervals, queues, seed)
    targets = Targets(service_level=0.8, target_time=20.0, max_abandon=0.05 if model == "a" else None)
    required_agents(rate[:1, :4], aht[:1, :4], targets, patience=patience[:1, :4] if model == "a" else None)

    def once(chosen: str) -> tuple[float, Any]:
        started = time.perf_counter()
        result = required_agents(rate, aht, targets, patience=patience if chosen == "a" else None)
        return time.perf_counter() - started, result.agents

    runs = [once(model) for _ in range(repeat)]
    seconds = statistics.median(r[0] for r in runs)
    agents = runs[0][1]
    staffings = intervals * queues
    out: dict[str, Any] = {
        "benchmark": "staffing",
        "model": model,
        "intervals": intervals,
        "queues": queues,
        "staffings": staffings,
        "seconds": seconds,
        "seconds_min": min(r[0] for r in runs),
        "seconds_per_staffing": seconds / staffings,
        "repeat": repeat,
        "calls_per_interval": [
            float((rate * INTERVAL_SECONDS).min()),
            float((rate * INTERVAL_SECONDS).max()),
        ],
        "agents_total": int(agents.sum()),
        "agents_peak": int(agents.max()),
        "machine": f"{platform.machine()} {platform.python_implementation()} {platform.python_version()}",
    }
    if peer:
        # The peer has Erlang C only: the ratio compares Erlang C staffing with Erlang C staffing,
        # the peer one load per call, ours the whole day in one call.
        c_seconds, c_agents = once("c") if model == "a" else runs[0]
        c_per = c_seconds / staffings
        picks = _sample(rate, aht)
        out["erlang_c_seconds_per_staffing"] = c_per
        out["erlang_c_seconds_per_single_call"] = _ours_one_at_a_time(rate, aht, patience, picks, "c")
        if model == "a":
            out["erlang_a_seconds_per_single_call"] = _ours_one_at_a_time(rate, aht, patience, picks, "a")
        found = _peer(rate, aht, c_agents, picks)
        out |= found
        if found.get("peer_seconds_per_call"):
            out["ratio"] = found["peer_seconds_per_call"] / c_per
            out["ratio_single_call"] = (
                found["peer_seconds_per_call"] / out["erlang_c_seconds_per_single_call"]
            )
    if as_json:
        print(json.dumps(out))
        return
    for key, value in out.items():
        print(f"{key}: {value}")


def register(app: typer.Typer) -> None:
    """Add this benchmark's command to ``helpline bench``."""
    app.command("staffing")(bench_staffing)
