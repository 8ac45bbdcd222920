"""Shift scheduling as CP-SAT models, in two stages: shifts, then breaks.

Theory of operation. Stage one chooses the shifts. For every agent and day, one Boolean per
candidate shift says "works this shift" (at most one a day). A chosen shift counts toward
coverage less its breaks, estimated without a variable each (see below). Stage two keeps those shifts and places the breaks: one Boolean per break and allowed
start slot, exactly one per break, never two breaks on one slot; here an agent is at work in a
slot exactly when their shift covers it and no break does. Splitting the two keeps the search
small (placing breaks with the shifts multiplies the choices and CP-SAT finds poor schedules
in the same time); candidate shifts are only those whose breaks fit together, so stage two
always has a solution.

In both stages, work is counted per requirement interval in hundredths of a slot, and an agent
with several required skills counts toward one skill at a time: no one is counted twice. Per interval and skill, under- and over-staffing are
minimised with under-staffing weighted higher.

Hours per week, days off per week, rest between shifts and the coverage floor are the
constraint families that can make the problem infeasible, all in stage one. Stage one is first
solved with them hard. Only when that is infeasible is it built again with one assumption
literal per agent and family (per day and skill for the floor); CP-SAT's sufficient
assumptions are then shrunk by dropping one at a time and re-solving, and the remaining ones
are reported in words. Stage one checks the floor against the agents on shift, a relaxation
(breaks can only lower it), so a floor it calls impossible is impossible; in stage two the
floor is a heavily weighted target and any interval where breaks still dip below it is
reported as a warning.

Stage one works on groups of agents holding the same required skills when there are at most
four skills (coverage per set of skills, breaks spread evenly over each shift, a running level
per group and slot: small enough for teams of dozens of agents); with more skills it splits
each agent's work per interval explicitly, breaks weighted by where they may fall. A greedy
schedule (``greedy.py``), completed by a solve with the shifts fixed, is each stage's start.

The models are built in ``cpsat_model.py``, solved through ``cpsat_solve.py`` (which also
works around a CP-SAT presolve failure on hints) and explained by ``infeasibility.py``.
"""

from __future__ import annotations

import time as clock
from collections import defaultdict
from collections.abc import Mapping, Sequence

from ortools.sat.python import cp_model

from helpline.wfm.scheduling.candidates import (
    Candidate,
    Horizon,
    agent_candidates,
    build_horizon,
    generic_candidates,
    place_breaks,
)
from helpline.wfm.scheduling.cpsat_model import SCALE, Built, ModelBuilder, expected_work, relevant_skills
from helpline.wfm.scheduling.cpsat_solve import ProgressFn, SolveProgress, complete_hint, solve_model
from helpline.wfm.scheduling.greedy import greedy_schedule
from helpline.wfm.scheduling.infeasibility import explain_infeasible
from helpline.wfm.scheduling.model import (
    Activity,
    CoverageRow,
    Requirement,
    SchedAgent,
    ScheduleResult,
    Shift,
    ShiftRules,
)
from helpline.wfm.scheduling.precheck import Findings, check_agents, check_floor, check_grid

__all__ = ["ProgressFn", "expected_work", "relevant_skills", "solve_schedule"]


def solve_schedule(
    agents: Sequence[SchedAgent],
    requirements: Sequence[Requirement],
    rules: ShiftRules = ShiftRules(),
    time_limit_s: float = 20.0,
    num_workers: int = 0,
    on_solution: ProgressFn | None = None,
) -> ScheduleResult:
    """Schedule ``agents`` against ``requirements``; ``num_workers=0`` lets CP-SAT choose.

    Stage one (shifts) gets four fifths of the time limit, stage two (breaks) the rest.
    """
    started = clock.monotonic()
    if not requirements:
        return ScheduleResult("INVALID", problems=("the requirement has no intervals",))
    if not agents:
        return ScheduleResult("INVALID", problems=("there are no agents to schedule",))
    horizon = build_horizon(requirements, rules)
    grid = check_grid(requirements, horizon, rules)
    if grid.errors:
        return ScheduleResult("INVALID", problems=tuple(grid.errors), interval_min=horizon.interval_min)
    generic = generic_candidates(horizon, rules)
    candidates = {a.id: agent_candidates(a, generic, horizon) for a in agents}
    found = Findings()
    for part in (
        check_agents(agents, candidates, requirements, horizon, rules),
        check_floor(agents, candidates, requirements, horizon, rules),
    ):
        found.errors += part.errors
        found.warnings += part.warnings

    def result(status: str, problems: Sequence[str] = (), **values: object) -> ScheduleResult:
        return ScheduleResult(
            status,
            problems=tuple(problems),
            warnings=tuple(found.warnings),
            wall_time_s=clock.monotonic() - started,
            interval_min=horizon.interval_min,
            **values,  # type: ignore[arg-type]
        )

    if found.errors:
        return result("INFEASIBLE", found.errors)
    builder = ModelBuilder(agents, requirements, rules, horizon, candidates)
    stage1 = builder.shifts_model(explain=False)
    start = greedy_schedule(
        agents, requirements, rules, horizon, candidates, {a.id: relevant_skills(a, builder.skills) for a in agents}
    )
    for (agent_id, _), xs in stage1.shift_vars.items():
        picked = set(start.get(agent_id, ()))
        for c, x in xs:
            stage1.model.add_hint(x, c in picked)
    complete_hint(stage1.model, min(2.0, time_limit_s / 10), num_workers)
    solver1, status1 = solve_model(
        stage1.model,
        max(0.5, 0.8 * time_limit_s - (clock.monotonic() - started)),
        num_workers,
        SolveProgress("shifts", on_solution, started) if on_solution else None,
    )
    if status1 == cp_model.INFEASIBLE:
        remaining = max(2.0, time_limit_s - (clock.monotonic() - started))
        reasons = explain_infeasible(builder, remaining, num_workers) or [
            "(the solver proved a contradiction but could not name the rules in time; allow more time)"
        ]
        return result("INFEASIBLE", ["these rules cannot all hold together:", *reasons])
    if status1 not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return result(
            solver1.status_name(status1),
            [f"no schedule found within {time_limit_s:g} s; allow more time with --time-limit"],
        )
    chosen: dict[str, list[Candidate]] = defaultdict(list)
    for (agent_id, _), xs in stage1.shift_vars.items():
        chosen[agent_id].extend(c for c, x in xs if solver1.boolean_value(x))
    stage2 = builder.breaks_model(chosen)
    for agent_id, shifts_of_agent in chosen.items():
        for c in shifts_of_agent:
            spans = [rules.breaks[b].minutes // horizon.slot_min for b in c.breaks]
            for b_index, at in zip(c.breaks, place_breaks(c.windows, spans) or [], strict=False):
                for t, var in stage2.break_vars[(agent_id, c.start, b_index)].items():
                    stage2.model.add_hint(var, t == at)
    complete_hint(stage2.model, min(2.0, time_limit_s / 10), num_workers)
    remaining = max(1.0, time_limit_s - (clock.monotonic() - started))
    solver2, status2 = solve_model(
        stage2.model, remaining, num_workers, SolveProgress("breaks", on_solution, started) if on_solution else None
    )
    if status2 not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return result(
            solver2.status_name(status2),
            [f"breaks could not be placed within {time_limit_s:g} s; allow more time with --time-limit"],
        )
    both_optimal = status1 == cp_model.OPTIMAL and status2 == cp_model.OPTIMAL
    shifts = _read_shifts(solver2, stage2, chosen, agents, rules, horizon)
    coverage = _read_coverage(solver2, stage2, builder)
    missed = [
        f"coverage floor missed {horizon.at(i * builder.k):%a %Y-%m-%d %H:%M}{' ' + s if s else ''}"
        " because of break placement"
        for i, s, miss in stage2.floor_misses
        if solver2.value(miss) > 0
    ]
    found.warnings.extend(missed)
    return result(
        "OPTIMAL" if both_optimal else "FEASIBLE",
        shifts=tuple(shifts),
        coverage=tuple(coverage),
        objective=solver2.objective_value,
        best_bound=solver1.best_objective_bound,
    )


def _read_shifts(
    solver: cp_model.CpSolver,
    built: Built,
    chosen: Mapping[str, Sequence[Candidate]],
    agents: Sequence[SchedAgent],
    rules: ShiftRules,
    horizon: Horizon,
) -> list[Shift]:
    out: list[Shift] = []
    for agent in agents:
        for cand in sorted(chosen.get(agent.id, []), key=lambda c: c.start):
            breaks = []
            for b_index in cand.breaks:
                rule = rules.breaks[b_index]
                for t, var in built.break_vars[(agent.id, cand.start, b_index)].items():
                    if solver.boolean_value(var):
                        end = horizon.at(t + rule.minutes // horizon.slot_min)
                        breaks.append(Activity(rule.kind, horizon.at(t), end))
            out.append(
                Shift(
                    agent_id=agent.id,
                    agent_name=agent.name,
                    start=horizon.at(cand.start),
                    end=horizon.at(cand.end),
                    breaks=tuple(sorted(breaks, key=lambda a: a.start)),
                    paid_minutes=cand.paid_min,
                )
            )
    return out


def _read_coverage(solver: cp_model.CpSolver, built: Built, builder: ModelBuilder) -> list[CoverageRow]:
    staffed: dict[tuple[int, str], float] = defaultdict(float)
    for (_, i, skill), expr in built.alloc.items():
        staffed[(i, skill)] += solver.value(expr)
    rows = []
    per_interval = builder.k * SCALE
    for key in sorted(set(builder.required) | {k for k, v in staffed.items() if v}):
        i, skill = key
        rows.append(
            CoverageRow(
                start=builder.horizon.at(i * builder.k),
                skill=skill,
                required=builder.required.get(key, 0.0),
                scheduled=staffed.get(key, 0.0) / per_interval,
            )
        )
    return rows
