"""Cheap checks before solving: the input mistakes and impossibilities that need no solver.

Each returns plain sentences an operator can act on. ``errors`` mean no schedule can exist (or
the input is malformed); ``warnings`` mean a schedule exists but something looks wrong.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from helpline.wfm.scheduling.candidates import Candidate, Horizon
from helpline.wfm.scheduling.model import Requirement, SchedAgent, ShiftRules


@dataclass
class Findings:
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def fmt_h(hours: float) -> str:
    return f"{hours:g} h" if hours == int(hours) else f"{hours:.2f}".rstrip("0") + " h"


def weeks_of(horizon: Horizon) -> dict[date, list[int]]:
    weeks: dict[date, list[int]] = {}
    for d, day in enumerate(horizon.days):
        weeks.setdefault(horizon.week_of(day), []).append(d)
    return weeks


def week_minimum(agent: SchedAgent, days_in_horizon: int) -> float:
    """The weekly minimum for a week the horizon covers only partly, prorated.

    A week counts in full when the horizon holds at least as many of its days as the agent
    may work (a Monday-to-Friday plan for an agent with two days off a week).
    """
    minimum = agent.contract.min_hours_week or 0.0
    working = 7 - agent.contract.days_off_per_week
    if working <= 0:
        return 0.0
    return minimum * min(1.0, days_in_horizon / working)


def check_grid(requirements: Sequence[Requirement], horizon: Horizon, rules: ShiftRules) -> Findings:
    found = Findings()
    if horizon.interval_min % horizon.slot_min or horizon.interval_min > 1440 or 1440 % horizon.interval_min:
        found.errors.append(
            f"the requirement interval of {horizon.interval_min} min must divide a day and be a multiple"
            f" of the {horizon.slot_min}-minute slot"
        )
        return found
    for r in requirements:
        minutes = (r.start - horizon.origin).total_seconds() / 60
        if minutes % horizon.interval_min:
            found.errors.append(
                f"interval {r.start:%Y-%m-%d %H:%M} is not on the {horizon.interval_min}-minute grid from midnight"
            )
            break
    if not rules.start_times or not rules.lengths_min:
        found.errors.append("the shift rules allow no start time or no shift length")
    return found


def check_agents(
    agents: Sequence[SchedAgent],
    candidates: Mapping[str, Mapping[int, Sequence[Candidate]]],
    requirements: Sequence[Requirement],
    horizon: Horizon,
    rules: ShiftRules,
) -> Findings:
    found = Findings()
    skills = {r.skill for r in requirements}
    named = skills - {""}
    for agent in agents:
        by_day = candidates[agent.id]
        c = agent.contract
        if not any(by_day.values()):
            lengths = ", ".join(fmt_h(rules.paid_minutes(m) / 60) for m in rules.lengths_min)
            why = f"paid shift lengths are {lengths}"
            if c.min_hours_day is not None or c.max_hours_day is not None:
                why += f"; the agent takes {fmt_h(c.min_hours_day or 0)}..{fmt_h(c.max_hours_day or 24)} a day"
            if agent.unavailable:
                why += "; unavailable " + ", ".join(u.describe() for u in agent.unavailable)
            text = f"agent {agent.label}: no allowed shift on any day ({why})"
            if c.min_hours_week:
                found.errors.append(text)
            else:
                found.warnings.append(text)
            continue
        if named and not (agent.skills & named):
            found.warnings.append(
                f"agent {agent.label}: has none of the required skills ({', '.join(sorted(named))}); "
                "their hours cover nothing"
            )
        for monday, day_indexes in weeks_of(horizon).items():
            minimum = week_minimum(agent, len(day_indexes))
            if minimum <= 0:
                continue
            day_max = sorted(
                (max(x.paid_min for x in by_day[d]) / 60 for d in day_indexes if by_day[d]), reverse=True
            )
            working = 7 - c.days_off_per_week
            usable = day_max[:working]
            if sum(usable) + 1e-9 >= minimum:
                continue
            notes: list[str] = []
            unavailable = len(day_indexes) - len(day_max)
            if unavailable:
                notes.append(f"{unavailable} day{'s' if unavailable > 1 else ''} with no allowed shift")
            if len(day_max) > working:
                notes.append(f"{c.days_off_per_week} days off a week")
            reason = f" ({'; '.join(notes)})" if notes else ""
            top = usable[0] if usable else 0.0
            found.errors.append(
                f"agent {agent.label}: min {fmt_h(minimum)}/week cannot fit in {len(usable)} available "
                f"day{'s' if len(usable) != 1 else ''} of at most {fmt_h(top)} in the week of {monday}{reason}"
            )
    for skill in sorted(named):
        if not any(skill in a.skills for a in agents):
            hours = sum(r.required for r in requirements if r.skill == skill) * horizon.interval_min / 60
            if hours > 0:
                found.warnings.append(f"skill {skill}: {fmt_h(round(hours, 2))} of work required but no agent has it")
    return found


def check_floor(
    agents: Sequence[SchedAgent],
    candidates: Mapping[str, Mapping[int, Sequence[Candidate]]],
    requirements: Sequence[Requirement],
    horizon: Horizon,
    rules: ShiftRules,
) -> Findings:
    """Where the coverage floor asks for more agents than could possibly be at work."""
    found = Findings()
    if rules.coverage_floor <= 0:
        return found
    k = horizon.slots_per_interval
    reach: dict[str, set[int]] = {}
    for agent in agents:
        intervals: set[int] = set()
        for cands in candidates[agent.id].values():
            for cand in cands:
                intervals.update(range(cand.start // k, (cand.end - 1) // k + 1))
        reach[agent.id] = intervals
    for r in requirements:
        need = math.ceil(rules.coverage_floor * r.required - 1e-9)
        if need <= 0:
            continue
        i = horizon.slot_of(r.start) // k
        able = [a for a in agents if (r.skill == "" or r.skill in a.skills) and i in reach[a.id]]
        if len(able) < need:
            skill = f" {r.skill}" if r.skill else ""
            found.errors.append(
                f"coverage floor: {r.start:%a %Y-%m-%d %H:%M}{skill} needs {need} agent"
                f"{'s' if need > 1 else ''} at work, only {len(able)} can work then"
            )
            if len(found.errors) >= 10:
                found.errors.append("(more intervals like these left out)")
                break
    return found
