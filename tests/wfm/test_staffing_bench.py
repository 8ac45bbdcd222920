"""``helpline bench staffing`` prints one JSON object with its figures."""

from __future__ import annotations

import importlib.util
import json

from typer.testing import CliRunner

from helpline.cli import app


def test_bench_staffing_reports_its_figures() -> None:
    result = CliRunner().invoke(
        app, ["bench", "staffing", "--intervals", "6", "--queues", "2", "--repeat", "1", "--peer", "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert (data["intervals"], data["queues"], data["staffings"], data["model"]) == (6, 2, 12, "a")
    assert data["seconds"] > 0 and data["agents_total"] > 0
    assert 5.0 <= data["calls_per_interval"][0] <= data["calls_per_interval"][1] <= 300.0
    if importlib.util.find_spec("pyworkforce") is None:
        assert data["peer"] is None and "not importable" in data["peer_error"]
    else:
        assert data["peer_calls"] > 0 and data["ratio"] > 0
