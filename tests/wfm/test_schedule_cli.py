"""``helpline wfm schedule`` and ``helpline wfm adherence`` on real files."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from helpline.wfm.charts.schedule import coverage_chart, timeline_chart
from helpline.wfm.commands.schedule import register
from helpline.wfm.scheduling.export import read_csv, read_ics_events
from helpline.wfm.scheduling.inputs import load_requirements
from helpline.wfm.scheduling.model import CoverageRow

DATA = Path(__file__).parent / "data" / "schedule"


def app() -> typer.Typer:
    group = typer.Typer()
    register(group)
    return group


def test_schedule_writes_csv_ics_and_chart(tmp_path: Path) -> None:
    out, ics, chart = tmp_path / "s.csv", tmp_path / "s.ics", tmp_path / "s.png"
    result = CliRunner().invoke(
        app(),
        [
            "schedule",
            "--requirements", str(DATA / "requirements.csv"),
            "--agents", str(DATA / "agents.yaml"),
            "--rules", str(DATA / "rules.yaml"),
            "--out", str(out),
            "--ics", str(ics),
            "--chart", str(chart),
            "--time-limit", "4",
            "--workers", "2",
            "--json",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["status"] in ("OPTIMAL", "FEASIBLE")
    assert report["gap"]["required_hours"] == 210
    assert sum(c["required"] for c in report["coverage"]) == 420  # agents over half-hour intervals
    assert report["written"] == {"csv": str(out), "ics": str(ics), "chart": str(chart)}
    shifts = read_csv(out)
    assert len(shifts) == len(report["shifts"]) == sum(a["shifts"] for a in report["agents"].values())
    events = read_ics_events(ics.read_bytes().decode("utf-8"))
    assert len(events) == len(shifts)
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_schedule_reports_an_impossible_minimum(tmp_path: Path) -> None:
    agents = tmp_path / "agents.yaml"
    agents.write_text("- {id: ana, skills: [billing], min_hours_week: 40, max_hours_day: 8, unavailable: [mon, tue, wed]}\n")
    result = CliRunner().invoke(
        app(),
        ["schedule", "--requirements", str(DATA / "requirements.csv"), "--agents", str(agents),
         "--rules", str(DATA / "rules.yaml"), "--out", str(tmp_path / "s.csv"), "--json"],
    )  # fmt: skip
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["status"] == "INFEASIBLE"
    assert report["problems"] == [
        "agent ana: min 40 h/week cannot fit in 2 available days of at most 8 h in the week of 2026-11-23"
        " (3 days with no allowed shift)"
    ]
    assert not (tmp_path / "s.csv").exists()


def test_schedule_rejects_bad_input_with_its_location(tmp_path: Path) -> None:
    agents = tmp_path / "agents.yaml"
    agents.write_text("- id: ana\n  days_off_per_week: 9\n")
    result = CliRunner().invoke(
        app(),
        ["schedule", "--requirements", str(DATA / "requirements.csv"), "--agents", str(agents)],
    )
    assert result.exit_code == 2
    assert f"{agents}:2: field 'days_off_per_week': expected a whole number between 0 and 7, got 9" in result.stderr


def test_adherence_command(tmp_path: Path) -> None:
    schedule = tmp_path / "schedule.csv"
    schedule.write_text(
        "agent_id,agent_name,date,shift_start,shift_end,paid_hours,breaks,lunch\n"
        "ana,Ana,2026-11-23,2026-11-23T09:00,2026-11-23T13:00,3.5,10:00-10:15,11:00-11:30\n"
    )
    states = tmp_path / "states.csv"
    states.write_text(
        "agent_id,at,state,reason\n"
        "ana,2026-11-23T09:06,available,\n"
        "ana,2026-11-23T10:00,paused,break\n"
        "ana,2026-11-23T10:15,available,\n"
        "ana,2026-11-23T11:00,paused,lunch\n"
        "ana,2026-11-23T11:30,busy,\n"
        "ana,2026-11-23T13:00,offline,\n"
    )
    result = CliRunner().invoke(app(), ["adherence", "--schedule", str(schedule), "--states", str(states), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    (day,) = report["days"]
    assert day["scheduled_s"] == 4 * 3600
    assert day["in_adherence_s"] == 4 * 3600 - 6 * 60
    assert day["adherence"] == round(1 - 6 / 240, 4)
    assert day["conformance"] == round((195 - 6) / 195, 4)
    assert report["totals"]["*"]["adherence"] == day["adherence"]
    table = CliRunner().invoke(app(), ["adherence", "--schedule", str(schedule), "--states", str(states)])
    assert table.exit_code == 0
    assert "97.5%" in table.stdout


def test_separate_charts_as_svg(tmp_path: Path) -> None:
    shifts = read_csv_fixture(tmp_path)
    timeline_chart(shifts, tmp_path / "t.svg")
    requirements = load_requirements(DATA / "requirements.csv")
    rows = [CoverageRow(r.start, r.skill, r.required, max(0.0, r.required - 1)) for r in requirements]
    coverage_chart(rows, 30, tmp_path / "c.svg")
    for name in ("t.svg", "c.svg"):
        text = (tmp_path / name).read_text()
        assert "<svg" in text and "</svg>" in text


def read_csv_fixture(tmp_path: Path):
    path = tmp_path / "schedule.csv"
    path.write_text(
        "agent_id,agent_name,date,shift_start,shift_end,paid_hours,breaks,lunch\n"
        "ana,Ana,2026-11-23,2026-11-23T09:00,2026-11-23T17:00,7.5,10:30-10:45;15:00-15:15,12:30-13:00\n"
        "ben,Ben,2026-11-23,2026-11-23T12:00,2026-11-23T20:00,7.5,14:00-14:15,16:00-16:30\n"
    )
    return read_csv(path)
