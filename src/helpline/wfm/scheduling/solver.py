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
"""

from __future__ import annotations

import itertools
import math
import time as clock
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ortools.sat.python import cp_model

from helpline.wfm.scheduling.candidates import (
    Candidate,
    Horizon,
    agent_candidates,
    build_horizon,
    generic_candidates,
    place_breaks,
)
from helpline.wfm.scheduling.greedy import greedy_schedule
from helpline.wfm.scheduling.model import (
    Activity,
    CoverageRow,
    Requirement,
    SchedAgent,
    ScheduleResult,
    Shift,
    ShiftRules,
)
from helpline.wfm.scheduling.precheck import (
    Findings,
    check_agents,
    check_floor,
    check_grid,
    fmt_h,
    week_minimum,
    weeks_of,
)

ProgressFn = Callable[[str, float, float], None]  # (stage, objective, seconds since start)

_SCALE = 100  # work in hundredths of a slot
_FLOOR_WEIGHT = 1000  # per hundredth of a slot below the floor, in stage two
_MAX_SUBSET_SKILLS = 4  # up to 15 skill sets per interval; beyond, each agent's split is modelled


@dataclass
class _Built:
    model: cp_model.CpModel
    shift_vars: dict[tuple[str, int], list[tuple[Candidate, cp_model.IntVar]]] = field(default_factory=dict)
    break_vars: dict[tuple[str, int, int], dict[int, cp_model.IntVar]] = field(default_factory=dict)
    alloc: dict[tuple[str, int, str], cp_model.LinearExprT] = field(default_factory=dict)
    floor_misses: list[tuple[int, str, cp_model.IntVar]] = field(default_factory=list)
    assumptions: list[tuple[cp_model.IntVar, str]] = field(default_factory=list)


class _Progress(cp_model.CpSolverSolutionCallback):
    def __init__(self, stage: str, report: ProgressFn, started: float) -> None:
        super().__init__()
        self._stage = stage
        self._report = report
        self._started = started

    def on_solution_callback(self) -> None:
        self._report(self._stage, self.objective_value, clock.monotonic() - self._started)


def relevant_skills(agent: SchedAgent, skills: set[str]) -> list[str]:
    """The requirement skills this agent counts toward ("" = any agent)."""
    return sorted(s for s in skills if s == "" or s in agent.skills)


def expected_work(cand: Candidate, rules: ShiftRules, slot_min: int) -> list[int]:
    """Per slot of the shift, the hundredths of it at work if breaks fall anywhere in their windows."""
    away = [0.0] * cand.length
    for b_index, (lo, hi) in zip(cand.breaks, cand.windows, strict=True):
        span = rules.breaks[b_index].minutes // slot_min
        share = 1.0 / (hi - lo + 1)
        for p in range(lo, hi + 1):
            for t in range(p, p + span):
                away[t - cand.start] += share
    return [max(0, round(_SCALE * (1.0 - a))) for a in away]


class _Builder:
    def __init__(
        self,
        agents: Sequence[SchedAgent],
        requirements: Sequence[Requirement],
        rules: ShiftRules,
        horizon: Horizon,
        candidates: Mapping[str, Mapping[int, Sequence[Candidate]]],
    ) -> None:
        self.agents = agents
        self.rules = rules
        self.horizon = horizon
        self.candidates = candidates
        self.k = horizon.slots_per_interval
        self.required: dict[tuple[int, str], float] = {}
        for r in requirements:
            self.required[(horizon.slot_of(r.start) // self.k, r.skill)] = r.required
        self.skills = {r.skill for r in requirements}

    # -- stage one: shifts ------------------------------------------------------------------

    def shifts_model(self, explain: bool) -> _Built:
        m = cp_model.CpModel()
        built = _Built(m)
        h = self.horizon

        def gate(text: str) -> list[cp_model.IntVar]:
            """The enforcement literal of one named rule, or none when the rule is hard."""
            if not explain:
                return []
            lit = m.new_bool_var(text)
            built.assumptions.append((lit, text))
            return [lit]

        grouped = len(self.skills) <= _MAX_SUBSET_SKILLS
        # Grouped: the work of agents holding the same skills, as steps up at each shift's start
        # and down at its end, breaks spread evenly over the shift. Otherwise per agent and
        # interval, breaks at their expected place in their windows.
        steps: dict[frozenset[str], dict[int, list[tuple[int, cp_model.IntVar]]]] = defaultdict(
            lambda: defaultdict(list)
        )
        work: dict[tuple[str, int], list[tuple[int, cp_model.IntVar]]] = defaultdict(list)
        on_shift: dict[tuple[int, str], list[cp_model.IntVar]] = defaultdict(list)
        for agent in self.agents:
            group = frozenset(relevant_skills(agent, self.skills))
            day_works: dict[int, cp_model.LinearExprT] = {}
            day_paid: dict[int, cp_model.LinearExprT] = {}
            for d, cands in self.candidates[agent.id].items():
                if not cands:
                    continue
                xs = [(c, m.new_bool_var(f"x_{agent.id}_{d}_{c.start}_{c.length}")) for c in cands]
                built.shift_vars[(agent.id, d)] = xs
                m.add_at_most_one(x for _, x in xs)
                day_works[d] = sum(x for _, x in xs)
                day_paid[d] = cp_model.LinearExpr.weighted_sum([x for _, x in xs], [c.paid_min for c, _ in xs])
                if not group:
                    continue
                for c, x in xs:
                    if grouped:
                        level = self._work_share(c)
                        steps[group][c.start].append((level, x))
                        steps[group][c.end].append((-level, x))
                        continue
                    per_interval: dict[int, int] = defaultdict(int)
                    for offset, hundredths in enumerate(expected_work(c, self.rules, h.slot_min)):
                        per_interval[(c.start + offset) // self.k] += hundredths
                    for i, hundredths in per_interval.items():
                        work[(agent.id, i)].append((hundredths, x))
                    if self.rules.coverage_floor > 0:
                        for t in range(c.start, c.end):
                            for skill in group:
                                on_shift[(t // self.k, skill)].append(x)
            self._weekly(m, agent, day_works, day_paid, gate)
            self._rest(m, agent, built, gate)
        if grouped:
            heads = self._group_work(m, steps, whole=True) if self.rules.coverage_floor > 0 else {}
            self._served(m, self._group_work(m, steps), heads, gate, explain)
        else:
            exprs = {
                key: cp_model.LinearExpr.weighted_sum([x for _, x in terms], [w for w, _ in terms])
                for key, terms in work.items()
            }
            self._coverage(m, built, exprs, gate, explain, soft_floor=False)
            # The floor, per skill, against everyone on shift holding it: a relaxation, so
            # what it rules out is impossible (the split among skills is left to the search).
            gates: dict[tuple[date, str], list[cp_model.IntVar]] = {}
            for (i, skill), required in self.required.items():
                if self.rules.coverage_floor > 0 and required > 0:
                    floor = math.ceil(self.rules.coverage_floor * required * self.k - 1e-9)
                    present = on_shift.get((i, skill), [])
                    m.add(sum(present) >= floor).only_enforce_if(self._floor_gate(gates, i, skill, gate))
        return built

    def _work_share(self, c: Candidate) -> int:
        """Hundredths of each slot of the shift at work when its breaks are spread evenly."""
        away = sum(self.rules.breaks[b].minutes // self.horizon.slot_min for b in c.breaks)
        return round(_SCALE * (c.length - away) / c.length)

    def _group_work(
        self,
        m: cp_model.CpModel,
        steps: Mapping[frozenset[str], Mapping[int, list[tuple[int, cp_model.IntVar]]]],
        whole: bool = False,
    ) -> dict[int, list[tuple[frozenset[str], cp_model.LinearExprT]]]:
        """Each group's work per interval, from a running level per slot.

        With ``whole``, every agent on shift counts in full (breaks ignored): the headcount
        the coverage floor is checked against, which only the break placement can lower.
        """
        out: dict[int, list[tuple[frozenset[str], cp_model.LinearExprT]]] = defaultdict(list)
        for group, by_slot in steps.items():
            cap = _SCALE * sum(1 for a in self.agents if frozenset(relevant_skills(a, self.skills)) == group)
            level: cp_model.IntVar | int = 0
            per_interval: dict[int, list[cp_model.LinearExprT]] = defaultdict(list)
            first, last = min(by_slot), max(by_slot)
            name = f"{'on' if whole else 'work'}_{'+'.join(sorted(group))}"
            for t in range(first, last):
                delta = by_slot.get(t)
                if delta:
                    weights = [(_SCALE if w > 0 else -_SCALE) if whole else w for w, _ in delta]
                    nxt = m.new_int_var(0, cap, f"{name}_{t}")
                    m.add(nxt == level + cp_model.LinearExpr.weighted_sum([x for _, x in delta], weights))
                    level = nxt
                per_interval[t // self.k].append(level)
            for i, levels in per_interval.items():
                out[i].append((group, sum(levels)))
        return out

    # -- stage two: breaks ------------------------------------------------------------------

    def breaks_model(self, chosen: Mapping[str, Sequence[Candidate]]) -> _Built:
        m = cp_model.CpModel()
        built = _Built(m)
        h = self.horizon
        work: dict[tuple[str, int], list[cp_model.LinearExprT]] = defaultdict(list)
        for agent in self.agents:
            away: dict[int, list[cp_model.IntVar]] = defaultdict(list)
            for c in chosen.get(agent.id, []):
                for b_index, (lo, hi) in zip(c.breaks, c.windows, strict=True):
                    bv = {t: m.new_bool_var(f"b_{agent.id}_{c.start}_{b_index}_{t}") for t in range(lo, hi + 1)}
                    built.break_vars[(agent.id, c.start, b_index)] = bv
                    m.add_exactly_one(bv.values())
                    span = self.rules.breaks[b_index].minutes // h.slot_min
                    for t, var in bv.items():
                        for u in range(t, t + span):
                            away[u].append(var)
                for t in range(c.start, c.end):
                    if len(away[t]) > 1:
                        m.add_at_most_one(away[t])
                    work[(agent.id, t // self.k)].append(_SCALE - _SCALE * sum(away[t]))
        exprs = {key: sum(terms) for key, terms in work.items()}
        self._coverage(m, built, exprs, lambda _: [], explain=False, soft_floor=True)
        return built

    # -- shared -----------------------------------------------------------------------------

    def _floor_gate(
        self,
        gates: dict[tuple[date, str], list[cp_model.IntVar]],
        i: int,
        skill: str,
        gate: Callable[[str], list[cp_model.IntVar]],
    ) -> list[cp_model.IntVar]:
        day = self.horizon.at(i * self.k).date()
        if (day, skill) not in gates:
            where = f" for {skill}" if skill else ""
            gates[(day, skill)] = gate(
                f"coverage floor of {self.rules.coverage_floor:.0%} of the requirement on {day:%a %Y-%m-%d}{where}"
            )
        return gates[(day, skill)]

    def _served(
        self,
        m: cp_model.CpModel,
        by_interval: Mapping[int, list[tuple[frozenset[str], cp_model.LinearExprT]]],
        heads: Mapping[int, list[tuple[frozenset[str], cp_model.LinearExprT]]],
        gate: Callable[[str], list[cp_model.IntVar]],
        explain: bool,
    ) -> None:
        """Coverage without choosing who serves which skill: served work per skill is bounded,
        for every set of skills, by the work of the agents holding any of them (Hall's
        condition, which is exactly when a split among agents exists). Idle work is over-staffing.
        The coverage floor is checked the same way against the agents on shift (``heads``).
        """
        per_interval = self.k * _SCALE
        skills = sorted(self.skills)
        subsets = [
            frozenset(c) for n in range(1, len(skills) + 1) for c in itertools.combinations(skills, n)
        ]
        gates: dict[tuple[date, str], list[cp_model.IntVar]] = {}
        penalties: list[cp_model.LinearExprT] = []
        for i, terms in sorted(by_interval.items()):
            served: dict[str, cp_model.IntVar] = {}
            for skill in skills:
                target = round(self.required.get((i, skill), 0.0) * per_interval)
                served[skill] = m.new_int_var(0, target, f"served_{i}_{skill}")
                if not explain:
                    penalties.append(self.rules.under_weight * (target - served[skill]))
            for subset in subsets:
                able = [expr for group, expr in terms if group & subset]
                m.add(sum(served[s] for s in subset) <= sum(able))
            floors: dict[str, cp_model.LinearExprT] = {}
            for skill in skills:
                required = self.required.get((i, skill), 0.0)
                if self.rules.coverage_floor > 0 and required > 0:
                    floor = math.ceil(self.rules.coverage_floor * required * self.k - 1e-9) * _SCALE
                    lits = self._floor_gate(gates, i, skill, gate)
                    floors[skill] = floor * lits[0] if lits else floor
            for subset in subsets:
                if floors and subset & floors.keys():
                    on_shift = [expr for group, expr in heads.get(i, []) if group & subset]
                    m.add(sum(floors[s] for s in subset if s in floors) <= sum(on_shift))
            if not explain:
                idle = cp_model.LinearExpr.sum([e for _, e in terms]) - cp_model.LinearExpr.sum(list(served.values()))
                penalties.append(self.rules.over_weight * idle)
        # Required intervals nobody can reach are a constant under-staffing: leave them out.
        if not explain:
            m.minimize(sum(penalties))

    def _coverage(
        self,
        m: cp_model.CpModel,
        built: _Built,
        work: Mapping[tuple[str, int], cp_model.LinearExprT],
        gate: Callable[[str], list[cp_model.IntVar]],
        explain: bool,
        soft_floor: bool,
    ) -> None:
        """Split each agent's work among their skills, then price under- and over-staffing."""
        h = self.horizon
        per_interval = self.k * _SCALE
        coverage: dict[tuple[int, str], list[cp_model.LinearExprT]] = defaultdict(list)
        for agent in self.agents:
            skills = relevant_skills(agent, self.skills)
            if not skills:
                continue
            for i in range(h.n_intervals):
                expr = work.get((agent.id, i))
                if expr is None:
                    continue
                if len(skills) == 1:
                    built.alloc[(agent.id, i, skills[0])] = expr
                    coverage[(i, skills[0])].append(expr)
                    continue
                parts = [m.new_int_var(0, per_interval, f"a_{agent.id}_{i}_{s}") for s in skills]
                m.add(sum(parts) == expr)
                for s, part in zip(skills, parts, strict=True):
                    built.alloc[(agent.id, i, s)] = part
                    coverage[(i, s)].append(part)

        penalties: list[cp_model.LinearExprT] = []
        for key in sorted(coverage):
            i, skill = key
            required = self.required.get(key, 0.0)
            staffed = sum(coverage[key])
            target = round(required * per_interval)
            if self.rules.coverage_floor > 0 and required > 0:
                floor = math.ceil(self.rules.coverage_floor * required * self.k - 1e-9) * _SCALE
                if soft_floor:
                    miss = m.new_int_var(0, floor, f"floor_{i}_{skill}")
                    m.add(miss >= floor - staffed)
                    built.floor_misses.append((i, skill, miss))
                    penalties.append(_FLOOR_WEIGHT * miss)
            if explain:
                continue
            cap = len(coverage[key]) * per_interval
            under = m.new_int_var(0, max(target, 0), f"under_{i}_{skill}")
            over = m.new_int_var(0, cap, f"over_{i}_{skill}")
            m.add(under >= target - staffed)
            m.add(over >= staffed - target)
            penalties.append(self.rules.under_weight * under + self.rules.over_weight * over)
        if not explain:
            m.minimize(sum(penalties))

    def _weekly(
        self,
        m: cp_model.CpModel,
        agent: SchedAgent,
        day_works: Mapping[int, cp_model.LinearExprT],
        day_paid: Mapping[int, cp_model.LinearExprT],
        gate: Callable[[str], list[cp_model.IntVar]],
    ) -> None:
        c = agent.contract
        for monday, days in weeks_of(self.horizon).items():
            paid = sum(day_paid[d] for d in days if d in day_paid)
            worked = sum(day_works[d] for d in days if d in day_works)
            minimum = week_minimum(agent, len(days))
            if minimum > 0:
                m.add(paid >= math.ceil(minimum * 60 - 1e-6)).only_enforce_if(
                    gate(f"agent {agent.label}: at least {fmt_h(minimum)} in the week of {monday}")
                )
            if c.max_hours_week is not None:
                m.add(paid <= math.floor(c.max_hours_week * 60 + 1e-6)).only_enforce_if(
                    gate(f"agent {agent.label}: at most {fmt_h(c.max_hours_week)} in the week of {monday}")
                )
            working = 7 - c.days_off_per_week
            if working < len(days):
                m.add(worked <= working).only_enforce_if(
                    gate(
                        f"agent {agent.label}: {c.days_off_per_week} days off in the week of {monday}"
                        f" (at most {working} working day{'s' if working != 1 else ''})"
                    )
                )

    def _rest(
        self,
        m: cp_model.CpModel,
        agent: SchedAgent,
        built: _Built,
        gate: Callable[[str], list[cp_model.IntVar]],
    ) -> None:
        """No two shifts of one agent overlap; and, if a rest rule is set, they are that far apart."""
        rest = math.ceil(self.rules.min_rest_hours * 60 / self.horizon.slot_min)
        lit: list[cp_model.IntVar] | None = None
        for gap in sorted({0, rest}):
            for late, early in self._too_close(agent, built, gap):
                if gap == 0:
                    m.add(sum(late) + sum(early) <= 1)
                    continue
                if lit is None:
                    lit = gate(f"agent {agent.label}: {fmt_h(self.rules.min_rest_hours)} rest between shifts")
                m.add(sum(late) + sum(early) <= 1).only_enforce_if(lit)

    def _too_close(
        self, agent: SchedAgent, built: _Built, gap: int
    ) -> list[tuple[list[cp_model.IntVar], list[cp_model.IntVar]]]:
        """Per start on the next day, the shifts of the day before ending less than ``gap`` before it."""
        out = []
        for d in range(len(self.horizon.days) - 1):
            today = built.shift_vars.get((agent.id, d))
            tomorrow = built.shift_vars.get((agent.id, d + 1))
            if not today or not tomorrow:
                continue
            for start in sorted({c.start for c, _ in tomorrow}):
                late = [x for c, x in today if c.end + gap > start]
                if late:
                    out.append((late, [x for c, x in tomorrow if c.start == start]))
        return out


def _solver(time_limit_s: float, num_workers: int) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.1, time_limit_s)
    if num_workers > 0:
        solver.parameters.num_workers = num_workers
    return solver


def _solve(
    model: cp_model.CpModel,
    time_limit_s: float,
    num_workers: int,
    callback: cp_model.CpSolverSolutionCallback | None = None,
    fix_hinted: bool = False,
) -> tuple[cp_model.CpSolver, Any]:
    """Solve, working around CP-SAT 9.15 failing in presolve on some solution hints.

    That failure (google/or-tools#5288, an ``absl::btree_map::at`` error) came, on these
    models, from the presolve steps that rewrite the hint during symmetry detection and
    probing; both are off (schedules came out as good without them), then the defaults are
    tried, and last the model without its hint, which cannot fail that way.
    """
    quiet = {"symmetry_level": 0, "cp_model_probing_level": 0}
    attempts: list[dict[str, int]] = [quiet, {}, quiet]
    for n, overrides in enumerate(attempts):
        solver = _solver(time_limit_s, num_workers)
        solver.parameters.fix_variables_to_their_hinted_value = fix_hinted
        for name, value in overrides.items():
            setattr(solver.parameters, name, value)
        if n == len(attempts) - 1:
            if fix_hinted:
                break
            model.clear_hints()  # type: ignore[no-untyped-call]
        try:
            return solver, solver.solve(model, callback)
        except (IndexError, RuntimeError):
            continue
    return solver, cp_model.UNKNOWN


def _complete_hint(model: cp_model.CpModel, time_limit_s: float, num_workers: int) -> None:
    """Turn a hint on the shift choices into a hint on every variable.

    CP-SAT starts from a hint only when it is complete; the other variables (running levels,
    served work) follow from the shifts, so a solve with the shifts fixed fills them in.
    """
    probe, status = _solve(model, time_limit_s, num_workers, fix_hinted=True)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return
    hinted = set(model.proto.solution_hint.vars)
    missing = [model.get_int_var_from_proto_index(i) for i in range(len(model.proto.variables)) if i not in hinted]
    # The hinted variables were fixed to their hints, so only the others need adding.
    for var, value in [(v, probe.value(v)) for v in missing]:
        model.add_hint(var, value)


def _explain(builder: _Builder, time_limit_s: float, num_workers: int) -> list[str]:
    """The rules that cannot all hold, as few as the time allows."""
    built = builder.shifts_model(explain=True)
    lits = [lit for lit, _ in built.assumptions]
    text = {lit.index: t for lit, t in built.assumptions}
    by_index = {lit.index: lit for lit in lits}
    started = clock.monotonic()
    built.model.add_assumptions(lits)
    solver = _solver(time_limit_s, num_workers)
    if solver.solve(built.model) != cp_model.INFEASIBLE:
        return []
    core = [i for i in solver.sufficient_assumptions_for_infeasibility() if i in text]
    for index in list(core):
        if index not in core:
            continue
        remaining = time_limit_s - (clock.monotonic() - started)
        if remaining <= 0.2 or len(core) == 1:
            break
        trial = [i for i in core if i != index]
        built.model.clear_assumptions()
        built.model.add_assumptions([by_index[i] for i in trial])
        probe = _solver(min(remaining, max(1.0, time_limit_s / 4)), num_workers)
        if probe.solve(built.model) == cp_model.INFEASIBLE:
            smaller = [i for i in probe.sufficient_assumptions_for_infeasibility() if i in text]
            core = smaller if smaller else trial
    return [text[i] for i in core]


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
    builder = _Builder(agents, requirements, rules, horizon, candidates)
    stage1 = builder.shifts_model(explain=False)
    start = greedy_schedule(
        agents, requirements, rules, horizon, candidates, {a.id: relevant_skills(a, builder.skills) for a in agents}
    )
    for (agent_id, _), xs in stage1.shift_vars.items():
        picked = set(start.get(agent_id, ()))
        for c, x in xs:
            stage1.model.add_hint(x, c in picked)
    _complete_hint(stage1.model, min(2.0, time_limit_s / 10), num_workers)
    solver1, status1 = _solve(
        stage1.model,
        max(0.5, 0.8 * time_limit_s - (clock.monotonic() - started)),
        num_workers,
        _Progress("shifts", on_solution, started) if on_solution else None,
    )
    if status1 == cp_model.INFEASIBLE:
        remaining = max(2.0, time_limit_s - (clock.monotonic() - started))
        reasons = _explain(builder, remaining, num_workers) or [
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
    _complete_hint(stage2.model, min(2.0, time_limit_s / 10), num_workers)
    remaining = max(1.0, time_limit_s - (clock.monotonic() - started))
    solver2, status2 = _solve(
        stage2.model, remaining, num_workers, _Progress("breaks", on_solution, started) if on_solution else None
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
    built: _Built,
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


def _read_coverage(solver: cp_model.CpSolver, built: _Built, builder: _Builder) -> list[CoverageRow]:
    staffed: dict[tuple[int, str], float] = defaultdict(float)
    for (_, i, skill), expr in built.alloc.items():
        staffed[(i, skill)] += solver.value(expr)
    rows = []
    per_interval = builder.k * _SCALE
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
