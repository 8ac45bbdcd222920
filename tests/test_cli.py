"""The command line, in process: configuration checks and loads, migrations."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from helpline.app import DEMO_CONFIG
from helpline.cli import app

runner = CliRunner()


def test_config_check_accepts_the_demo() -> None:
    result = runner.invoke(app, ["config", "check", str(DEMO_CONFIG)])
    assert result.exit_code == 0, result.output
    assert "parcelo (5 queues" in result.output


def test_config_check_names_every_problem_with_file_line_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    text = DEMO_CONFIG.read_text()
    text = text.replace("offer_timeout_s: 15", "offer_timeout_s: -5", 1)
    text = text.replace("required_skills: {billing: 2}", "required_skills: {biling: 2}", 1)
    bad.write_text(text)
    result = runner.invoke(app, ["config", "check", str(bad)])
    assert result.exit_code == 1
    assert "queues[0].offer_timeout_s: must be ≥ 0 (got -5)" in result.output
    assert "queues[2].required_skills.biling: unknown skill 'biling'" in result.output
    assert f"{bad}:" in result.output


def test_config_load_stores_once_and_migrate_is_idempotent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HELPLINE_DATA_DIR", str(tmp_path / "data"))
    assert runner.invoke(app, ["migrate"]).exit_code == 0
    assert runner.invoke(app, ["migrate"]).exit_code == 0
    result = runner.invoke(app, ["config", "load", str(DEMO_CONFIG)])
    assert result.exit_code == 0, result.output
    assert "stored parcelo" in result.output
    assert (tmp_path / "data" / "helpline.db").is_file()


def test_the_command_line_starts_without_the_heavy_libraries() -> None:
    # A fresh interpreter: this process has long imported everything.
    heavy = [
        "pandas", "ortools", "numpy", "scipy", "statsforecast", "matplotlib", "httpx", "sqlalchemy", "fastapi",
        "pydantic",
    ]
    code = f"import sys, helpline.cli; print([m for m in {heavy!r} if m in sys.modules])"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert done.stdout.strip() == "[]"
