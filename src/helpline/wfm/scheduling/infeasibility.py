"""Naming the rules that make stage one infeasible, from CP-SAT's assumption cores."""

from __future__ import annotations

import time as clock

from ortools.sat.python import cp_model

from helpline.wfm.scheduling.cpsat_model import ModelBuilder
from helpline.wfm.scheduling.cpsat_solve import new_solver


def explain_infeasible(builder: ModelBuilder, time_limit_s: float, num_workers: int) -> list[str]:
    """The rules that cannot all hold, as few as the time allows."""
    built = builder.shifts_model(explain=True)
    lits = [lit for lit, _ in built.assumptions]
    text = {lit.index: t for lit, t in built.assumptions}
    by_index = {lit.index: lit for lit in lits}
    started = clock.monotonic()
    built.model.add_assumptions(lits)
    solver = new_solver(time_limit_s, num_workers)
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
        probe = new_solver(min(remaining, max(1.0, time_limit_s / 4)), num_workers)
        if probe.solve(built.model) == cp_model.INFEASIBLE:
            smaller = [i for i in probe.sufficient_assumptions_for_infeasibility() if i in text]
            core = smaller if smaller else trial
    return [text[i] for i in core]
