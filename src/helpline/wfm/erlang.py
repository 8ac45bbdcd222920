"""Erlang B, Erlang C and Erlang A (M/M/n+M) queue metrics, vectorised over numpy arrays.

Units: ``rate`` is arrivals per unit of time; ``aht``, ``patience``, ``target`` (the service-level
threshold T) and ``short_abandon`` are in that same unit. With a rate of calls per second, ASA comes
back in seconds; with calls per 30 minutes and AHT in 30-minute units, in 30-minute units.

Every function broadcasts its array arguments against each other, so the metrics of many intervals
(or of one interval at many head counts) come from one call. Nothing here uses factorials: Erlang B
comes from the regularised incomplete gamma function (or its stable recursion where that function
underflows), and the Erlang A state probabilities are running products of birth/death ratios
(cumulative sums of logarithms where the products would overflow).

Erlang A is computed exactly on the birth–death chain of the number of contacts in the system,
truncated where the remaining tail mass is below ~1e-12 of the queue's mass. A caller who arrives
with ``j`` callers waiting ahead is served after a sum of exponential phases with rates
``n/aht + i/patience`` (i = j..0) unless its own patience runs out first; that sum has a closed-form
density, so within-T probabilities are regularised incomplete beta functions (evaluated as
negative-binomial tails) and the mean wait of a served caller is a harmonic sum. No approximation
is used. The one limit: when patience is so long relative to the load that the truncated queue
would need more than ``MAX_QUEUE_STATES`` states (e.g. patience of years with fewer agents than
erlangs), the functions raise ``ValueError`` instead of running out of memory; an infinite
patience is accepted and gives the Erlang C figures.

Metric definitions (see DESIGN.md):

* ``p_wait``: probability that an arriving contact finds every agent busy (waits at all).
* ``p_abandon``: probability that an arriving contact abandons (any wait).
* ``answered_within_target``: P(answered with wait <= T) over offered.
* ``service_level``: answered within T / (offered - short abandons), short abandons being those
  who abandon within ``short_abandon``; with ``short_abandon=0`` it equals
  ``answered_within_target``.
* ``abandon_rate``: (abandoned - short abandons) / (offered - short abandons).
* ``asa``: mean wait of answered contacts (those answered at once count with 0).
* ``occupancy``: busy agent time / staffed agent time = carried load / agents.
* ``queue_length``: mean number of contacts waiting.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import expit, gammaincc, gammaln

FloatArray = NDArray[np.float64]

#: The Erlang A chain is cut where the probability of all states beyond is below this fraction
#: of the most likely queue state's.
TAIL_MASS = 1e-12
#: Beyond this many queue states per evaluation the exact Erlang A computation refuses.
MAX_QUEUE_STATES = 2_000_000
# Cells of a (contacts x queue states) work array handled at once: keeps memory small.
_CHUNK_CELLS = 1 << 20


@dataclass(frozen=True, slots=True)
class QueueMetrics:
    """Steady-state metrics, each an array of the broadcast shape of the inputs."""

    p_wait: FloatArray
    p_abandon: FloatArray
    answered_within_target: FloatArray
    service_level: FloatArray
    abandon_rate: FloatArray
    p_short_abandon: FloatArray
    asa: FloatArray
    occupancy: FloatArray
    queue_length: FloatArray

    def at(self, index: int | tuple[int, ...]) -> dict[str, float]:
        """The metrics of one element as plain floats (NaN where undefined)."""
        return {name: float(getattr(self, name)[index]) for name in self.__slots__}


def offered_load(rate: ArrayLike, aht: ArrayLike) -> FloatArray:
    """Offered load in erlangs: arrivals per unit of time times handling time in that unit."""
    return np.asarray(rate, dtype=np.float64) * np.asarray(aht, dtype=np.float64)


def _as_agents(agents: ArrayLike) -> FloatArray:
    n = np.asarray(agents, dtype=np.float64)
    if np.any(~np.isfinite(n)) or np.any(n < 0) or np.any(n != np.floor(n)):
        raise ValueError("agents must be whole numbers >= 0")
    return n


def _erlang_b_recursive(load: FloatArray, lines: FloatArray) -> FloatArray:
    # B(k) = A B(k-1) / (k + A B(k-1)) shrinks relative errors at every step.
    b = np.ones_like(load)
    out = np.ones_like(load)
    top = int(lines.max()) if lines.size else 0
    for k in range(1, top + 1):
        b = load * b / (k + load * b)
        hit = lines == k
        out[hit] = b[hit]
    return out


def _erlang_b_flat(load: FloatArray, lines: FloatArray) -> FloatArray:
    out = np.empty_like(load)
    zero_load = load == 0
    out[zero_load] = np.where(lines[zero_load] == 0, 1.0, 0.0)
    pos = ~zero_load
    a, n = load[pos], lines[pos]
    # B = Poisson pmf(n; A) / Poisson cdf(n; A); the cdf is Q(n+1, A).
    cdf = gammaincc(n + 1.0, a)
    with np.errstate(divide="ignore"):
        log_b = n * np.log(a) - a - gammaln(n + 1.0) - np.log(cdf)
    b = np.exp(np.minimum(log_b, 0.0))
    weak = cdf < 1e-250
    if np.any(weak):
        b[weak] = _erlang_b_recursive(a[weak], n[weak])
    out[pos] = b
    return out


def erlang_b(load: ArrayLike, lines: ArrayLike) -> FloatArray:
    """Blocking probability of ``lines`` servers offered ``load`` erlangs (M/M/n/n)."""
    a = np.asarray(load, dtype=np.float64)
    n = _as_agents(lines)
    if np.any(~np.isfinite(a)) or np.any(a < 0):
        raise ValueError("load must be a finite number of erlangs >= 0")
    a, n = np.broadcast_arrays(a, n)
    return _erlang_b_flat(a.ravel(), n.ravel()).reshape(a.shape)


def _check_common(rate: FloatArray, aht: FloatArray, target: FloatArray, short: FloatArray) -> None:
    if np.any(~np.isfinite(rate)) or np.any(rate < 0):
        raise ValueError("rate must be a finite number of arrivals per unit of time >= 0")
    if np.any(~np.isfinite(aht)) or np.any(aht <= 0):
        raise ValueError("aht must be a finite handling time > 0")
    if np.any(np.isnan(target)) or np.any(target < 0):
        raise ValueError("target (the service-level threshold T) must be >= 0")
    if np.any(np.isnan(short)) or np.any(short < 0):
        raise ValueError("short_abandon must be >= 0")


def _erlang_c_flat(rate: FloatArray, aht: FloatArray, n: FloatArray, target: FloatArray) -> QueueMetrics:
    a = rate * aht
    b = _erlang_b_flat(a, n)
    stable = n > a
    idle = rate == 0
    with np.errstate(divide="ignore", invalid="ignore"):
        gap = n - a
        c = np.where(stable, n * b / (n - a * (1.0 - b)), 1.0)
        c = np.where(idle, 0.0, c)
        within = np.where(stable, 1.0 - c * np.exp(-gap * target / aht), 0.0)
        within = np.where(idle, 1.0, within)
        asa = np.where(stable, c * aht / gap, np.inf)
        asa = np.where(idle, 0.0, asa)
        queue = np.where(stable, c * a / gap, np.inf)
        queue = np.where(idle, 0.0, queue)
        occupancy = np.where(stable, a / n, 1.0)
        occupancy = np.where(idle, 0.0, occupancy)
    zeros = np.zeros_like(a)
    return QueueMetrics(
        p_wait=c,
        p_abandon=zeros,
        answered_within_target=within,
        service_level=within.copy(),
        abandon_rate=zeros.copy(),
        p_short_abandon=zeros.copy(),
        asa=asa,
        occupancy=occupancy,
        queue_length=queue,
    )


def erlang_c(rate: ArrayLike, aht: ArrayLike, agents: ArrayLike, target: ArrayLike = 0.0) -> QueueMetrics:
    """Erlang C (M/M/n, nobody abandons) metrics.

    With ``agents <= load`` the queue is unstable: ``p_wait`` 1, service level 0, ASA and queue
    length infinite, occupancy 1. ``p_abandon`` is always 0.
    """
    r = np.asarray(rate, dtype=np.float64)
    h = np.asarray(aht, dtype=np.float64)
    t = np.asarray(target, dtype=np.float64)
    n = _as_agents(agents)
    _check_common(r, h, t, np.zeros(()))
    r, h, n, t = np.broadcast_arrays(r, h, n, t)
    flat = _erlang_c_flat(r.ravel(), h.ravel(), n.ravel(), t.ravel())
    return _reshape(flat, r.shape)


def _reshape(m: QueueMetrics, shape: tuple[int, ...]) -> QueueMetrics:
    return QueueMetrics(**{name: getattr(m, name).reshape(shape) for name in QueueMetrics.__slots__})


def _queue_states_needed(x: FloatArray, c: FloatArray) -> FloatArray:
    """How many waiting positions keep the Erlang A tail below ``TAIL_MASS``.

    With x = rate*patience and c = agents*patience/aht, state n+j has weight
    r_j = prod_{i<=j} x/(c+i) relative to state n; r_j rises while c+i < x and then falls
    ever faster, so past the peak the tail after J is at most r_J * q/(1-q), q = x/(c+J+1).
    """
    peak = np.floor(np.maximum(x - c, 0.0))

    def log_r(j: FloatArray) -> FloatArray:
        value: FloatArray = j * np.log(x) - gammaln(c + j + 1.0) + gammaln(c + 1.0)
        return value

    log_peak = log_r(peak)
    limit = np.log(TAIL_MASS)

    def enough(extra: FloatArray) -> NDArray[np.bool_]:
        j = peak + extra
        q = x / (c + j + 1.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            bound = log_r(j) + np.log(q) - np.log1p(-q) - log_peak
        ok: NDArray[np.bool_] = (q < 1.0) & (bound < limit)
        return ok

    # First guess: past the peak the log-weights fall by about d*log(base/x) + d^2/(2*base),
    # base = c + peak; solve that for the tail limit, then widen only where the bound fails.
    base = c + peak + 1.0
    slope = np.log(base / x)
    fall = 1.1 * -limit
    high = np.ceil(1.1 * base * (np.sqrt(slope**2 + 2.0 * fall / base) - slope)) + 4.0
    todo = ~enough(high)
    while np.any(todo):
        if np.any(peak[todo] + high[todo] > MAX_QUEUE_STATES):
            raise ValueError(
                "Erlang A: patience is so long relative to the load that the exact computation "
                f"would need more than {MAX_QUEUE_STATES:,} queue states; use Erlang C "
                "(infinite patience) for this case"
            )
        high[todo] = np.ceil(high[todo] * 1.5)
        todo[todo] = ~enough(high)[todo]
    need: FloatArray = peak + high
    return need


def _nb_upper_tail(log_u: FloatArray, log_p0: FloatArray, r_minus_1: FloatArray, cols: int) -> FloatArray:
    """I_U(j+1, r) for j = 0..cols-1: the upper tail P(N > j) of a negative binomial.

    N counts failures (probability U each) before r successes; log_p0 = r*log(1-U). The terms
    are probabilities, so a running product cannot overflow; where the first term would underflow
    the terms come from cumulative sums of logs instead.
    """
    i = np.arange(1, cols, dtype=np.float64)
    terms = np.empty((log_u.size, cols))
    direct = log_p0 > -600.0
    if np.any(direct):
        u = np.exp(log_u[direct])[:, None]
        terms[direct, 0] = np.exp(log_p0[direct])
        terms[direct, 1:] = u * (r_minus_1[direct][:, None] + i) / i
        terms[direct] = np.cumprod(terms[direct], axis=1)
    if not np.all(direct):
        far = ~direct
        with np.errstate(divide="ignore", invalid="ignore"):
            steps = log_u[far][:, None] + np.log(r_minus_1[far][:, None] + i) - np.log(i)
        steps = np.where(np.isnan(steps), -np.inf, steps)
        logs = np.empty((int(far.sum()), cols))
        logs[:, 0] = log_p0[far]
        logs[:, 1:] = log_p0[far][:, None] + np.cumsum(steps, axis=1)
        terms[far] = np.exp(logs)
    tail: FloatArray = np.clip(1.0 - np.cumsum(terms, axis=1), 0.0, 1.0)
    return tail


_ALL_FIELDS = frozenset(
    {"p_wait", "p_abandon", "answered_within_target", "p_short_abandon", "asa", "occupancy", "queue_length"}
)


def _erlang_a_block(
    rate: FloatArray,
    aht: FloatArray,
    patience: FloatArray,
    n: FloatArray,
    target: FloatArray,
    short: FloatArray,
    states: int,
    fields: frozenset[str],
) -> dict[str, FloatArray]:
    """Erlang A for contacts that all keep ``states`` waiting positions (rate > 0, finite patience)."""
    theta = 1.0 / patience
    load = rate * aht
    c = n * patience / aht
    x = rate * patience
    j = np.arange(states, dtype=np.float64)
    # inv[j] = 1/(c+j+1): a caller with j ahead is served with probability c/(c+j+1), and state
    # n+j+1 weighs x/(c+j+1) times state n+j.
    inv = 1.0 / (c[:, None] + (j + 1.0))
    # Weights of states n+j relative to state n, scaled by their largest value where they would
    # overflow.
    log_peak = np.floor(np.maximum(x - c, 0.0))
    log_peak = log_peak * np.log(x) - gammaln(c + log_peak + 1.0) + gammaln(c + 1.0)
    weights: FloatArray = np.empty((rate.size, states))
    small = log_peak < 600.0
    if np.all(small):
        weights[:, 0] = 1.0
        np.multiply(x[:, None], inv[:, :-1], out=weights[:, 1:])
        np.cumprod(weights, axis=1, out=weights)
        top = np.zeros_like(rate)
    else:
        log_r = np.zeros((rate.size, states))
        log_r[:, 1:] = np.cumsum(np.log(x[:, None] * inv[:, :-1]), axis=1)
        top = np.where(small, 0.0, log_r.max(axis=1))
        weights = np.exp(log_r - top[:, None])
    queue_mass = weights.sum(axis=1)
    b = _erlang_b_flat(load, n)
    with np.errstate(divide="ignore"):
        log_below = np.log1p(-b) - np.log(b) - top
    p_wait = expit(np.log(queue_mass) - log_below)
    scale = p_wait / queue_mass  # P(state n+j) = scale * weights[j]
    served_weights = weights * inv  # times c: weight of "j ahead, then served"
    p_served_after_wait = scale * c * served_weights.sum(axis=1)
    p_abandon = p_wait - p_served_after_wait
    answered = 1.0 - p_abandon
    nan = np.full_like(rate, np.nan)
    got = {"p_wait": p_wait, "p_abandon": p_abandon}
    with np.errstate(divide="ignore", invalid="ignore"):
        got["occupancy"] = np.where(n > 0, load * answered / n, np.nan)
    got["queue_length"] = scale * (weights @ j) if "queue_length" in fields else nan

    if "answered_within_target" in fields:
        # P(served and wait <= T | j ahead) = c/(c+j+1) * I_U(j+1, c+1), U = 1 - exp(-T/patience).
        with np.errstate(divide="ignore"):
            log_u = np.log(-np.expm1(-theta * target))
        tail = _nb_upper_tail(log_u, -(c + 1.0) * theta * target, c, states)
        within = scale * c * np.einsum("ij,ij->i", served_weights, tail)
        got["answered_within_target"] = (1.0 - p_wait) + within
    else:
        got["answered_within_target"] = nan

    if "asa" in fields:
        # Mean wait of a served caller with j ahead: sum_{m=1}^{j+1} 1/(n/aht + m/patience).
        harmonic = np.cumsum(inv, axis=1) * patience[:, None]
        with np.errstate(divide="ignore", invalid="ignore"):
            got["asa"] = scale * c * np.einsum("ij,ij->i", served_weights, harmonic) / answered
    else:
        got["asa"] = nan

    p_short = np.zeros_like(rate)
    has_short = short > 0
    if "p_short_abandon" in fields and np.any(has_short):
        # P(abandon within S | j) = 1 - c/(c+j+1) I_U(j+1, c+1) - e^{-S/patience} (1 - I_U(j+1, c)).
        s = np.where(has_short, short, 0.0)
        with np.errstate(divide="ignore"):
            log_us = np.log(-np.expm1(-theta * s))
        served_by_s = c[:, None] * inv * _nb_upper_tail(log_us, -(c + 1.0) * theta * s, c, states)
        reached_by_s = _nb_upper_tail(log_us, -c * theta * s, c - 1.0, states)
        short_j = 1.0 - served_by_s - np.exp(-theta * s)[:, None] * (1.0 - reached_by_s)
        p_short = np.where(has_short, scale * (weights * np.clip(short_j, 0.0, 1.0)).sum(axis=1), 0.0)
    got["p_short_abandon"] = p_short
    return got


def _erlang_a_flat(
    rate: FloatArray,
    aht: FloatArray,
    patience: FloatArray,
    n: FloatArray,
    target: FloatArray,
    short: FloatArray,
    fields: frozenset[str] = _ALL_FIELDS,
) -> QueueMetrics:
    size = rate.size
    out = {name: np.empty(size) for name in _ALL_FIELDS}
    idle = rate == 0
    out["p_wait"][idle] = 0.0
    out["p_abandon"][idle] = 0.0
    out["answered_within_target"][idle] = 1.0
    out["p_short_abandon"][idle] = 0.0
    out["asa"][idle] = 0.0
    out["occupancy"][idle] = 0.0
    out["queue_length"][idle] = 0.0

    patient = ~idle & np.isinf(patience)
    if np.any(patient):
        cm = _erlang_c_flat(rate[patient], aht[patient], n[patient], target[patient])
        for name in out:
            out[name][patient] = getattr(cm, name)

    busy = np.flatnonzero(~idle & ~patient)
    if busy.size:
        x = rate[busy] * patience[busy]
        c = n[busy] * patience[busy] / aht[busy]
        need = _queue_states_needed(x, c) + 1.0
        # Group contacts with similar state counts: little padding, few calls.
        width = np.maximum(8.0, 2.0 ** np.floor(np.log2(need) - 2.0))
        bucket = (np.ceil(need / width) * width).astype(np.int64)
        for states in np.unique(bucket):
            members = busy[bucket == states]
            per_chunk = max(1, _CHUNK_CELLS // int(states))
            for start in range(0, members.size, per_chunk):
                idx = members[start : start + per_chunk]
                got = _erlang_a_block(
                    rate[idx], aht[idx], patience[idx], n[idx], target[idx], short[idx], int(states), fields
                )
                for name, values in got.items():
                    out[name][idx] = values

    p_short = out["p_short_abandon"]
    with np.errstate(divide="ignore", invalid="ignore"):
        kept = 1.0 - p_short
        service_level = out["answered_within_target"] / kept
        abandon_rate = np.maximum(out["p_abandon"] - p_short, 0.0) / kept
    return QueueMetrics(
        p_wait=out["p_wait"],
        p_abandon=out["p_abandon"],
        answered_within_target=out["answered_within_target"],
        service_level=service_level,
        abandon_rate=abandon_rate,
        p_short_abandon=p_short,
        asa=out["asa"],
        occupancy=out["occupancy"],
        queue_length=out["queue_length"],
    )


def erlang_a(
    rate: ArrayLike,
    aht: ArrayLike,
    patience: ArrayLike,
    agents: ArrayLike,
    target: ArrayLike = 0.0,
    short_abandon: ArrayLike = 0.0,
    fields: Collection[str] | None = None,
) -> QueueMetrics:
    """Erlang A (M/M/n+M: exponential patience with mean ``patience``) metrics, computed exactly.

    ``p_wait`` is P(wait > 0) for an arrival, the figure a simulation's share of contacts answered
    without waiting complements. With no agents every arrival abandons and ASA is NaN (there is
    nobody answered to average over); occupancy is NaN too. An infinite patience gives Erlang C.

    ``fields`` limits the work to some of ``answered_within_target`` (and so ``service_level``),
    ``asa``, ``queue_length`` and ``p_short_abandon`` (and so the short-abandon corrections);
    ``p_wait``, ``p_abandon`` and ``occupancy`` always come. Fields left out are NaN (a left-out
    ``p_short_abandon`` counts as 0). Staffing searches use it to skip sums they do not need.
    """
    r = np.asarray(rate, dtype=np.float64)
    h = np.asarray(aht, dtype=np.float64)
    p = np.asarray(patience, dtype=np.float64)
    t = np.asarray(target, dtype=np.float64)
    s = np.asarray(short_abandon, dtype=np.float64)
    n = _as_agents(agents)
    _check_common(r, h, t, s)
    if np.any(np.isnan(p)) or np.any(p <= 0):
        raise ValueError("patience must be > 0 (use infinity for callers who never abandon)")
    r, h, p, n, t, s = np.broadcast_arrays(r, h, p, n, t, s)
    chosen = _ALL_FIELDS if fields is None else frozenset(fields) | {"p_wait", "p_abandon", "occupancy"}
    unknown = chosen - _ALL_FIELDS
    if unknown:
        raise ValueError(f"unknown Erlang A fields: {', '.join(sorted(unknown))}")
    flat = _erlang_a_flat(r.ravel(), h.ravel(), p.ravel(), n.ravel(), t.ravel(), s.ravel(), chosen)
    return _reshape(flat, r.shape)
