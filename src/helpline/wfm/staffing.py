"""Staffing: the fewest agents on the phones that meet every service target, per interval.

The search does not assume that a metric improves with every added agent: it tries every head
count from a lower bound that no smaller count can beat, upwards, and keeps the first that meets
all targets, so the answer ``n`` is truly the smallest (``n - 1`` and every count below it miss at
least one target). The lower bounds come from capacity alone: ``n`` agents answer at most ``n``
erlangs, so with Erlang A a service level ``x`` needs ``n >= x * load`` and an abandonment rate
``p`` needs ``n >= (1 - p) * load`` (both without short abandons); an occupancy ``o`` needs
``n >= load / o`` with Erlang C, which also needs ``n > load`` to be stable at all (as does
Erlang A for callers with infinite patience). Many intervals
are searched together, a few head counts at a time, in vectorised calls.

Erlang A and the ASA target alone can give a surprisingly small head count: when callers give up
quickly, the few who are answered waited little. Pair ASA with an abandonment target.

Units follow :mod:`helpline.wfm.erlang`: ``rate`` per unit of time; ``aht``, ``patience``,
``target_time``, ``max_asa`` and ``short_abandon`` in that unit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from helpline.wfm.erlang import QueueMetrics, erlang_a, erlang_c

IntArray = NDArray[np.int64]

#: Head counts examined beyond the load before a search gives up: load (or load / max
#: occupancy) + 20 * sqrt(load) + 100. Any sane target is met long before; a target that is
#: not is reported instead of searched for ever.
SEARCH_SQRT_MARGIN = 20.0
SEARCH_FIXED_MARGIN = 100


class StaffingError(ValueError):
    """Targets that are invalid, impossible, or not met within the search cap."""

    def __init__(self, message: str, indices: tuple[int, ...] = ()) -> None:
        super().__init__(message)
        self.indices = indices


@dataclass(frozen=True, slots=True)
class Targets:
    """Service targets; ``None`` leaves a metric free. At least one must be set.

    ``service_level`` is the share answered within ``target_time`` of (offered - short
    abandons), as in DESIGN.md; ``max_abandon`` is the abandonment rate (abandoned - short) /
    (offered - short); ``short_abandon`` is the short-abandon threshold (0: none are short).
    """

    service_level: float | None = None
    target_time: float = 20.0
    max_asa: float | None = None
    max_abandon: float | None = None
    max_occupancy: float | None = None
    short_abandon: float = 0.0

    def describe(self) -> list[str]:
        parts = []
        if self.service_level is not None:
            parts.append(f"service level >= {self.service_level:g} within {self.target_time:g}")
        if self.max_asa is not None:
            parts.append(f"ASA <= {self.max_asa:g}")
        if self.max_abandon is not None:
            parts.append(f"abandonment <= {self.max_abandon:g}")
        if self.max_occupancy is not None:
            parts.append(f"occupancy <= {self.max_occupancy:g}")
        return parts


@dataclass(frozen=True, slots=True)
class Staffing:
    """Required agents per element, heads to schedule after shrinkage, and the metrics reached."""

    agents: IntArray
    scheduled: IntArray
    metrics: QueueMetrics
    shrinkage: float = 0.0
    model: str = field(default="c")


def scheduled_heads(agents: ArrayLike, shrinkage: float) -> IntArray:
    """Heads to schedule so that ``agents`` remain after ``shrinkage`` (ceil(n / (1 - s)))."""
    if not 0.0 <= shrinkage < 1.0:
        raise StaffingError("shrinkage must be at least 0 and below 1 (e.g. 0.3 for 30%)")
    n = np.asarray(agents, dtype=np.float64)
    # Rounding first keeps exact quotients such as 7 / 0.7 from spilling to the next head.
    heads: IntArray = np.ceil(np.round(n / (1.0 - shrinkage), 9)).astype(np.int64)
    return heads


def _validate(targets: Targets, erlang_a_model: bool, busy: bool) -> None:
    if not targets.describe():
        raise StaffingError(
            "give at least one target: service level (with its time), ASA, abandonment or occupancy"
        )
    if not (targets.target_time >= 0 and math.isfinite(targets.target_time)):
        raise StaffingError("the service-level time T must be a finite number >= 0")
    if not targets.short_abandon >= 0:
        raise StaffingError("the short-abandon threshold must be >= 0")
    sl, asa, ab, occ = targets.service_level, targets.max_asa, targets.max_abandon, targets.max_occupancy
    if sl is not None and not 0.0 < sl <= 1.0:
        raise StaffingError(f"service level target {sl:g} must be a fraction between 0 and 1 (0.8 = 80%)")
    if ab is not None and not 0.0 <= ab <= 1.0:
        raise StaffingError(f"abandonment target {ab:g} must be a fraction between 0 and 1")
    if occ is not None and not 0.0 < occ <= 1.0:
        raise StaffingError(f"occupancy target {occ:g} must be a fraction above 0 and at most 1")
    if asa is not None and not asa >= 0:
        raise StaffingError(f"ASA target {asa:g} must be >= 0")
    if not busy:
        return
    if sl is not None and sl >= 1.0:
        raise StaffingError(
            f"a service level of 100% within {targets.target_time:g} cannot be met: with random "
            "arrivals some contacts always find every agent busy; give a target below 1"
        )
    if asa is not None and asa <= 0:
        raise StaffingError(
            "an ASA of 0 cannot be met: with random arrivals some contacts always wait; give a target above 0"
        )
    if erlang_a_model and ab is not None and ab <= 0:
        raise StaffingError(
            "an abandonment rate of 0 cannot be met with impatient callers: some always find every "
            "agent busy and leave; give a target above 0"
        )


def _meets(m: QueueMetrics, targets: Targets, check: frozenset[str]) -> NDArray[np.bool_]:
    ok = np.ones(m.p_wait.shape, dtype=bool)
    # NaN (nobody answered, no agents) fails every comparison, as it should.
    if "service_level" in check and targets.service_level is not None:
        ok &= m.service_level >= targets.service_level
    if "asa" in check and targets.max_asa is not None:
        ok &= m.asa <= targets.max_asa
    if "abandon" in check and targets.max_abandon is not None:
        ok &= m.abandon_rate <= targets.max_abandon
    if "occupancy" in check and targets.max_occupancy is not None:
        ok &= m.occupancy <= targets.max_occupancy
    return ok


def _lower_bound(load: NDArray[np.float64], targets: Targets, erlang_a_model: bool) -> IntArray:
    lb = np.zeros(load.shape)
    if erlang_a_model:
        if targets.short_abandon == 0:
            if targets.service_level is not None:
                lb = np.maximum(lb, np.floor(targets.service_level * load))
            if targets.max_abandon is not None:
                lb = np.maximum(lb, np.floor((1.0 - targets.max_abandon) * load))
    else:
        lb = np.floor(load) + 1.0
        if targets.max_occupancy is not None:
            lb = np.maximum(lb, np.floor(load / targets.max_occupancy))
    return np.maximum(lb - 1.0, 0.0).astype(np.int64)


def search_cap(load: NDArray[np.float64], targets: Targets) -> IntArray:
    """The largest head count the search examines for each load."""
    base = load if targets.max_occupancy is None else load / targets.max_occupancy
    cap: IntArray = (
        np.ceil(base) + np.ceil(SEARCH_SQRT_MARGIN * np.sqrt(load)) + SEARCH_FIXED_MARGIN
    ).astype(np.int64)
    return cap


def required_agents(
    rate: ArrayLike,
    aht: ArrayLike,
    targets: Targets,
    patience: ArrayLike | None = None,
    shrinkage: float = 0.0,
    max_agents: int | None = None,
) -> Staffing:
    """The smallest agents meeting every target, per element of the broadcast inputs.

    ``patience=None`` staffs with Erlang C; a patience (mean time callers wait before giving
    up, same unit as ``aht``) staffs with Erlang A. Raises :class:`StaffingError` for invalid or
    impossible targets and for elements no head count up to :func:`search_cap` (or
    ``max_agents``, when smaller) satisfies (``indices`` holds their flat positions).
    """
    erlang_a_model = patience is not None
    r = np.asarray(rate, dtype=np.float64)
    h = np.asarray(aht, dtype=np.float64)
    p = np.asarray(np.inf if patience is None else patience, dtype=np.float64)
    if np.any(~np.isfinite(r)) or np.any(r < 0):
        raise StaffingError("rate must be a finite number of arrivals per unit of time >= 0")
    if np.any(~np.isfinite(h)) or np.any(h <= 0):
        raise StaffingError("aht must be a finite handling time > 0")
    if np.any(np.isnan(p)) or np.any(p <= 0):
        raise StaffingError("patience must be > 0")
    if not 0.0 <= shrinkage < 1.0:
        raise StaffingError("shrinkage must be at least 0 and below 1 (e.g. 0.3 for 30%)")
    r, h, p = np.broadcast_arrays(r, h, p)
    shape = r.shape
    rate_f, aht_f, pat_f = r.ravel(), h.ravel(), p.ravel()
    _validate(targets, erlang_a_model, bool(np.any(rate_f > 0)))

    load = rate_f * aht_f
    cap = search_cap(load, targets)
    if max_agents is not None:
        cap = np.minimum(cap, max_agents)
    start = _lower_bound(load, targets, erlang_a_model)
    busy = np.flatnonzero(rate_f > 0)
    columns = (rate_f, aht_f, pat_f)
    cheap = frozenset({"abandon", "occupancy"})
    if erlang_a_model and (targets.max_abandon is not None or targets.max_occupancy is not None):
        # No count below the first that meets the cheap targets can meet them all, so a scan of
        # the cheap targets alone moves the start up before the service-level sums are needed.
        start[busy] = _scan(busy, start[busy], cap, columns, targets, erlang_a_model, cheap, 8)
    answer = np.zeros(rate_f.size, dtype=np.int64)
    answer[busy] = _scan(busy, start[busy], cap, columns, targets, erlang_a_model, _ALL_CHECKS, 2)

    agents = answer.reshape(shape)
    if erlang_a_model:
        metrics = erlang_a(r, h, p, agents, target=targets.target_time, short_abandon=targets.short_abandon)
    else:
        metrics = erlang_c(r, h, agents, target=targets.target_time)
    return Staffing(
        agents=agents,
        scheduled=scheduled_heads(agents, shrinkage),
        metrics=metrics,
        shrinkage=shrinkage,
        model="a" if erlang_a_model else "c",
    )


def _scan(
    rows: IntArray,
    start: IntArray,
    cap: IntArray,
    columns: tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]],
    targets: Targets,
    erlang_a_model: bool,
    checks: frozenset[str],
    width: int,
) -> IntArray:
    """For each row, the first head count from ``start`` up that passes ``checks``."""
    answer = np.full(rows.size, -1, dtype=np.int64)
    current = start.astype(np.int64).copy()
    active = np.arange(rows.size)
    while active.size:
        n = current[active][:, None] + np.arange(width)
        valid = n <= cap[rows[active]][:, None]
        pick = np.repeat(rows[active], width)[valid.ravel()]
        heads = n.ravel()[valid.ravel()].astype(np.float64)
        ok = np.zeros(n.shape, dtype=bool)
        ok[valid] = _evaluate(pick, heads, *columns, targets, erlang_a_model, checks)
        found = ok.any(axis=1)
        answer[active[found]] = current[active[found]] + np.argmax(ok[found], axis=1)
        current[active] += width
        still = active[~found]
        exhausted = still[current[still] > cap[rows[still]]]
        if exhausted.size:
            _report_exhausted(rows[exhausted], *columns, cap, targets, erlang_a_model)
        active = still
        width = min(width * 2, 32)
    return answer


def _evaluate(
    rows: IntArray,
    heads: NDArray[np.float64],
    rate: NDArray[np.float64],
    aht: NDArray[np.float64],
    patience: NDArray[np.float64],
    targets: Targets,
    erlang_a_model: bool,
    checks: frozenset[str],
) -> NDArray[np.bool_]:
    t = np.full(rows.size, targets.target_time)
    # Callers who never give up need more agents than erlangs, or the queue grows for ever
    # (which no target about abandonment or occupancy would notice).
    stable = (heads > rate[rows] * aht[rows]) | np.isfinite(patience[rows])
    if not erlang_a_model:
        return stable & _meets(erlang_c(rate[rows], aht[rows], heads, t), targets, checks)
    s = np.full(rows.size, targets.short_abandon)
    short = targets.short_abandon > 0
    # Abandonment and occupancy come cheaply from the state probabilities; the service level
    # and ASA sums are computed only for head counts that pass those.
    cheap = {"p_short_abandon"} if short else set()
    first = erlang_a(rate[rows], aht[rows], patience[rows], heads, t, s, fields=cheap)
    ok = stable & _meets(first, targets, checks & {"abandon", "occupancy"})
    dear: set[str] = set()
    if "service_level" in checks and targets.service_level is not None:
        dear.add("answered_within_target")
    if "asa" in checks and targets.max_asa is not None:
        dear.add("asa")
    if not dear or not np.any(ok):
        return ok
    keep = np.flatnonzero(ok)
    sub = rows[keep]
    second = erlang_a(rate[sub], aht[sub], patience[sub], heads[keep], t[keep], s[keep], fields=cheap | dear)
    ok[keep] = _meets(second, targets, checks & {"service_level", "asa"})
    return ok


_ALL_CHECKS = frozenset({"service_level", "asa", "abandon", "occupancy"})


def _report_exhausted(
    rows: IntArray,
    rate: NDArray[np.float64],
    aht: NDArray[np.float64],
    patience: NDArray[np.float64],
    cap: IntArray,
    targets: Targets,
    erlang_a_model: bool,
) -> None:
    first = int(rows[0])
    heads = np.array([float(cap[first])])
    one = np.array([first])
    t = np.array([targets.target_time])
    if erlang_a_model:
        m = erlang_a(rate[one], aht[one], patience[one], heads, t, targets.short_abandon)
    else:
        m = erlang_c(rate[one], aht[one], heads, t)
    reached = m.at(0)
    missed = []
    if targets.service_level is not None and not reached["service_level"] >= targets.service_level:
        missed.append(f"service level {reached['service_level']:.6g} < {targets.service_level:g}")
    if targets.max_asa is not None and not reached["asa"] <= targets.max_asa:
        missed.append(f"ASA {reached['asa']:.6g} > {targets.max_asa:g}")
    if targets.max_abandon is not None and not reached["abandon_rate"] <= targets.max_abandon:
        missed.append(f"abandonment {reached['abandon_rate']:.6g} > {targets.max_abandon:g}")
    if targets.max_occupancy is not None and not reached["occupancy"] <= targets.max_occupancy:
        missed.append(f"occupancy {reached['occupancy']:.6g} > {targets.max_occupancy:g}")
    raise StaffingError(
        f"no head count up to the search cap of {int(cap[first])} agents (load "
        f"{rate[first] * aht[first]:.6g} erlangs) meets {', '.join(targets.describe())}; at the cap: "
        f"{'; '.join(missed) or 'targets met only at the edge of precision'}",
        indices=tuple(int(i) for i in rows),
    )
