"""``helpline wfm forecast`` end to end: real files in, JSON, tables, charts and CSV out."""

from __future__ import annotations

import csv
import json
from datetime import timedelta
from pathlib import Path

import pytest
from test_forecast import MONDAY, rate
from typer.testing import CliRunner

from helpline.cli import app

SAMPLE = Path(__file__).parent / "data" / "history" / "bank_sample.txt"
BANK = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "anonymous_bank_1999"
SIMPLE = "weekday_average,level_profile"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture(scope="module")
def history_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four weeks at 15 minutes, open hours only (closed hours and Sundays are simply absent)."""
    path = tmp_path_factory.mktemp("history") / "sales.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["timestamp", "count", "aht_s"])
        for offset in range(28):
            day = MONDAY + timedelta(days=offset)
            for hour in range(24):
                hourly = rate(day, hour)
                if hourly == 0:
                    continue
                for quarter in range(4):
                    writer.writerow([f"{day}T{hour:02d}:{quarter * 15:02d}:00", hourly / 4, 240])
    return path


def invoke(runner: CliRunner, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["wfm", "forecast", *args])
    return result.exit_code, result.stdout, result.stderr


def test_forecast_json_from_a_csv_reaggregated_to_the_hour(runner: CliRunner, history_csv: Path) -> None:
    code, out, err = invoke(runner, "--history", str(history_csv), "--interval", "1h", "--horizon-days", "8",
                            "--models", SIMPLE, "--json")
    assert code == 0, err
    payload = json.loads(out)
    assert payload["interval"] == "1h" and payload["model"] in SIMPLE.split(",")
    assert payload["intra_hour"] is False  # 15-minute history is not finer than 15 minutes
    intervals = payload["intervals"]
    assert len(intervals) == 8 * 24
    assert payload["start"] == "2024-01-28"  # the day after the last row (a Saturday)
    monday_nine = next(row for row in intervals if row["start"] == "2024-01-29T09:00:00")
    assert monday_nine["arrivals"] == pytest.approx(20.0, rel=0.01)
    assert monday_nine["aht_s"] == pytest.approx(240.0)
    assert not any(row["open"] for row in intervals if row["start"].startswith("2024-01-28"))
    assert set(payload["selection"]) == set(SIMPLE.split(","))


def test_backtest_prints_mape_rmse_and_the_model(runner: CliRunner, history_csv: Path) -> None:
    code, out, err = invoke(runner, "--history", str(history_csv), "--interval", "30min", "--backtest-days", "5",
                            "--models", SIMPLE, "--json")
    assert code == 0, err
    payload = json.loads(out)
    assert payload["model"] in SIMPLE.split(",")
    assert payload["mape"] == pytest.approx(0.0, abs=0.01)  # identical weeks are forecast exactly
    assert payload["rmse"] == pytest.approx(0.0, abs=0.01)
    assert set(payload["models"]) == set(SIMPLE.split(","))
    assert payload["intervals"] == 4 * 20 + 8  # Wednesday to Friday open 10 h, Saturday 4 h, Sunday closed


def test_table_and_chart_and_staffing_csv(runner: CliRunner, history_csv: Path, tmp_path: Path) -> None:
    chart = tmp_path / "forecast.svg"
    loads = tmp_path / "loads.csv"
    code, out, err = invoke(runner, "--history", str(history_csv), "--interval", "1h", "--horizon-days", "2",
                            "--start", "2024-01-29", "--model", "weekday_average",
                            "--override", "2024-01-30=closed", "--chart", str(chart), "--csv", str(loads))
    assert code == 0, err
    assert "Forecast" in out and "Mon 2024-01-29 09:00" in out and "closed: Tue 2024-01-30" in out
    assert chart.read_text().lstrip().startswith("<?xml") and "<svg" in chart.read_text()
    rows = list(csv.DictReader(loads.read_text().splitlines()))
    assert len(rows) == 10  # Monday's open hours; Tuesday closed by the override
    assert rows[0]["interval_start"] == "2024-01-29T08:00:00"
    assert float(rows[0]["rate"]) == pytest.approx(20 / 3600, rel=0.01)
    assert float(rows[0]["aht"]) == pytest.approx(240)


def test_backtest_chart_as_png(runner: CliRunner, history_csv: Path, tmp_path: Path) -> None:
    chart = tmp_path / "backtest.png"
    code, _, err = invoke(runner, "--history", str(history_csv), "--interval", "1h", "--backtest-days", "3",
                          "--models", SIMPLE, "--chart", str(chart))
    assert code == 0, err
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_bank_log_reports_skipped_rows(runner: CliRunner) -> None:
    code, out, err = invoke(runner, "--bank", str(SAMPLE), "--service", "PS", "--interval", "1h",
                            "--model", "weekday_average", "--horizon-days", "1", "--json")
    assert code == 0, err
    assert "2 rows skipped: 1 PHANTOM" in " ".join(err.split())
    payload = json.loads(out)
    assert payload["queue"] == "PS" and payload["start"] == "1999-01-06"
    assert payload["skipped"]["unknown service type 'AA'"] == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--interval", "1h"], "either --history"),
        (["--history", "{csv}", "--interval", "7min"], "divide a day"),
        (["--history", "{csv}", "--interval", "5min"], "cannot forecast 5min intervals from 15min history"),
        (["--history", "{csv}", "--model", "prophet"], "unknown model prophet"),
        (["--history", "{csv}", "--override", "xmas=closed"], "YYYY-MM-DD"),
        (["--history", "{csv}", "--chart", "out.pdf"], "must end in .svg or .png"),
        (["--history", "{csv}", "--service", "PS"], "--bank call logs only"),
        (["--bank", "{sample}", "--service", "XX"], "no calls for queue XX"),
        (["--history", "{bad}"], "bad.csv:4: count: negative value -2"),
        (["--history", "{missing}"], "No such file"),
    ],
)
def test_bad_input_fails_with_a_clear_message(
    runner: CliRunner, history_csv: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("timestamp,count\n2024-01-01T08:00,1\n2024-01-01T08:30,2\n2024-01-01T09:00,-2\n")
    paths = {"{csv}": str(history_csv), "{sample}": str(SAMPLE), "{bad}": str(bad),
             "{missing}": str(tmp_path / "nope.csv")}
    code, _, err = invoke(runner, *[paths.get(arg, arg) for arg in args])
    assert code == 2
    assert message in " ".join(err.split())


@pytest.mark.skipif(not (BANK / "february.txt").exists(), reason=f"Anonymous Bank log not found in {BANK}")
def test_bank_backtest_on_the_real_log(runner: CliRunner) -> None:
    code, out, err = invoke(runner, "--bank", str(BANK / "january.txt"), "--bank", str(BANK / "february.txt"),
                            "--service", "PS", "--interval", "1h", "--backtest-days", "14", "--models", SIMPLE,
                            "--json")
    assert code == 0, err
    payload = json.loads(out)
    assert payload["model"] == "level_profile"
    assert payload["mape"] < 25  # near the Poisson noise of hourly counts of a few dozen calls
    assert payload["models"]["weekday_average"]["mape"] < 30


def test_interval_defaults_to_the_csvs_own(runner: CliRunner, history_csv: Path) -> None:
    code, out, err = invoke(runner, "--history", str(history_csv), "--horizon-days", "1",
                            "--model", "level_profile", "--json")
    assert code == 0, err
    payload = json.loads(out)
    assert payload["interval"] == "15min" and len(payload["intervals"]) == 96


def test_forecast_csv_feeds_the_staffing_reader(runner: CliRunner, history_csv: Path, tmp_path: Path) -> None:
    from helpline.wfm.intervals import read_intervals

    loads = tmp_path / "loads.csv"
    code, _, err = invoke(runner, "--history", str(history_csv), "--interval", "30min", "--horizon-days", "2",
                          "--model", "weekday_average", "--csv", str(loads))
    assert code == 0, err
    rows = read_intervals(loads)
    assert len(rows) == 20  # Sunday (closed) and Monday, 8:00-18:00 at 30 minutes: open intervals only
    first = rows[0]
    assert first.start == "2024-01-29T08:00:00" and first.queue == "all"
    assert first.rate == pytest.approx(10 / 1800, rel=0.01) and first.aht == pytest.approx(240)
