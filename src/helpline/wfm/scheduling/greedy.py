"""A quick greedy schedule, used as the solver's starting hint.

CP-SAT with few threads can spend its whole time limit without a first schedule on a team of
a few dozen agents; from a reasonable start it improves at once. Agents are taken one at a
time, the most constrained first; each gets, shift by shift, the candidate covering the most
of what is still uncovered, within their weekly hours, days off and rest. Breaks are ignored
here. The result respects every hard rule except, at times, a weekly minimum or the coverage
floor, which the solver then repairs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from helpline.wfm.scheduling.candidates import Candidate, Horizon
from helpline.wfm.scheduling.model import Requirement, SchedAgent, ShiftRules
from helpline.wfm.scheduling.precheck import week_minimum, weeks_of


def greedy_schedule(
    agents: Sequence[SchedAgent],
    requirements: Sequence[Requirement],
    rules: ShiftRules,
    horizon: Horizon,
    candidates: Mapping[str, Mapping[int, Sequence[Candidate]]],
    skills_of: Mapping[str, Sequence[str]],
) -> dict[str, list[Candidate]]:
    k = horizon.slots_per_interval
    skills = sorted({r.skill for r in requirements})
    residual = {s: np.zeros(horizon.n_slots) for s in skills}
    for r in requirements:
        first = horizon.slot_of(r.start)
        residual[r.skill][first : first + k] += r.required
    rest = rules.min_rest_hours * 60 / horizon.slot_min
    weeks = weeks_of(horizon)
    week_of_day = {d: monday for monday, days in weeks.items() for d in days}
    chosen: dict[str, list[Candidate]] = {}

    def freedom(agent: SchedAgent) -> int:
        return sum(len(c) for c in candidates[agent.id].values())

    for agent in sorted(agents, key=freedom):
        mine = [s for s in skills_of[agent.id] if s in residual]
        picked: dict[int, Candidate] = {}
        for monday, days in weeks.items():
            minimum = week_minimum(agent, len(days)) * 60
            maximum = (agent.contract.max_hours_week or 168) * 60
            working = 7 - agent.contract.days_off_per_week
            paid = 0
            longest = max((c.paid_min for d in days for c in candidates[agent.id].get(d, ())), default=0)
            while (count := sum(1 for d in picked if week_of_day[d] == monday)) < working:
                free_days = sum(1 for d in days if d not in picked and candidates[agent.id].get(d))
                # Shifts after this one, at their longest, must still reach the weekly minimum.
                later = min(working - count - 1, free_days - 1) * longest
                need = np.zeros(horizon.n_slots)
                for s in mine:
                    need += np.minimum(residual[s], 1.0)
                prefix = np.concatenate(([0.0], np.cumsum(np.minimum(need, 1.0))))
                best: tuple[float, Candidate] | None = None
                for d in days:
                    if d in picked:
                        continue
                    before, after = picked.get(d - 1), picked.get(d + 1)
                    for c in candidates[agent.id].get(d, ()):
                        if paid + c.paid_min > maximum or paid + c.paid_min + later < minimum:
                            continue
                        if before is not None and before.end + rest > c.start:
                            continue
                        if after is not None and c.end + rest > after.start:
                            continue
                        score = float(prefix[c.end] - prefix[c.start])
                        # Below the minimum, favour long shifts so few days reach it.
                        key = score + (c.paid_min / 60 if paid < minimum else 0.0)
                        if best is None or key > best[0]:
                            best = (key, c)
                if best is None or (best[0] <= 0 and paid >= minimum):
                    break
                c = best[1]
                picked[c.day] = c
                paid += c.paid_min
                for t in range(c.start, c.end):
                    # Count the agent toward the skill that needs them most in each slot.
                    if mine:
                        s = max(mine, key=lambda s: residual[s][t])
                        residual[s][t] -= 1.0
        chosen[agent.id] = sorted(picked.values(), key=lambda c: c.start)
    return chosen
