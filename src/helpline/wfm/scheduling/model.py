"""What a schedule is made of: agents, shift rules, the requirement, and the solved shifts.

Plain frozen dataclasses with no I/O. Times are naive local datetimes (the site's wall clock);
``ShiftRules.timezone`` says which zone that is when an export needs absolute times.

Hours: a shift runs from its start to its end, breaks and lunch included; its *paid* hours
leave out the activities marked unpaid (a lunch, usually). Minimum and maximum hours per day
and per week are paid hours. Weeks are ISO weeks (Monday to Sunday); days of a week that fall
outside the planning horizon count as days off.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from helpline.core.config import AgentConfig


class ActivityKind(StrEnum):
    WORK = "work"
    BREAK = "break"
    LUNCH = "lunch"
    OFF = "off"


@dataclass(frozen=True, slots=True)
class Unavailability:
    """A span the agent cannot work: a whole date, every given ISO weekday, or a time window."""

    day: date | None = None
    weekday: int | None = None  # 1 = Monday
    start: time | None = None  # with ``day`` or ``weekday``: only this window of that day
    end: time | None = None

    def windows(self, on: date) -> list[tuple[datetime, datetime]]:
        """The spans of ``on`` this entry blocks (empty when it does not apply that day)."""
        if self.day is not None and self.day != on:
            return []
        if self.weekday is not None and on.isoweekday() != self.weekday:
            return []
        begin = datetime.combine(on, self.start or time(0))
        if self.end is None or self.end == time(0):
            finish = datetime.combine(on + timedelta(days=1), time(0))
        else:
            finish = datetime.combine(on, self.end)
        return [(begin, finish)]

    def describe(self) -> str:
        names = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
        what = self.day.isoformat() if self.day else f"every {names[(self.weekday or 1) - 1]}"
        if self.start or self.end:
            what += f" {(self.start or time(0)):%H:%M}-{(self.end or time(0)):%H:%M}"
        return what


@dataclass(frozen=True, slots=True)
class Contract:
    """Hour and day limits; ``None`` means no limit."""

    min_hours_week: float | None = None
    max_hours_week: float | None = None
    min_hours_day: float | None = None
    max_hours_day: float | None = None
    days_off_per_week: int = 0


@dataclass(frozen=True, slots=True)
class SchedAgent:
    id: str
    name: str = ""
    skills: frozenset[str] = frozenset()
    contract: Contract = Contract()
    contract_name: str = ""
    unavailable: tuple[Unavailability, ...] = ()

    @property
    def label(self) -> str:
        return self.name or self.id

    def blocked(self, on: date) -> list[tuple[datetime, datetime]]:
        return [w for u in self.unavailable for w in u.windows(on)]

    @classmethod
    def from_config(
        cls, config: AgentConfig, contract: Contract = Contract(), unavailable: tuple[Unavailability, ...] = ()
    ) -> SchedAgent:
        """A routing agent as the scheduler sees it: its skills and queues are what it can cover."""
        return cls(
            id=config.id,
            name=config.name,
            skills=frozenset(config.skills) | frozenset(config.queues),
            contract=contract,
            unavailable=unavailable,
        )


@dataclass(frozen=True, slots=True)
class BreakRule:
    """A break placed ``earliest_min``..``latest_min`` minutes after the shift starts.

    It applies to shifts of ``min_shift_hours`` up to ``max_shift_hours`` (inclusive).
    """

    kind: ActivityKind  # BREAK or LUNCH
    minutes: int
    earliest_min: int
    latest_min: int
    min_shift_hours: float = 0.0
    max_shift_hours: float | None = None
    paid: bool = True

    def applies(self, shift_minutes: int) -> bool:
        hours = shift_minutes / 60
        if hours + 1e-9 < self.min_shift_hours:
            return False
        return self.max_shift_hours is None or hours <= self.max_shift_hours + 1e-9


@dataclass(frozen=True, slots=True)
class ShiftRules:
    start_times: tuple[time, ...] = tuple(time(h, m) for h in range(7, 13) for m in (0, 30))
    lengths_min: tuple[int, ...] = (240, 360, 480, 540)
    breaks: tuple[BreakRule, ...] = (
        BreakRule(ActivityKind.BREAK, 15, 90, 150, min_shift_hours=4),
        BreakRule(ActivityKind.LUNCH, 30, 180, 300, min_shift_hours=6, max_shift_hours=8, paid=False),
        BreakRule(ActivityKind.LUNCH, 60, 180, 300, min_shift_hours=8.5, paid=False),
        BreakRule(ActivityKind.BREAK, 15, 330, 420, min_shift_hours=8),
    )
    min_rest_hours: float = 11.0
    slot_min: int = 15
    interval_min: int | None = None  # taken from the requirement when None
    under_weight: int = 10
    over_weight: int = 1
    coverage_floor: float = 0.0  # share of the requirement that must be met (a hard rule)
    default_contract: Contract = Contract()
    contracts: Mapping[str, Contract] = field(default_factory=dict)
    timezone: str | None = None

    def paid_minutes(self, shift_minutes: int) -> int:
        unpaid = sum(b.minutes for b in self.breaks if not b.paid and b.applies(shift_minutes))
        return shift_minutes - unpaid


@dataclass(frozen=True, slots=True)
class Requirement:
    """Agents needed on ``skill`` ("" = any agent) during the interval starting at ``start``."""

    start: datetime
    required: float
    skill: str = ""


@dataclass(frozen=True, slots=True)
class Activity:
    kind: ActivityKind
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class Shift:
    agent_id: str
    agent_name: str
    start: datetime
    end: datetime
    breaks: tuple[Activity, ...] = ()  # breaks and lunches, in time order
    paid_minutes: int = 0

    @property
    def day(self) -> date:
        return self.start.date()

    def activities(self) -> list[Activity]:
        """The shift cut into work, break and lunch activities that tile it."""
        out: list[Activity] = []
        cursor = self.start
        for b in sorted(self.breaks, key=lambda a: a.start):
            if b.start > cursor:
                out.append(Activity(ActivityKind.WORK, cursor, b.start))
            out.append(b)
            cursor = max(cursor, b.end)
        if cursor < self.end:
            out.append(Activity(ActivityKind.WORK, cursor, self.end))
        return out


@dataclass(frozen=True, slots=True)
class CoverageRow:
    start: datetime
    skill: str
    required: float
    scheduled: float  # agents on work activity, averaged over the interval


@dataclass(frozen=True, slots=True)
class ScheduleResult:
    status: str  # OPTIMAL, FEASIBLE, INFEASIBLE, UNKNOWN, INVALID
    shifts: tuple[Shift, ...] = ()
    coverage: tuple[CoverageRow, ...] = ()
    objective: float | None = None
    best_bound: float | None = None
    wall_time_s: float = 0.0
    problems: tuple[str, ...] = ()  # why there is no schedule, in plain words
    warnings: tuple[str, ...] = ()
    interval_min: int = 30

    @property
    def ok(self) -> bool:
        return self.status in ("OPTIMAL", "FEASIBLE")

    def gap(self) -> dict[str, float]:
        """Under- and over-staffing in agent-hours, and the share of required hours covered."""
        hours = self.interval_min / 60
        under = sum(max(0.0, c.required - c.scheduled) for c in self.coverage) * hours
        over = sum(max(0.0, c.scheduled - c.required) for c in self.coverage) * hours
        required = sum(c.required for c in self.coverage) * hours
        covered = sum(min(c.required, c.scheduled) for c in self.coverage) * hours
        return {
            "required_hours": round(required, 2),
            "under_hours": round(under, 2),
            "over_hours": round(over, 2),
            "covered_share": round(covered / required, 4) if required else 1.0,
        }
