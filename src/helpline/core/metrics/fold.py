"""One fold over the routing facts that yields the standard metrics per queue and interval.

Theory of operation
-------------------
``MetricFold.add(event)`` folds one fact (``core.events``) into running totals; ``result()``
returns an immutable copy at any moment, so the wallboard can feed live events and ask for
figures every second, and reporting can feed a day's log and ask once.

Queue figures belong to the interval in which the interaction *entered the queue*
(``InteractionQueued.at``), whatever the time it was answered or abandoned: the convention of
interval reports, and the one that lets a forecast interval be compared with what happened to
its calls. An interaction transferred into another queue is offered again there. The
definitions are DESIGN.md's:

* offered: entered the queue; short abandon: abandoned after waiting ``<= short_abandon_s``;
* answered within T: answered after waiting ``<= sl_threshold_s`` of that queue;
* service level = answered within T / (offered - short abandons);
* ASA = mean wait of answered interactions (wait = queue entry to acceptance, ringing included);
* AHT = talk + hold + wrap-up per handled interaction (acceptance to end, then wrap-up);
* abandonment rate = abandoned, short ones excluded / (offered - short abandons);
* EWT accuracy compares the estimate given at entry (``InteractionQueued.ewt``) with the actual
  wait of answered interactions: mean error (estimate - actual; positive = told too long), mean
  absolute error and the share within ``ewt_tolerance`` of the actual wait (or within
  ``ewt_floor_s`` seconds, for short waits where a percentage is meaningless).

Agent figures are clock time cut at interval boundaries, from ``AgentStateChanged``:
occupancy = handling / (handling + available), handling being busy, wrap-up and reserved
(ringing) time; paused and offline time count in neither. A state still open when ``result`` is
asked counts up to ``now`` (default: the time of the latest fact).

Facts about interactions the fold never saw enter a queue (a wallboard started mid-day) are
ignored rather than guessed at. The fold imports nothing but the core's facts and configuration.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Final

from helpline.core import events as E
from helpline.core.agent import AgentState
from helpline.core.config import TenantConfig

#: Agent states counted as handling time in occupancy.
HANDLING_STATES: Final = frozenset({AgentState.BUSY, AgentState.WRAP_UP, AgentState.RESERVED})

_DEFAULT_THRESHOLD_S: Final = 20.0
_NEITHER: Final = 0
_HANDLING: Final = 1
_AVAILABLE: Final = 2
_STATE_KIND: Final[dict[AgentState, int]] = {s: _HANDLING for s in HANDLING_STATES} | {AgentState.AVAILABLE: _AVAILABLE}


def _ratio(num: float, den: float) -> float | None:
    return num / den if den > 0 else None


_TOTALS_FIELDS: Final[tuple[str, ...]] = (
    "abandoned", "answered", "answered_at_once", "answered_within", "callbacks", "ewt_abs_error_s",
    "ewt_error_s", "ewt_missing", "ewt_n", "ewt_within", "handled", "offered", "overflowed",
    "short_abandoned", "talk_s", "transferred_out", "wait_s", "wrap_s",
)  # QueueTotals' attributes (mypyc cannot read a native class's __slots__)


class QueueTotals:
    """Running counts and sums of one queue in one interval (or merged over several)."""

    __slots__ = (
        "abandoned",
        "answered",
        "answered_at_once",
        "answered_within",
        "callbacks",
        "ewt_abs_error_s",
        "ewt_error_s",
        "ewt_missing",
        "ewt_n",
        "ewt_within",
        "handled",
        "offered",
        "overflowed",
        "short_abandoned",
        "talk_s",
        "transferred_out",
        "wait_s",
        "wrap_s",
    )

    def __init__(self) -> None:
        self.offered = 0
        self.answered = 0
        self.answered_within = 0
        self.answered_at_once = 0  # answered with no wait at all
        self.abandoned = 0  # all abandons, short ones included
        self.short_abandoned = 0
        self.overflowed = 0
        self.callbacks = 0
        self.transferred_out = 0
        self.wait_s = 0.0  # summed over answered
        self.handled = 0
        self.talk_s = 0.0  # talk + hold, summed over handled
        self.wrap_s = 0.0
        self.ewt_n = 0
        self.ewt_missing = 0  # answered with no estimate given at entry
        self.ewt_error_s = 0.0
        self.ewt_abs_error_s = 0.0
        self.ewt_within = 0

    def merge(self, other: QueueTotals) -> QueueTotals:
        """Add ``other`` into this one (returns self)."""
        for name in _TOTALS_FIELDS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        return self

    def copy(self) -> QueueTotals:
        return QueueTotals().merge(self)

    # -- the standard metrics ------------------------------------------------------------------

    @property
    def service_level(self) -> float | None:
        return _ratio(self.answered_within, self.offered - self.short_abandoned)

    @property
    def asa_s(self) -> float | None:
        return _ratio(self.wait_s, self.answered)

    @property
    def aht_s(self) -> float | None:
        return _ratio(self.talk_s + self.wrap_s, self.handled)

    @property
    def abandon_rate(self) -> float | None:
        return _ratio(self.abandoned - self.short_abandoned, self.offered - self.short_abandoned)

    @property
    def answered_at_once_share(self) -> float | None:
        """Share of offered interactions answered without waiting (1 - P(wait) in Erlang terms)."""
        return _ratio(self.answered_at_once, self.offered)

    @property
    def ewt(self) -> EwtAccuracy:
        return EwtAccuracy(
            self.ewt_n,
            self.ewt_missing,
            _ratio(self.ewt_error_s, self.ewt_n),
            _ratio(self.ewt_abs_error_s, self.ewt_n),
            _ratio(self.ewt_within, self.ewt_n),
        )

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {name: getattr(self, name) for name in sorted(_TOTALS_FIELDS)}
        out.update(
            service_level=self.service_level,
            asa_s=self.asa_s,
            aht_s=self.aht_s,
            abandon_rate=self.abandon_rate,
            answered_at_once_share=self.answered_at_once_share,
            ewt_mean_error_s=self.ewt.mean_error_s,
            ewt_mean_abs_error_s=self.ewt.mean_abs_error_s,
            ewt_within_share=self.ewt.within_share,
        )
        return out

    def __repr__(self) -> str:
        return (
            f"QueueTotals(offered={self.offered}, answered={self.answered}, abandoned={self.abandoned}, "
            f"sl={self.service_level}, asa={self.asa_s}, aht={self.aht_s})"
        )


@dataclass(frozen=True, slots=True)
class EwtAccuracy:
    n: int  # answered interactions that were given an estimate
    missing: int  # answered interactions given no estimate
    mean_error_s: float | None  # estimate - actual wait
    mean_abs_error_s: float | None
    within_share: float | None


class AgentTotals:
    """Handling and available seconds of one agent in one interval (or merged)."""

    __slots__ = ("available_s", "handling_s")

    def __init__(self, handling_s: float = 0.0, available_s: float = 0.0) -> None:
        self.handling_s = handling_s
        self.available_s = available_s

    def merge(self, other: AgentTotals) -> AgentTotals:
        self.handling_s += other.handling_s
        self.available_s += other.available_s
        return self

    @property
    def occupancy(self) -> float | None:
        return _ratio(self.handling_s, self.handling_s + self.available_s)

    def __repr__(self) -> str:
        return f"AgentTotals(handling_s={self.handling_s}, available_s={self.available_s})"


@dataclass(frozen=True, slots=True)
class MetricsResult:
    """Metrics at one moment. Interval ``k`` starts at ``origin + k * interval_s``."""

    interval_s: float
    origin: float
    queues: dict[str, dict[int, QueueTotals]]
    agents: dict[str, dict[int, AgentTotals]]

    def interval_start(self, k: int) -> float:
        return self.origin + k * self.interval_s if math.isfinite(self.interval_s) else self.origin

    def intervals(self) -> list[int]:
        ks: set[int] = set()
        for by_k in self.queues.values():
            ks.update(by_k)
        for by_k_a in self.agents.values():
            ks.update(by_k_a)
        return sorted(ks)

    def total(
        self, queue: str | None = None, first: int | None = None, last: int | None = None
    ) -> QueueTotals:
        """One queue's (or every queue's) totals over intervals ``first..last`` (inclusive)."""
        out = QueueTotals()
        for qid, by_k in self.queues.items():
            if queue is not None and qid != queue:
                continue
            for k, totals in by_k.items():
                if (first is None or k >= first) and (last is None or k <= last):
                    out.merge(totals)
        return out

    def agent_total(
        self, agent: str | None = None, first: int | None = None, last: int | None = None
    ) -> AgentTotals:
        """One agent's (or all agents') handling and available time over intervals ``first..last``."""
        out = AgentTotals()
        for aid, by_k in self.agents.items():
            if agent is not None and aid != agent:
                continue
            for k, totals in by_k.items():
                if (first is None or k >= first) and (last is None or k <= last):
                    out.merge(totals)
        return out

    def occupancy(
        self, agent: str | None = None, first: int | None = None, last: int | None = None
    ) -> float | None:
        return self.agent_total(agent, first, last).occupancy

    def rows(self) -> Iterator[dict[str, Any]]:
        """One row per queue and interval (queue, interval, interval_start, then every figure)."""
        for qid in sorted(self.queues):
            for k in sorted(self.queues[qid]):
                row: dict[str, Any] = {"queue": qid, "interval": k, "interval_start": self.interval_start(k)}
                row.update(self.queues[qid][k].as_dict())
                yield row


class MetricFold:
    """Fold routing facts into per-queue, per-interval metrics. See the module docstring."""

    def __init__(
        self,
        config: TenantConfig,
        *,
        interval_s: float = 900.0,
        origin: float = 0.0,
        ewt_tolerance: float = 0.2,
        ewt_floor_s: float = 0.0,
    ) -> None:
        if not interval_s > 0:
            raise ValueError(f"interval_s must be > 0, got {interval_s!r}")
        if ewt_tolerance < 0 or ewt_floor_s < 0:
            raise ValueError("ewt_tolerance and ewt_floor_s must be >= 0")
        self.config = config
        self.interval_s = float(interval_s)
        self.origin = float(origin)
        self.ewt_tolerance = float(ewt_tolerance)
        self.ewt_floor_s = float(ewt_floor_s)
        self._short_s = config.short_abandon_s
        self._threshold: dict[str, float] = {q.id: q.sl_threshold_s for q in config.queues}
        self._queues: dict[str, dict[int, QueueTotals]] = {}
        self._agents: dict[str, dict[int, AgentTotals]] = {}
        # interaction -> [totals, queued_at, ewt, started_at, queue]
        self._live: dict[str, list[Any]] = {}
        # (interaction, agent) -> (totals, talk_s, ended_at): a wrap-up under way
        self._wrapping: dict[tuple[str, str], tuple[QueueTotals, float, float]] = {}
        # agent -> [counts as (_HANDLING, _AVAILABLE or _NEITHER), since, interval end, totals]:
        # the totals of the interval the state began in, so most changes add without a lookup
        self._state: dict[str, list[Any]] = {}
        self._last_at = origin

    # -- feeding -------------------------------------------------------------------------------

    def add(self, event: E.Event) -> None:
        self._fold(event)
        if event.at > self._last_at:
            self._last_at = event.at

    def add_all(self, events: Iterable[E.Event]) -> None:
        last = self._last_at
        for event in events:
            self._fold(event)
            if event.at > last:
                last = event.at
        self._last_at = last

    def _fold(self, event: E.Event) -> None:
        # the usual kinds first (a chain of type checks is what the compiled core runs fastest);
        # the other kinds change no metric
        if isinstance(event, E.AgentStateChanged):
            self._agent_state(event)
        elif isinstance(event, E.InteractionQueued):
            self._queued(event)
        elif isinstance(event, E.InteractionStarted):
            self._started(event)
        elif isinstance(event, E.InteractionEnded):
            self._ended(event)
        elif isinstance(event, E.InteractionAbandoned):
            self._abandoned(event)
        elif isinstance(event, E.WrapUpEnded):
            self._wrap_ended(event)
        elif isinstance(event, E.InteractionTransferred):
            self._transferred(event)
        elif isinstance(event, E.InteractionOverflowed):
            self._overflowed(event)
        elif isinstance(event, E.CallbackRequested):
            self._callback(event)

    # -- reading -------------------------------------------------------------------------------

    def result(self, now: float | None = None) -> MetricsResult:
        """A copy of the figures so far; agents' open states count up to ``now``."""
        if now is not None and not math.isfinite(now):
            raise ValueError(f"result(now=...) needs a finite time, got {now!r}")
        until = self._last_at if now is None else now
        queues = {q: {k: t.copy() for k, t in by_k.items()} for q, by_k in self._queues.items()}
        agents = {
            a: {k: AgentTotals(t.handling_s, t.available_s) for k, t in by_k.items()}
            for a, by_k in self._agents.items()
        }
        for agent, (kind, since, _, _) in self._state.items():
            if until > since and kind != _NEITHER:
                self._account(agents, agent, kind == _HANDLING, since, until)
        return MetricsResult(self.interval_s, self.origin, queues, agents)

    # -- helpers -------------------------------------------------------------------------------

    def _bucket(self, queue: str, at: float) -> QueueTotals:
        k = int((at - self.origin) // self.interval_s)
        by_k = self._queues.get(queue)
        if by_k is None:
            by_k = self._queues[queue] = {}
        totals = by_k.get(k)
        if totals is None:
            totals = by_k[k] = QueueTotals()
        return totals

    def _account(
        self, into: dict[str, dict[int, AgentTotals]], agent: str, handling: bool, start: float, end: float
    ) -> None:
        size = self.interval_s
        origin = self.origin
        by_k = into.get(agent)
        if by_k is None:
            by_k = into[agent] = {}
        k = int((start - origin) // size)
        while True:
            boundary = origin + (k + 1) * size
            piece_end = end if end < boundary else boundary
            totals = by_k.get(k)
            if totals is None:
                totals = by_k[k] = AgentTotals()
            if handling:
                totals.handling_s += piece_end - start
            else:
                totals.available_s += piece_end - start
            if end <= boundary:
                return
            start = boundary
            k += 1

    def _close_segment(
        self, f: E.InteractionEnded | E.InteractionTransferred, agent: str, wrap_up: bool
    ) -> None:
        rec = self._live.pop(f.interaction, None)
        if rec is None or rec[3] is None:
            return
        totals: QueueTotals = rec[0]
        talk = f.at - rec[3]
        if wrap_up:
            self._wrapping[(f.interaction, agent)] = (totals, talk, f.at)
        else:
            totals.handled += 1
            totals.talk_s += talk

    # -- facts ---------------------------------------------------------------------------------

    def _queued(self, f: E.InteractionQueued) -> None:
        totals = self._bucket(f.queue, f.at)
        totals.offered += 1
        self._live[f.interaction] = [totals, f.at, f.ewt, None, f.queue]

    def _started(self, f: E.InteractionStarted) -> None:
        rec = self._live.get(f.interaction)
        if rec is None or rec[3] is not None:
            return
        rec[3] = f.at
        totals: QueueTotals = rec[0]
        wait = f.at - rec[1]
        totals.answered += 1
        totals.wait_s += wait
        if wait <= self._threshold.get(rec[4], _DEFAULT_THRESHOLD_S):
            totals.answered_within += 1
        if wait <= 0.0:
            totals.answered_at_once += 1
        estimate = rec[2]
        if estimate is None:
            totals.ewt_missing += 1
        else:
            error = estimate - wait
            totals.ewt_n += 1
            totals.ewt_error_s += error
            magnitude = -error if error < 0 else error
            totals.ewt_abs_error_s += magnitude
            allowed = self.ewt_tolerance * wait
            if magnitude <= (allowed if allowed > self.ewt_floor_s else self.ewt_floor_s):
                totals.ewt_within += 1

    def _ended(self, f: E.InteractionEnded) -> None:
        self._close_segment(f, f.agent, f.wrap_up)

    def _transferred(self, f: E.InteractionTransferred) -> None:
        rec = self._live.get(f.interaction)
        if rec is not None:
            rec[0].transferred_out += 1
        self._close_segment(f, f.from_agent, f.wrap_up)

    def _wrap_ended(self, f: E.WrapUpEnded) -> None:
        held = self._wrapping.pop((f.interaction, f.agent), None)
        if held is None:
            return
        totals, talk, ended_at = held
        totals.handled += 1
        totals.talk_s += talk
        totals.wrap_s += f.at - ended_at

    def _abandoned(self, f: E.InteractionAbandoned) -> None:
        rec = self._live.pop(f.interaction, None)
        if rec is None:
            return
        totals: QueueTotals = rec[0]
        totals.abandoned += 1
        if f.waited_s <= self._short_s:
            totals.short_abandoned += 1

    def _overflowed(self, f: E.InteractionOverflowed) -> None:
        rec = self._live.pop(f.interaction, None)
        if rec is not None:
            rec[0].overflowed += 1

    def _callback(self, f: E.CallbackRequested) -> None:
        rec = self._live.get(f.interaction)
        if rec is not None:
            rec[0].callbacks += 1

    def _agent_state(self, f: E.AgentStateChanged) -> None:
        at = f.at
        held = self._state.get(f.agent)
        if held is None:
            held = self._state[f.agent] = [_NEITHER, at, -math.inf, None]
        kind, since, end, totals = held
        if kind != _NEITHER and at > since:
            if at <= end:
                if kind == _HANDLING:
                    totals.handling_s += at - since
                else:
                    totals.available_s += at - since
            else:
                self._account(self._agents, f.agent, kind == _HANDLING, since, at)
        kind = _STATE_KIND.get(f.state, _NEITHER)
        held[0] = kind
        held[1] = at
        if kind != _NEITHER and at >= end:
            k = int((at - self.origin) // self.interval_s)
            by_k = self._agents.get(f.agent)
            if by_k is None:
                by_k = self._agents[f.agent] = {}
            found = by_k.get(k)
            if found is None:
                found = by_k[k] = AgentTotals()
            held[2] = self.origin + (k + 1) * self.interval_s
            held[3] = found
