"""Solving one CP-SAT model: progress reports, retries around a presolve failure, complete hints."""

from __future__ import annotations

import time as clock
from collections.abc import Callable
from typing import Any

from ortools.sat.python import cp_model

ProgressFn = Callable[[str, float, float], None]  # (stage, objective, seconds since start)


class SolveProgress(cp_model.CpSolverSolutionCallback):
    def __init__(self, stage: str, report: ProgressFn, started: float) -> None:
        super().__init__()
        self._stage = stage
        self._report = report
        self._started = started

    def on_solution_callback(self) -> None:
        self._report(self._stage, self.objective_value, clock.monotonic() - self._started)


def new_solver(time_limit_s: float, num_workers: int) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.1, time_limit_s)
    if num_workers > 0:
        solver.parameters.num_workers = num_workers
    return solver


def solve_model(
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
        solver = new_solver(time_limit_s, num_workers)
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


def complete_hint(model: cp_model.CpModel, time_limit_s: float, num_workers: int) -> None:
    """Turn a hint on the shift choices into a hint on every variable.

    CP-SAT starts from a hint only when it is complete; the other variables (running levels,
    served work) follow from the shifts, so a solve with the shifts fixed fills them in.
    """
    probe, status = solve_model(model, time_limit_s, num_workers, fix_hinted=True)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return
    hinted = set(model.proto.solution_hint.vars)
    missing = [model.get_int_var_from_proto_index(i) for i in range(len(model.proto.variables)) if i not in hinted]
    # The hinted variables were fixed to their hints, so only the others need adding.
    for var, value in [(v, probe.value(v)) for v in missing]:
        model.add_hint(var, value)
