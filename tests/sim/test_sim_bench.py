"""``helpline bench sim`` prints one JSON object: speed, and its own check against Erlang A."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from helpline.cli import app


def test_bench_sim_reports_speed_and_erlang_a_figures() -> None:
    result = CliRunner().invoke(
        app,
        [
            "bench",
            "sim",
            "--rate",
            "10",
            "--agents",
            "10",
            "--calls",
            "3000",
            "--peer",
            "--peer-path",
            "/nonexistent",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["calls"] == 3000 and data["calls_per_s"] > 0 and data["engine_calls_per_call"] >= 2
    assert abs(data["diff_p_wait_zero"]) < 0.1 and abs(data["diff_p_abandon"]) < 0.1
    assert data["erlang_a_p_wait_zero"] + data["diff_p_wait_zero"] == pytest.approx(data["p_wait_zero"])
    assert data["peer"] is None and "not importable" in data["peer_error"]
    # the control-variate estimates: over the batches before the last (cut short) one
    assert data["cv_batches"] in (19, 20)
    assert data["erlang_a_p_wait_zero"] + data["diff_p_wait_zero_cv"] == pytest.approx(data["p_wait_zero_cv"])
    assert data["p_wait_zero_cv_ci95"] > 0 and data["p_abandon_cv_ci95"] > 0
    assert abs(data["diff_p_wait_zero_cv"]) < 0.1 and abs(data["diff_p_abandon_cv"]) < 0.1


def test_bench_sim_refuses_a_model_it_does_not_know() -> None:
    result = CliRunner().invoke(app, ["bench", "sim", "--model", "erlang-x", "--json"])
    assert result.exit_code == 2 and "unknown model" in result.output
