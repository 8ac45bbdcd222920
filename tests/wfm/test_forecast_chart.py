"""The forecast chart: plain data in, an SVG or PNG file out."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from helpline.wfm.charts.forecast import plot_forecast

STARTS = [datetime(2024, 1, 1, 8) + timedelta(minutes=30 * step) for step in range(6)]


def test_svg_with_actuals_gaps_and_other_models(tmp_path: Path) -> None:
    path = plot_forecast(tmp_path / "f.svg", STARTS, [1.0, 2.0, None, 4.0, 5.0, 6.0],
                         actual=[1.5, float("nan"), 3.0, 4.0, 4.5, 7.0], others={"mstl": [1.0] * 6},
                         title="Sales at 30min")
    text = path.read_text()
    assert "<svg" in text and "Sales at 30min" in text
    assert text.count("<path") > 3


def test_png(tmp_path: Path) -> None:
    path = plot_forecast(tmp_path / "f.png", STARTS, [1.0] * 6)
    assert path.read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize(
    ("name", "forecast", "actual", "message"),
    [("f.pdf", [1.0] * 6, None, ".svg or .png"), ("f.svg", [1.0] * 5, None, "forecast: 5 values for 6"),
     ("f.svg", [1.0] * 6, [1.0], "actual: 1 values for 6")],
)
def test_bad_requests_are_refused(tmp_path: Path, name: str, forecast: list[float], actual: list[float] | None,
                                  message: str) -> None:
    with pytest.raises(ValueError, match=message):
        plot_forecast(tmp_path / name, STARTS, forecast, actual=actual)
    assert not (tmp_path / name).exists()
