"""``helpline sim run`` on the demo tenant: JSON figures, CSV loads and schedules, clear refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from helpline.sim.cli import build

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo.yaml"


@pytest.fixture
def app() -> typer.Typer:
    root = typer.Typer()
    root.add_typer(build(), name="sim")
    return root


def _run(app: typer.Typer, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["sim", "run", "--config", str(DEMO), *args], env={"COLUMNS": "250"})
    return result.exit_code, result.output


def test_json_run_with_rates_per_queue(app: typer.Typer) -> None:
    code, out = _run(
        app,
        "--rate",
        "tracking=60",
        "--rate",
        "claims=20",
        "--aht",
        "240",
        "--aht",
        "claims=lognormal:mean=400,sd=300",
        "--patience",
        "120",
        "--hours",
        "1",
        "--replications",
        "3",
        "--json",
    )
    assert code == 0, out
    data = json.loads(out)
    assert (
        data["tenant"] == "parcelo" and data["replications"] == 3 and data["queues"] == ["claims", "tracking"]
    )
    assert data["intervals"] == 2 and data["interval_s"] == 1800.0
    rows = {(r["queue"], r["interval"]): r for r in data["rows"]}
    tracking = rows[("tracking", None)]
    assert 40 < tracking["offered"]["mean"] < 90 and tracking["offered"]["n"] == 3
    assert tracking["service_level"]["half_width"] is not None
    assert 0 <= tracking["service_level"]["mean"] <= 1
    assert ("claims", 1) in rows and (None, None) in rows
    assert data["occupancy"][0]["interval"] is None and 0 < data["occupancy"][0]["mean"] < 1


def test_rates_and_schedule_from_csv(app: typer.Typer, tmp_path: Path) -> None:
    rates = tmp_path / "rates.csv"
    rates.write_text(
        "interval_start,queue,rate,aht\n"
        "2026-11-23T08:00:00,billing,0.01,300\n"
        "2026-11-23T08:15:00,billing,0.02,300\n"
        "2026-11-23T08:00:00,chat,0.005,600\n"
        "2026-11-23T08:15:00,chat,0.0,600\n"
    )
    schedule = tmp_path / "staff.csv"
    schedule.write_text("interval_start,agents\n08:00,david irene\n08:15,3\n")
    code, out = _run(
        app,
        "--rates",
        str(rates),
        "--schedule",
        str(schedule),
        "--patience",
        "90",
        "--replications",
        "2",
        "--json",
    )
    assert code == 0, out
    data = json.loads(out)
    assert data["interval_s"] == 900.0 and data["intervals"] == 2 and data["queues"] == ["billing", "chat"]
    chat_late = [r for r in data["rows"] if r["queue"] == "chat" and r["interval"] == 1]
    assert not chat_late or chat_late[0]["offered"]["mean"] == 0


def test_table_output(app: typer.Typer) -> None:
    code, out = _run(app, "--rate", "billing=30", "--aht", "200", "--hours", "1", "--replications", "2")
    assert code == 0, out
    assert "billing" in out and "occupancy" in out and "EWT" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--rate", "nope=3", "--aht", "60", "--hours", "1"], "unknown queue 'nope'"),
        (["--rate", "billing=3", "--hours", "1"], "no handle time for queue 'billing'"),
        (["--rate", "billing=x", "--aht", "60", "--hours", "1"], "'x' is not a number"),
        (["--rate", "billing=3", "--aht", "60"], "needs --hours"),
        (["--aht", "60", "--hours", "1"], "either as --rate"),
        (["--rate", "billing=3", "--aht", "lognormal:mean=3", "--hours", "1"], "two of mean="),
        (["--rate", "billing=3", "--aht", "60", "--hours", "1", "--agents", "99"], "configuration has 10"),
        (["--rate", "billing=3", "--aht", "60", "--hours", "1", "--tenant", "acme"], "no tenant 'acme'"),
        (["--rate", "billing=3", "--aht", "60", "--hours", "1", "--replications", "0"], "at least 1"),
    ],
)
def test_bad_input_is_refused_with_a_reason(app: typer.Typer, args: list[str], message: str) -> None:
    code, out = _run(app, *args)
    assert code == 2
    assert message in " ".join(out.split()), out


def test_bad_csv_names_file_and_line(app: typer.Typer, tmp_path: Path) -> None:
    rates = tmp_path / "rates.csv"
    rates.write_text("interval_start,queue,rate,aht\n08:00,billing,-1,300\n")
    code, out = _run(app, "--rates", str(rates))
    assert code == 2 and f"{rates}:2" in out and "rate" in out
    staff = tmp_path / "staff.csv"
    staff.write_text("interval_start,agents\n08:00,ghost\n")
    code, out = _run(app, "--rate", "billing=3", "--aht", "60", "--hours", "1", "--schedule", str(staff))
    assert code == 2 and "unknown ghost" in out
