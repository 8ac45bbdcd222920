"""Impossible schedules say which rule binds; bad input names file, line and field."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest

from helpline.wfm.scheduling.inputs import (
    ScheduleInputError,
    load_agents,
    load_requirements,
    load_rules,
    parse_unavailability,
)
from helpline.wfm.scheduling.model import (
    ActivityKind,
    BreakRule,
    Contract,
    Requirement,
    SchedAgent,
    ShiftRules,
)
from helpline.wfm.scheduling.solver import solve_schedule

MONDAY = date(2026, 11, 23)
RULES = ShiftRules(
    start_times=(time(8), time(9)),
    lengths_min=(240, 480),
    breaks=(),
    min_rest_hours=11,
)


def weekdays(n: int, hours: range = range(9, 12), required: float = 1.0) -> list[Requirement]:
    return [
        Requirement(datetime.combine(MONDAY + timedelta(days=d), time(h, m)), required)
        for d in range(n)
        for h in hours
        for m in (0, 30)
    ]


def test_precheck_names_an_agent_whose_minimum_cannot_fit() -> None:
    ana = SchedAgent(
        "ana",
        "ana",
        contract=Contract(min_hours_week=40, max_hours_week=40, max_hours_day=8, days_off_per_week=2),
        unavailable=(parse_unavailability("2026-11-24"), parse_unavailability("2026-11-26")),
    )
    result = solve_schedule([ana], weekdays(5), RULES, time_limit_s=5, num_workers=2)
    assert result.status == "INFEASIBLE"
    assert result.problems == (
        "agent ana: min 40 h/week cannot fit in 3 available days of at most 8 h in the week of 2026-11-23"
        " (2 days with no allowed shift)",
    )


def test_solver_names_days_off_and_the_coverage_floor() -> None:
    """Two agents with five days off each cannot staff seven days; the pre-checks cannot see it."""
    rules = ShiftRules(
        start_times=(time(9),), lengths_min=(240,), breaks=(), min_rest_hours=0, coverage_floor=1.0
    )
    team = [
        SchedAgent(name, name, contract=Contract(max_hours_week=40, days_off_per_week=5)) for name in ("ana", "ben")
    ]
    result = solve_schedule(team, weekdays(7, range(9, 13)), rules, time_limit_s=10, num_workers=2)
    assert result.status == "INFEASIBLE"
    assert result.problems[0] == "these rules cannot all hold together:"
    reasons = result.problems[1:]
    assert "agent ana: 5 days off in the week of 2026-11-23 (at most 2 working days)" in reasons
    assert "agent ben: 5 days off in the week of 2026-11-23 (at most 2 working days)" in reasons
    floors = [r for r in reasons if r.startswith("coverage floor of 100% of the requirement on ")]
    # Four working days cover four of the seven: any five floors with both limits contradict.
    assert len(floors) == 5
    assert not [r for r in reasons if "at most 40 h" in r]


def test_solver_names_rest_between_shifts() -> None:
    """An early shift after a late one breaks the 11-hour rest; the floor asks for both."""
    rules = ShiftRules(
        start_times=(time(6), time(14)), lengths_min=(480,), breaks=(), min_rest_hours=11, coverage_floor=1.0
    )
    need = [
        Requirement(datetime.combine(MONDAY, time(20)), 1.0),
        Requirement(datetime.combine(MONDAY + timedelta(days=1), time(6)), 1.0),
    ]
    solo = SchedAgent("ana", "ana", contract=Contract())
    result = solve_schedule([solo], need, rules, time_limit_s=5, num_workers=2)
    assert result.status == "INFEASIBLE"
    assert set(result.problems[1:]) == {
        "agent ana: 11 h rest between shifts",
        "coverage floor of 100% of the requirement on Mon 2026-11-23",
        "coverage floor of 100% of the requirement on Tue 2026-11-24",
    }


def test_precheck_names_an_interval_nobody_can_work() -> None:
    rules = ShiftRules(start_times=(time(9),), lengths_min=(240,), breaks=(), coverage_floor=0.5)
    need = [Requirement(datetime.combine(MONDAY, time(18)), 2.0, "billing")]
    team = [SchedAgent("ana", skills=frozenset({"billing"}))]
    result = solve_schedule(team, need, rules, time_limit_s=2, num_workers=2)
    assert result.status == "INFEASIBLE"
    assert result.problems == ("coverage floor: Mon 2026-11-23 18:00 billing needs 1 agent at work, only 0 can work then",)


def test_misaligned_intervals_are_invalid() -> None:
    need = [Requirement(datetime(2026, 11, 23, 9, 10), 1.0), Requirement(datetime(2026, 11, 23, 9, 40), 1.0)]
    result = solve_schedule([SchedAgent("ana")], need, RULES, time_limit_s=2)
    assert result.status == "INVALID"
    assert "not on the 30-minute grid" in result.problems[0]


def test_bad_agent_field_names_file_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "agents.yaml"
    path.write_text("agents:\n  - id: ana\n    skills: [billing]\n    max_hours_week: forty\n")
    with pytest.raises(ScheduleInputError) as caught:
        load_agents(path, ShiftRules())
    assert str(caught.value) == f"{path}:4: field 'max_hours_week': expected a number, got 'forty'"


def test_unknown_contract_and_bad_unavailability(tmp_path: Path) -> None:
    path = tmp_path / "agents.csv"
    path.write_text("id,name,skills,contract,unavailable\nana,Ana,billing;tech,full,\n")
    with pytest.raises(ScheduleInputError, match=r"agents.csv:2: field 'contract': unknown contract 'full'"):
        load_agents(path, ShiftRules())
    path.write_text("id,name,skills,unavailable\nana,Ana,billing,someday\n")
    with pytest.raises(ScheduleInputError, match=r"agents.csv:2: field 'unavailable': expected a date"):
        load_agents(path, ShiftRules())


def test_agents_csv_reads_lists(tmp_path: Path) -> None:
    path = tmp_path / "agents.csv"
    path.write_text(
        "id,name,skills,max_hours_week,days_off_per_week,unavailable\n"
        "ana,Ana,billing;tech,32,2,sat;2026-11-25 13:00-17:00\n"
    )
    (ana,) = load_agents(path, ShiftRules())
    assert ana.skills == {"billing", "tech"}
    assert ana.contract == Contract(max_hours_week=32, days_off_per_week=2)
    assert [u.describe() for u in ana.unavailable] == ["every sat", "2026-11-25 13:00-17:00"]


def test_requirement_errors(tmp_path: Path) -> None:
    path = tmp_path / "req.csv"
    path.write_text("interval_start,required\n2026-11-23T09:00,2\n2026-11-23T09:30,lots\n")
    with pytest.raises(ScheduleInputError, match=r"req.csv:3: field 'required': expected a number, got 'lots'"):
        load_requirements(path)
    path.write_text("interval_start,required,skill\n2026-11-23T09:00,2,a\n2026-11-23T09:00,1,a\n")
    with pytest.raises(ScheduleInputError, match=r"req.csv:3: field 'interval_start': .* repeats line 2"):
        load_requirements(path)
    path.write_text("when,required\n2026-11-23T09:00,2\n")
    with pytest.raises(ScheduleInputError, match=r"field 'interval_start': missing column"):
        load_requirements(path)


def test_rules_errors(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("shift:\n  lengths_hours: [8]\nbreaks:\n  - {kind: nap, minutes: 15, window: [60, 120]}\n")
    with pytest.raises(ScheduleInputError, match=r"rules.yaml:4: field 'kind': expected break or lunch, got 'nap'"):
        load_rules(path)
    path.write_text("defaults: {min_hours_week: 40, max_hours_week: 30}\n")
    with pytest.raises(ScheduleInputError, match=r"min_hours_week \(40\) is above max_hours_week \(30\)"):
        load_rules(path)
    path.write_text("shift:\n  starts: {from: '08:00', to: '10:00', every: 20}\n")
    with pytest.raises(ScheduleInputError, match=r"start 08:20 is not on the 15-minute grid"):
        load_rules(path)


def test_floor_counts_agents_on_shift_and_warns_where_breaks_dip_below() -> None:
    """Two agents for two required: feasible; their breaks then dip below the floor, said as warnings."""
    rules = ShiftRules(
        start_times=(time(9),),
        lengths_min=(240,),
        breaks=(BreakRule(ActivityKind.BREAK, 15, 60, 120),),
        min_rest_hours=0,
        coverage_floor=1.0,
    )
    need = [Requirement(datetime.combine(MONDAY, time(h, m)), 2.0) for h in range(9, 13) for m in (0, 30)]
    team = [SchedAgent(name, name) for name in ("ana", "ben")]
    result = solve_schedule(team, need, rules, time_limit_s=5, num_workers=2)
    assert result.status == "OPTIMAL"
    assert len(result.shifts) == 2
    assert result.warnings
    assert all(w.startswith("coverage floor missed Mon 2026-11-23 1") for w in result.warnings)


def test_floor_with_many_skills_names_days_off_and_floors() -> None:
    """Five skills take the per-agent model; the one agent holding e works one day of two."""
    skills = ["a", "b", "c", "d", "e"]
    rules = ShiftRules(start_times=(time(9),), lengths_min=(240,), breaks=(), min_rest_hours=0, coverage_floor=1.0)
    need = [
        Requirement(datetime.combine(MONDAY + timedelta(days=d), time(10)), 1.0, s) for d in (0, 1) for s in skills
    ]
    team = [SchedAgent(f"p{i}", skills=frozenset({s})) for i, s in enumerate(skills)]
    team[4] = SchedAgent("p4", skills=frozenset({"e"}), contract=Contract(days_off_per_week=6))
    result = solve_schedule(team, need, rules, time_limit_s=5, num_workers=2)
    assert result.status == "INFEASIBLE"
    assert set(result.problems[1:]) == {
        "agent p4: 6 days off in the week of 2026-11-23 (at most 1 working day)",
        "coverage floor of 100% of the requirement on Mon 2026-11-23 for e",
        "coverage floor of 100% of the requirement on Tue 2026-11-24 for e",
    }


def test_solver_names_minimum_hours_and_rest() -> None:
    """A night shift then a morning shift would reach the minimum, but not with 11 h rest."""
    rules = ShiftRules(start_times=(time(8), time(22)), lengths_min=(480,), breaks=(), min_rest_hours=11)
    ana = SchedAgent(
        "ana",
        "ana",
        contract=Contract(min_hours_week=16, days_off_per_week=5),
        unavailable=(parse_unavailability("2026-11-23 00:00-22:00"), parse_unavailability("2026-11-24 18:00-24:00")),
    )
    need = [Requirement(datetime.combine(MONDAY + timedelta(days=d), time(10)), 1.0) for d in (0, 1)]
    result = solve_schedule([ana], need, rules, time_limit_s=5, num_workers=2)
    assert result.status == "INFEASIBLE"
    assert set(result.problems[1:]) == {
        "agent ana: at least 16 h in the week of 2026-11-23",
        "agent ana: 11 h rest between shifts",
    }


def test_solver_names_maximum_hours_against_the_floor() -> None:
    rules = ShiftRules(start_times=(time(9),), lengths_min=(240,), breaks=(), min_rest_hours=0, coverage_floor=1.0)
    ana = SchedAgent("ana", "ana", contract=Contract(max_hours_week=8))
    need = [Requirement(datetime.combine(MONDAY + timedelta(days=d), time(10)), 1.0) for d in range(3)]
    result = solve_schedule([ana], need, rules, time_limit_s=5, num_workers=2)
    assert result.status == "INFEASIBLE"
    reasons = set(result.problems[1:])
    assert "agent ana: at most 8 h in the week of 2026-11-23" in reasons
    assert len(reasons) == 4  # and the floor on each of the three days
