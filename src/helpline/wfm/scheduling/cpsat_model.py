"""The CP-SAT models of both scheduling stages: shifts (stage one) and breaks (stage two).

How the stages divide the work, count coverage and gate the rules that can make a week
infeasible is told in ``solver.py``; this module only builds the models.
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from ortools.sat.python import cp_model

from helpline.wfm.scheduling.candidates import Candidate, Horizon
from helpline.wfm.scheduling.model import Requirement, SchedAgent, ShiftRules
from helpline.wfm.scheduling.precheck import fmt_h, week_minimum, weeks_of

SCALE = 100  # work in hundredths of a slot
FLOOR_WEIGHT = 1000  # per hundredth of a slot below the floor, in stage two
MAX_SUBSET_SKILLS = 4  # up to 15 skill sets per interval; beyond, each agent's split is modelled


@dataclass
class Built:
    """One stage's model and the variables the solver's answer is read back through."""

    model: cp_model.CpModel
    shift_vars: dict[tuple[str, int], list[tuple[Candidate, cp_model.IntVar]]] = field(default_factory=dict)
    break_vars: dict[tuple[str, int, int], dict[int, cp_model.IntVar]] = field(default_factory=dict)
    alloc: dict[tuple[str, int, str], cp_model.LinearExprT] = field(default_factory=dict)
    floor_misses: list[tuple[int, str, cp_model.IntVar]] = field(default_factory=list)
    assumptions: list[tuple[cp_model.IntVar, str]] = field(default_factory=list)


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
    return [max(0, round(SCALE * (1.0 - a))) for a in away]


class ModelBuilder:
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

    def shifts_model(self, explain: bool) -> Built:
        m = cp_model.CpModel()
        built = Built(m)
        h = self.horizon

        def gate(text: str) -> list[cp_model.IntVar]:
            """The enforcement literal of one named rule, or none when the rule is hard."""
            if not explain:
                return []
            lit = m.new_bool_var(text)
            built.assumptions.append((lit, text))
            return [lit]

        grouped = len(self.skills) <= MAX_SUBSET_SKILLS
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
        return round(SCALE * (c.length - away) / c.length)

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
            cap = SCALE * sum(1 for a in self.agents if frozenset(relevant_skills(a, self.skills)) == group)
            level: cp_model.IntVar | int = 0
            per_interval: dict[int, list[cp_model.LinearExprT]] = defaultdict(list)
            first, last = min(by_slot), max(by_slot)
            name = f"{'on' if whole else 'work'}_{'+'.join(sorted(group))}"
            for t in range(first, last):
                delta = by_slot.get(t)
                if delta:
                    weights = [(SCALE if w > 0 else -SCALE) if whole else w for w, _ in delta]
                    nxt = m.new_int_var(0, cap, f"{name}_{t}")
                    m.add(nxt == level + cp_model.LinearExpr.weighted_sum([x for _, x in delta], weights))
                    level = nxt
                per_interval[t // self.k].append(level)
            for i, levels in per_interval.items():
                out[i].append((group, sum(levels)))
        return out

    # -- stage two: breaks ------------------------------------------------------------------

    def breaks_model(self, chosen: Mapping[str, Sequence[Candidate]]) -> Built:
        m = cp_model.CpModel()
        built = Built(m)
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
                    work[(agent.id, t // self.k)].append(SCALE - SCALE * sum(away[t]))
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
        per_interval = self.k * SCALE
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
                    floor = math.ceil(self.rules.coverage_floor * required * self.k - 1e-9) * SCALE
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
        built: Built,
        work: Mapping[tuple[str, int], cp_model.LinearExprT],
        gate: Callable[[str], list[cp_model.IntVar]],
        explain: bool,
        soft_floor: bool,
    ) -> None:
        """Split each agent's work among their skills, then price under- and over-staffing."""
        h = self.horizon
        per_interval = self.k * SCALE
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
                floor = math.ceil(self.rules.coverage_floor * required * self.k - 1e-9) * SCALE
                if soft_floor:
                    miss = m.new_int_var(0, floor, f"floor_{i}_{skill}")
                    m.add(miss >= floor - staffed)
                    built.floor_misses.append((i, skill, miss))
                    penalties.append(FLOOR_WEIGHT * miss)
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
        built: Built,
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
        self, agent: SchedAgent, built: Built, gap: int
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
