"""``helpline flows check`` and ``helpline flows try``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from helpline.features.flows.commands import build

PARCELO = str(Path(__file__).parents[3] / "examples" / "flows" / "parcelo.yaml")


def test_check_reports_issues_and_sets_the_exit_code(tmp_path: Path) -> None:
    runner = CliRunner()
    good = runner.invoke(build(), ["check", PARCELO, "--queues", "tracking,billing,claims"])
    assert good.exit_code == 0, good.output
    assert "1 flow file(s): 0 error(s), 0 warning(s)" in good.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("start: a\nnodes:\n  a:\n    type: menu\n    prompt: x\n    options: {1: b}\n")
    result = runner.invoke(build(), ["check", PARCELO, str(bad), "--json"])
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["ok"] is False
    assert report["issues"] == [{
        "file": str(bad), "line": 6, "column": 18, "field": "nodes.a.options.1", "severity": "error",
        "message": "no node named 'b'",
    }]


def test_try_runs_a_call_against_the_demo_tracking_service() -> None:
    result = CliRunner().invoke(build(), [
        "try", PARCELO, "--demo-service", "--keys", "1 1111111111", "--at", "2026-11-23T10:00:00+01:00",
    ])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "says: Welcome to Parcelo." in lines[0]
    assert any("caller presses 1111111111" in line for line in lines)
    assert any('to queue tracking (priority 0) with {"tracking_number": "1111111111", "lookup_status": "404"}' in line
               for line in lines)
    assert lines[-2].endswith("/parcels/1111111111: HTTP 404")
    assert lines[-1] == ("path: check_hours > welcome > main_menu > ask_number > lookup > lookup_failed > "
                         "to_tracking")


def test_try_after_hours_with_silence() -> None:
    result = CliRunner().invoke(build(), ["try", PARCELO, "--at", "2026-11-28T19:00:00+01:00"])
    assert result.exit_code == 0, result.output
    assert "records a voicemail of up to 120 s for queue tracking" in result.output


def test_load_stores_flows_for_a_tenant_all_or_nothing_and_list_shows_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from helpline.cli import app

    monkeypatch.setenv("HELPLINE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("HELPLINE_DATABASE_URL", raising=False)
    runner = CliRunner()
    demo = Path(PARCELO).parents[1] / "demo.yaml"
    assert runner.invoke(app, ["config", "load", str(demo)]).exit_code == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nstart: a\nnodes:\n  a:\n    type: menu\n    prompt: x\n    options: {1: b}\n")

    refused = runner.invoke(app, ["flows", "load", PARCELO, str(bad), "--tenant", "parcelo"])
    assert refused.exit_code == 1
    assert f"{bad}:7" in refused.output and "nodes.a.options.1" in refused.output
    assert "0 flow(s) stored for parcelo" in runner.invoke(app, ["flows", "list", "--tenant", "parcelo"]).output
    unknown = runner.invoke(app, ["flows", "load", PARCELO, "--tenant", "nobody"])
    assert unknown.exit_code == 1 and "no tenant 'nobody'" in unknown.output

    stored = runner.invoke(app, ["flows", "load", PARCELO, "--tenant", "parcelo"])
    assert stored.exit_code == 0, stored.output
    assert "stored for parcelo: parcelo" in stored.output
    listed = runner.invoke(app, ["flows", "list", "--tenant", "parcelo", "--json"])
    assert listed.exit_code == 0, listed.output
    report = json.loads(listed.output)
    assert [(f["name"], f["file"]) for f in report["flows"]] == [("parcelo", PARCELO)]

    removed = runner.invoke(app, ["flows", "remove", "parcelo", "--tenant", "parcelo"])
    assert removed.exit_code == 0, removed.output
    assert "0 flow(s) stored for parcelo" in runner.invoke(app, ["flows", "list", "--tenant", "parcelo"]).output
    again = runner.invoke(app, ["flows", "remove", "parcelo", "--tenant", "parcelo"])
    assert again.exit_code == 1 and "no flow 'parcelo'" in again.output
