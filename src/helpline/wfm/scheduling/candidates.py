"""The planning grid and, per agent and day, the shifts the rules and the agent allow.

The grid counts slots of ``slot_min`` minutes from midnight of the first day of the
requirement. It runs one day past the last day so an evening shift may end after midnight.
A candidate shift is already known to respect the agent's unavailability, the allowed start
times and lengths, the hours per day, and to leave room for each of its breaks on its own;
what depends on other choices (breaks against each other, rest, weekly hours, days off) is left
to the solver.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from helpline.wfm.scheduling.model import Requirement, SchedAgent, ShiftRules


@dataclass(frozen=True, slots=True)
class Horizon:
    origin: datetime
    days: tuple[date, ...]
    slot_min: int
    interval_min: int

    @property
    def slots_per_interval(self) -> int:
        return self.interval_min // self.slot_min

    @property
    def slots_per_day(self) -> int:
        return 1440 // self.slot_min

    @property
    def n_slots(self) -> int:
        return (len(self.days) + 1) * self.slots_per_day

    @property
    def n_intervals(self) -> int:
        return self.n_slots // self.slots_per_interval

    def slot_of(self, at: datetime) -> int:
        return int((at - self.origin).total_seconds() // 60) // self.slot_min

    def at(self, slot: int) -> datetime:
        return self.origin + timedelta(minutes=slot * self.slot_min)

    def week_of(self, day: date) -> date:
        """The Monday of ``day``'s ISO week."""
        return day - timedelta(days=day.weekday())


@dataclass(frozen=True, slots=True)
class Candidate:
    day: int  # index into Horizon.days
    start: int  # slot
    length: int  # slots
    paid_min: int
    breaks: tuple[int, ...]  # indices into ShiftRules.breaks that apply
    windows: tuple[tuple[int, int], ...]  # per applicable break: first and last start slot

    @property
    def end(self) -> int:
        return self.start + self.length


def infer_interval(requirements: Sequence[Requirement], default: int = 30) -> int:
    """The requirement's interval: the shortest gap between starts of one skill.

    When the rows are sparse (closed hours, or only the busy intervals listed), the gap may be
    hours long; the interval is then the largest of 60, 30, 15... minutes that fits every start.
    """
    by_skill: dict[str, list[datetime]] = {}
    for r in requirements:
        by_skill.setdefault(r.skill, []).append(r.start)
    gaps = []
    for starts in by_skill.values():
        ordered = sorted(set(starts))
        gaps += [int((b - a).total_seconds() // 60) for a, b in zip(ordered, ordered[1:], strict=False)]
    positive = [g for g in gaps if g > 0]
    if not positive:
        return default
    shortest = min(positive)
    if shortest <= 60 and 1440 % shortest == 0:
        return shortest
    offsets = [r.start.hour * 60 + r.start.minute for r in requirements]
    return math.gcd(60, *positive, *offsets) or default


def build_horizon(requirements: Sequence[Requirement], rules: ShiftRules) -> Horizon:
    first = min(r.start for r in requirements).date()
    last = max(r.start for r in requirements).date()
    days = tuple(first + timedelta(days=i) for i in range((last - first).days + 1))
    interval = rules.interval_min or infer_interval(requirements)
    return Horizon(datetime.combine(first, datetime.min.time()), days, rules.slot_min, interval)


def _overlaps(start: datetime, end: datetime, windows: Sequence[tuple[datetime, datetime]]) -> bool:
    return any(s < end and start < e for s, e in windows)


def generic_candidates(horizon: Horizon, rules: ShiftRules) -> list[Candidate]:
    """Every allowed (day, start, length) on the grid with room for each of its breaks."""
    out: list[Candidate] = []
    slot = horizon.slot_min
    for d in range(len(horizon.days)):
        for st in sorted(set(rules.start_times)):
            start = d * horizon.slots_per_day + (st.hour * 60 + st.minute) // slot
            for minutes in rules.lengths_min:
                length = minutes // slot
                if start + length > horizon.n_slots:
                    continue
                applicable = [i for i, b in enumerate(rules.breaks) if b.applies(minutes)]
                windows = []
                for i in applicable:
                    b = rules.breaks[i]
                    first = -(-b.earliest_min // slot)
                    last = min(b.latest_min // slot, length - b.minutes // slot)
                    if first > last:
                        break
                    windows.append((start + first, start + last))
                else:
                    if place_breaks(windows, [rules.breaks[i].minutes // slot for i in applicable]) is None:
                        continue
                    out.append(Candidate(d, start, length, rules.paid_minutes(minutes), tuple(applicable), tuple(windows)))
    return out


def place_breaks(windows: Sequence[tuple[int, int]], spans: Sequence[int]) -> list[int] | None:
    """Start slots for every break inside its window with no two overlapping, or None.

    Tries each order of the (few) breaks, placing each as early as its window and the one
    before allow.
    """
    for order in itertools.permutations(range(len(windows))):
        free_from = -1
        starts = [0] * len(windows)
        for i in order:
            lo, hi = windows[i]
            starts[i] = max(lo, free_from)
            if starts[i] > hi:
                break
            free_from = starts[i] + spans[i]
        else:
            return starts
    return None


def agent_candidates(
    agent: SchedAgent, generic: Sequence[Candidate], horizon: Horizon
) -> dict[int, list[Candidate]]:
    """The generic candidates this agent may work, by day index."""
    c = agent.contract
    blocked: dict[int, list[tuple[datetime, datetime]]] = {}
    for d, day in enumerate(horizon.days):
        blocked[d] = agent.blocked(day) + agent.blocked(day + timedelta(days=1))
    out: dict[int, list[Candidate]] = {d: [] for d in range(len(horizon.days))}
    for cand in generic:
        paid_h = cand.paid_min / 60
        if c.max_hours_day is not None and paid_h > c.max_hours_day + 1e-9:
            continue
        if c.min_hours_day is not None and paid_h + 1e-9 < c.min_hours_day:
            continue
        if _overlaps(horizon.at(cand.start), horizon.at(cand.end), blocked[cand.day]):
            continue
        out[cand.day].append(cand)
    return out
