"""Independent replications of a simulation and confidence intervals over them.

Each replication runs the same model with its own seed (``seed + r``); a figure's estimate is
the mean over replications of that replication's value, and its confidence interval is
Student's t on the replications' spread (the replications are independent, while calls within
one run are not). A figure a replication cannot give (e.g. ASA with nobody answered) is left
out of that figure's mean, and ``n`` says how many replications it rests on.

Figures per queue and interval, per queue over the whole run (``interval = None``) and over
every queue (``queue = None``): offered, answered, abandoned, service level, ASA, AHT,
abandonment rate, the share answered at once, EWT accuracy; and agent occupancy per interval.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from helpline.core.metrics import MetricsResult, QueueTotals
from helpline.sim.engine import SimResult, Simulator
from helpline.sim.model import SimModel

QUEUE_FIGURES: dict[str, Callable[[QueueTotals], float | None]] = {
    "offered": lambda t: float(t.offered),
    "answered": lambda t: float(t.answered),
    "abandoned": lambda t: float(t.abandoned - t.short_abandoned),
    "service_level": lambda t: t.service_level,
    "asa_s": lambda t: t.asa_s,
    "aht_s": lambda t: t.aht_s,
    "abandon_rate": lambda t: t.abandon_rate,
    "answered_at_once": lambda t: t.answered_at_once_share,
    "ewt_mean_error_s": lambda t: t.ewt.mean_error_s,
    "ewt_mean_abs_error_s": lambda t: t.ewt.mean_abs_error_s,
    "ewt_within_share": lambda t: t.ewt.within_share,
}

Key = tuple[str | None, int | None]  # (queue or None for all, interval or None for the whole run)


def t_quantile(confidence: float, df: int) -> float:
    from scipy.stats import t as student_t

    return float(student_t.ppf(0.5 + confidence / 2, df))


@dataclass(frozen=True, slots=True)
class Estimate:
    mean: float
    half_width: float  # of the confidence interval; inf with fewer than two replications
    n: int

    @property
    def low(self) -> float:
        return self.mean - self.half_width

    @property
    def high(self) -> float:
        return self.mean + self.half_width

    def as_dict(self) -> dict[str, Any]:
        hw = self.half_width if math.isfinite(self.half_width) else None
        return {"mean": self.mean, "half_width": hw, "n": self.n}


def estimate(values: Iterable[float | None], confidence: float = 0.95) -> Estimate | None:
    xs = [v for v in values if v is not None and not math.isnan(v)]
    if not xs:
        return None
    mean = statistics.fmean(xs)
    if len(xs) < 2:
        return Estimate(mean, math.inf, len(xs))
    sd = statistics.stdev(xs)
    return Estimate(mean, t_quantile(confidence, len(xs) - 1) * sd / math.sqrt(len(xs)), len(xs))


@dataclass(frozen=True, slots=True)
class Summary:
    """Estimates by (queue, interval) and figure; occupancy by interval (None: whole run)."""

    replications: int
    confidence: float
    interval_s: float
    queues: dict[Key, dict[str, Estimate]]
    occupancy: dict[int | None, Estimate]
    calls: int  # over all replications
    decisions: int

    def figure(self, name: str, queue: str | None = None, interval: int | None = None) -> Estimate | None:
        return self.queues.get((queue, interval), {}).get(name)

    def as_dict(self) -> dict[str, Any]:
        rows = []
        for (queue, interval), figures in sorted(
            self.queues.items(), key=lambda kv: (kv[0][0] or "", -1 if kv[0][1] is None else kv[0][1])
        ):
            row: dict[str, Any] = {"queue": queue, "interval": interval}
            if interval is not None:
                row["interval_start_s"] = interval * self.interval_s
            row.update({name: e.as_dict() for name, e in figures.items()})
            rows.append(row)
        return {
            "replications": self.replications,
            "confidence": self.confidence,
            "interval_s": self.interval_s if math.isfinite(self.interval_s) else None,
            "calls": self.calls,
            "rows": rows,
            "occupancy": [
                {"interval": k, **e.as_dict()}
                for k, e in sorted(self.occupancy.items(), key=lambda kv: -1 if kv[0] is None else kv[0])
            ],
        }


def _views(m: MetricsResult) -> dict[Key, QueueTotals]:
    out: dict[Key, QueueTotals] = {(None, None): m.total()}
    for qid, by_k in m.queues.items():
        out[(qid, None)] = m.total(qid)
        for k, totals in by_k.items():
            out[(qid, k)] = totals
    for k in m.intervals():
        out[(None, k)] = m.total(None, k, k)
    return out


def summarize(results: list[SimResult], confidence: float = 0.95) -> Summary:
    views = [_views(r.metrics) for r in results]
    keys: set[Key] = set()
    for v in views:
        keys.update(v)
    queues: dict[Key, dict[str, Estimate]] = {}
    for key in keys:
        figures: dict[str, Estimate] = {}
        for name, read in QUEUE_FIGURES.items():
            # a replication with no call in that queue and interval counts as zero offered
            values = [read(v[key]) if key in v else read(QueueTotals()) for v in views]
            e = estimate(values, confidence)
            if e is not None:
                figures[name] = e
        queues[key] = figures
    ks: set[int] = set()
    for r in results:
        ks.update(r.metrics.intervals())
    occupancy: dict[int | None, Estimate] = {}
    for k in [None, *sorted(ks)]:
        e = estimate(
            [r.metrics.occupancy() if k is None else r.metrics.occupancy(None, k, k) for r in results],
            confidence,
        )
        if e is not None:
            occupancy[k] = e
    interval_s = results[0].metrics.interval_s if results else math.nan
    return Summary(
        len(results),
        confidence,
        interval_s,
        queues,
        occupancy,
        sum(r.calls for r in results),
        sum(r.decisions for r in results),
    )


def run_replications(
    model: SimModel,
    replications: int,
    *,
    seed: int = 0,
    confidence: float = 0.95,
    progress: Callable[[int, int], None] | None = None,
    progress_every: int = 10_000,
) -> tuple[Summary, list[SimResult]]:
    """Run ``replications`` independent runs; ``progress(replication, calls)`` reports as they go."""
    if replications < 1:
        raise ValueError(f"replications must be >= 1, got {replications!r}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence!r}")
    results: list[SimResult] = []
    for r in range(replications):
        report = None
        if progress is not None:
            report = _bind(progress, r)
        results.append(Simulator(model, seed=seed + r, progress=report, progress_every=progress_every).run())
    return summarize(results, confidence), results


def _bind(progress: Callable[[int, int], None], r: int) -> Callable[[int], None]:
    return lambda calls: progress(r, calls)
