"""``helpline wfm erlang`` and ``helpline wfm staff`` end to end through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from helpline.cli import app
from helpline.wfm.scheduling.inputs import load_requirements

runner = CliRunner()
PER_SECOND = str(100 / 1800)


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_erlang_c_json_has_the_published_figures() -> None:
    code, out = run(
        "wfm", "erlang", "--rate", PER_SECOND, "--aht", "180", "--agents", "11", "--target", "20", "--json"
    )
    assert code == 0, out
    data = json.loads(out)
    assert data["p_wait"] == pytest.approx(0.6821, abs=5e-5)
    assert data["service_level"] == pytest.approx(0.3896, abs=5e-5)
    assert data["asa"] == pytest.approx(122.8, abs=0.05)
    assert data["p_abandon"] == 0.0
    assert data["occupancy"] == pytest.approx(10 / 11)


def test_erlang_a_json_and_the_unstable_erlang_c_case() -> None:
    code, out = run(
        "wfm",
        "erlang",
        "--model",
        "a",
        "--patience",
        "180",
        "--rate",
        PER_SECOND,
        "--aht",
        "180",
        "--agents",
        "9",
        "--json",
    )
    assert code == 0, out
    data = json.loads(out)
    assert set(data) >= {"p_wait", "p_abandon", "service_level", "asa", "occupancy"}
    assert 0 < data["p_abandon"] < 0.5 and data["asa"] > 0
    code, out = run("wfm", "erlang", "--rate", PER_SECOND, "--aht", "180", "--agents", "9", "--json")
    assert code == 0
    assert json.loads(out)["asa"] is None  # unstable: infinite, written as null


def test_erlang_table_and_option_errors() -> None:
    code, out = run("wfm", "erlang", "--rate", PER_SECOND, "--aht", "180", "--agents", "11")
    assert code == 0 and "P(wait)" in out and "68.2%" in out
    code, out = run("wfm", "erlang", "--model", "a", "--rate", "1", "--aht", "1", "--agents", "2")
    assert code == 2 and "--patience" in out
    code, out = run("wfm", "erlang", "--patience", "9", "--rate", "1", "--aht", "1", "--agents", "2")
    assert code == 2 and "--model a" in out


def test_staff_one_load_with_shrinkage() -> None:
    code, out = run(
        "wfm",
        "staff",
        "--rate",
        PER_SECOND,
        "--aht",
        "180",
        "--sl",
        "0.8",
        "--target",
        "20",
        "--shrinkage",
        "0.3",
        "--json",
    )
    assert code == 0, out
    data = json.loads(out)
    assert (data["agents"], data["scheduled"]) == (14, 20)
    assert data["intervals"][0]["service_level"] >= 0.8


def test_staff_erlang_a_with_every_target() -> None:
    code, out = run(
        "wfm", "staff", "--model", "a", "--patience", "180", "--rate", PER_SECOND, "--aht", "180",
        "--sl", "0.8", "--max-asa", "15", "--max-abandon", "0.05", "--max-occupancy", "0.9", "--json",
    )  # fmt: skip
    assert code == 0, out
    row = json.loads(out)["intervals"][0]
    assert row["service_level"] >= 0.8 and row["asa"] <= 15 and row["abandon_rate"] <= 0.05
    assert row["occupancy"] <= 0.9


def test_staff_intervals_file_chart_and_requirements_for_the_scheduler(tmp_path: Path) -> None:
    src = tmp_path / "load.csv"
    src.write_text(
        "interval_start,rate,aht,patience\n"
        "2026-03-02T08:00,0.02,300,120\n"
        "2026-03-02T08:15,0.05,,\n"
        "2026-03-02T08:30,0.1,240,200\n"
        "2026-03-02T08:45,0,300,120\n"
    )
    svg, png, req = tmp_path / "staff.svg", tmp_path / "staff.png", tmp_path / "required.csv"
    base = ["wfm", "staff", "--model", "a", "--intervals", str(src), "--aht", "300", "--patience", "180"]
    targets = ["--sl", "0.8", "--max-abandon", "0.05", "--shrinkage", "0.25"]
    code, out = run(*base, *targets, "--chart", str(svg), "--out", str(req), "--json")
    assert code == 0, out
    data = json.loads(out)
    rows = data["intervals"]
    assert [r["interval_start"] for r in rows][:2] == ["2026-03-02T08:00", "2026-03-02T08:15"]
    assert rows[1]["aht"] == 300 and rows[1]["patience"] == 180  # empty cells take the defaults
    assert rows[3]["agents"] == 0
    assert all(r["service_level"] >= 0.8 for r in rows)
    assert data["peak_agents"] == max(r["agents"] for r in rows)
    assert svg.read_text().lstrip().startswith("<?xml")
    required = load_requirements(req)
    assert [r.required for r in required] == [r["scheduled"] for r in rows]
    code, out = run(*base, *targets, "--chart", str(png))
    assert code == 0, out
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "2026-03-02T08:30" in out and "peak" in out


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            "interval_start,rate,aht\n08:00,0.1,300\n08:15,lots,300\n",
            "load.csv:3: rate 'lots' is not a number",
        ),
        ("interval_start,rate,aht\n08:00,-1,300\n", "load.csv:2: rate '-1'"),
        ("interval_start,rate,aht\n08:00,0.1,0\n", "load.csv:2: aht"),
        (
            "interval_start,rate,aht\n08:00,0.1,300\n08:00,0.2,300\n",
            "load.csv:3: interval_start '08:00' repeats line 2",
        ),
        ("interval_start,aht\n08:00,300\n", "load.csv:1: header lacks rate"),
        ("interval_start,rate\n08:00,0.1\n", "header lacks aht"),
        ("interval_start,rate,aht\n08:00,0.1\n", "load.csv:2: 2 fields"),
        ("interval_start,rate,aht\n", "no intervals"),
        ("", "empty file"),
    ],
)
def test_staff_reports_bad_rows_by_line(tmp_path: Path, content: str, message: str) -> None:
    src = tmp_path / "load.csv"
    src.write_text(content)
    code, out = run("wfm", "staff", "--intervals", str(src), "--sl", "0.8")
    assert code == 2
    assert message in " ".join(out.split())


def test_staff_refuses_impossible_targets_and_names_the_interval_at_the_cap(tmp_path: Path) -> None:
    code, out = run("wfm", "staff", "--rate", "1", "--aht", "10", "--sl", "1", "--target", "0")
    assert code == 2 and "100%" in out
    code, out = run("wfm", "staff", "--rate", "1", "--aht", "10", "--max-asa", "0")
    assert code == 2 and "ASA of 0" in " ".join(out.split())
    src = tmp_path / "load.csv"
    src.write_text("interval_start,rate,aht\n08:00,0.01,180\n08:15,0.5,180\n")
    code, out = run("wfm", "staff", "--intervals", str(src), "--sl", "0.8", "--max-agents", "50")
    flat = " ".join(out.split())
    assert code == 2 and "load.csv:3 (08:15)" in flat and "search cap of 50" in flat


def test_staff_needs_one_source_of_load() -> None:
    code, out = run("wfm", "staff", "--sl", "0.8")
    assert code == 2 and "--rate" in out


def test_erlang_a_intervals_take_patience_from_the_file(tmp_path: Path) -> None:
    src = tmp_path / "load.csv"
    src.write_text("interval_start,rate,aht,patience\n08:00,0.02,300,100\n08:15,0.05,300,\n")
    code, out = run("wfm", "staff", "--model", "a", "--intervals", str(src), "--sl", "0.8")
    assert code == 2 and "load.csv:3: patience is empty and no --patience was given" in " ".join(out.split())
    code, out = run(
        "wfm", "staff", "--model", "a", "--intervals", str(src), "--patience", "60", "--sl", "0.8", "--json"
    )
    assert code == 0, out
    assert [r["patience"] for r in json.loads(out)["intervals"]] == [100.0, 60.0]


def test_staff_reads_the_forecast_csv_with_several_queues(tmp_path: Path) -> None:
    # The layout `helpline wfm forecast` writes: rate in calls per second, AHT in seconds.
    src = tmp_path / "forecast.csv"
    src.write_text(
        "interval_start,queue,arrivals,rate,aht\n"
        "2026-03-02T08:00:00,sales,45.000,0.05,240\n"
        "2026-03-02T08:00:00,support,90.000,0.1,300\n"
        "2026-03-02T08:15:00,sales,54.000,0.06,240\n"
        "2026-03-02T08:15:00,support,72.000,0.08,300\n"
    )
    req, chart = tmp_path / "required.csv", tmp_path / "staff.svg"
    code, out = run(
        "wfm",
        "staff",
        "--intervals",
        str(src),
        "--sl",
        "0.8",
        "--out",
        str(req),
        "--chart",
        str(chart),
        "--json",
    )
    assert code == 0, out
    rows = json.loads(out)["intervals"]
    assert [r["queue"] for r in rows] == ["sales", "support", "sales", "support"]
    required = load_requirements(req)
    assert {(r.skill, r.required) for r in required} == {(r["queue"], r["scheduled"]) for r in rows}
    assert chart.stat().st_size > 0
