"""Forecast against actuals: arrivals per interval over time."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path

FORMATS = (".svg", ".png")


def plot_forecast(
    path: Path | str,
    starts: Sequence[datetime],
    forecast: Sequence[float | None],
    actual: Sequence[float | None] | None = None,
    others: Mapping[str, Sequence[float | None]] | None = None,
    title: str = "",
) -> Path:
    """Write a line chart of ``forecast`` (and ``actual``, and ``others`` thinner) per interval start.

    None (or NaN) leaves a gap: closed intervals, or days with no forecast or no actuals.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt
    import numpy as np

    target = Path(path)
    if target.suffix.lower() not in FORMATS:
        raise ValueError(f"{target}: a chart file name ends in .svg or .png")
    count = len(starts)
    series = {"forecast": forecast, **({"actual": actual} if actual is not None else {}), **(others or {})}
    for name, values in series.items():
        if len(values) != count:
            raise ValueError(f"{name}: {len(values)} values for {count} interval starts")

    def as_array(values: Sequence[float | None]) -> np.ndarray:
        return np.array([np.nan if value is None else float(value) for value in values])

    times = np.array(starts, dtype="datetime64[s]")
    figure, axes = plt.subplots(figsize=(12, 4.5), layout="constrained")
    try:
        if actual is not None:
            axes.plot(times, as_array(actual), color="0.25", linewidth=1.2, label="actual")
        for name, values in (others or {}).items():
            axes.plot(times, as_array(values), linewidth=0.8, alpha=0.6, label=name)
        axes.plot(times, as_array(forecast), color="tab:blue", linewidth=1.6, label="forecast")
        axes.set_ylabel("arrivals per interval")
        axes.set_ylim(bottom=0)
        # matplotlib's date helpers carry no type hints
        span_days = (times[-1] - times[0]).astype("timedelta64[D]").astype(int) if count else 0
        every = max(1, int(span_days) // 14)  # at most about two weeks of day labels
        axes.xaxis.set_major_locator(mdates.DayLocator(interval=every))  # type: ignore[no-untyped-call]
        axes.xaxis.set_major_formatter(mdates.DateFormatter("%a\n%d %b"))  # type: ignore[no-untyped-call]
        axes.grid(True, alpha=0.3)
        axes.legend(loc="upper left")
        if title:
            axes.set_title(title)
        figure.savefig(target)
    finally:
        plt.close(figure)
    return target
