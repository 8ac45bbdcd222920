"""What a simulation run is asked to simulate: the tenant, the load, the staff.

The routing rules are the tenant's real :class:`TenantConfig` (queues, skills, strategies,
workflow steps, wrap-up, capacities); the model adds what the configuration cannot know:

* per queue, the arrival rate in each interval (calls per second, piecewise constant), the
  handle-time distribution (talk + hold, wrap-up comes from the queue's ``wrap_up_s``) and the
  callers' patience (a caller still waiting when it runs out abandons);
* the schedule: which agents are logged in during each interval (an agent whose shift ends logs
  out once their work in hand is done; an agent scheduled again later logs back in);
* how long a simulated agent lets an offer ring before accepting it (default: at once).

``validate`` names every problem (unknown queue or agent, negative rate, mismatched lengths)
in one :class:`SimInputError`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from helpline.core.config import TenantConfig
from helpline.sim.distributions import Distribution


class SimInputError(ValueError):
    """The simulation inputs do not fit together; the message lists every problem."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(self.problems))


@dataclass(frozen=True, slots=True)
class QueueLoad:
    rates: tuple[float, ...]  # arrivals per second, one per interval
    handle: Distribution  # talk + hold, seconds
    patience: Distribution  # seconds a caller waits before hanging up

    @classmethod
    def from_counts(
        cls, counts: Sequence[float], interval_s: float, handle: Distribution, patience: Distribution
    ) -> QueueLoad:
        """A forecast's calls per interval, read as the mean of a Poisson count in each interval."""
        return cls(tuple(float(c) / interval_s for c in counts), handle, patience)


@dataclass(frozen=True, slots=True)
class Schedule:
    """Agents logged in per interval; intervals beyond the last keep the last one's staff."""

    intervals: tuple[frozenset[str], ...]

    def at(self, k: int) -> frozenset[str]:
        if not self.intervals:
            return frozenset()
        return self.intervals[min(k, len(self.intervals) - 1)]

    @classmethod
    def everyone(cls, config: TenantConfig) -> Schedule:
        return cls((frozenset(a.id for a in config.agents),))

    @classmethod
    def from_counts(cls, config: TenantConfig, counts: Sequence[int]) -> Schedule:
        """The first ``counts[k]`` agents of the configuration in interval ``k``."""
        ids = [a.id for a in config.agents]
        problems = [
            f"interval {k}: {n} agents scheduled, the configuration has {len(ids)}"
            for k, n in enumerate(counts)
            if n > len(ids) or n < 0
        ]
        if problems:
            raise SimInputError(problems)
        return cls(tuple(frozenset(ids[:n]) for n in counts))


@dataclass(frozen=True, slots=True)
class SimModel:
    config: TenantConfig
    interval_s: float
    loads: Mapping[str, QueueLoad]
    schedule: Schedule | None = None  # None: every configured agent throughout
    ring_delay: Distribution | None = None  # None: offers are accepted at once
    max_calls: int | None = None  # stop arriving after this many calls (benchmarks)
    pause_reason: str = field(default="")  # pause used to stop offers before a logout ("" = pick)

    @property
    def intervals(self) -> int:
        return max((len(load.rates) for load in self.loads.values()), default=0)

    @property
    def expected_calls(self) -> float:
        total = sum(r * self.interval_s for load in self.loads.values() for r in load.rates)
        if self.max_calls is not None:
            return min(total, self.max_calls) if math.isfinite(total) else float(self.max_calls)
        return total

    def logout_pause_reason(self) -> str:
        if self.pause_reason:
            return self.pause_reason
        reasons = self.config.pause_reasons
        if not reasons:
            return "end-of-shift"
        return "break" if "break" in reasons else reasons[0]

    def validate(self) -> None:
        problems: list[str] = []
        if not self.interval_s > 0:
            problems.append(f"interval_s must be > 0, got {self.interval_s!r}")
        queues = {q.id for q in self.config.queues}
        agents = {a.id for a in self.config.agents}
        if not self.loads:
            problems.append("no load: give at least one queue an arrival rate")
        lengths = {len(load.rates) for load in self.loads.values()}
        if len(lengths) > 1:
            problems.append(f"queues have different numbers of intervals: {sorted(lengths)}")
        for qid, load in self.loads.items():
            if qid not in queues:
                problems.append(
                    f"unknown queue {qid!r} (tenant {self.config.id!r} has {', '.join(sorted(queues))})"
                )
            for k, rate in enumerate(load.rates):
                if not (rate >= 0 and math.isfinite(rate)):
                    problems.append(f"queue {qid!r}, interval {k}: rate must be a number >= 0, got {rate!r}")
        if not math.isfinite(self.interval_s * max(lengths, default=1)) and self.max_calls is None:
            problems.append("an endless run (infinite interval) needs max_calls")
        if self.max_calls is not None and self.max_calls < 1:
            problems.append(f"max_calls must be >= 1, got {self.max_calls!r}")
        if self.schedule is not None:
            for k, staff in enumerate(self.schedule.intervals):
                unknown = sorted(staff - agents)
                if unknown:
                    problems.append(f"schedule interval {k}: unknown agents {', '.join(unknown)}")
        if (
            self.config.pause_reasons
            and self.pause_reason
            and self.pause_reason not in self.config.pause_reasons
        ):
            problems.append(f"pause reason {self.pause_reason!r} is not one of the tenant's")
        if problems:
            raise SimInputError(problems)
