"""Forecasts per interval, the model picked per series by a rolling-origin backtest.

``forecast_series`` and ``backtest_series`` take an :class:`IntervalSeries` and return data; no
files, no clock. The flow for one series:

1. re-aggregate the history to the requested interval; when that interval is under an hour and
   the history is finer than 15 minutes, models forecast whole hours and the hour is split by the
   learned intra-hour shape;
2. backtest each model one day ahead over the last days of history (each day forecast from the
   days before it) and keep the one with the lowest MAPE;
3. forecast the horizon with it, zero the weekday/intervals the history never shows open, and
   apply the date overrides (holidays closed, events scaled). Overrides on past dates take those
   days out of the history (closed) or scale them back to a normal day (events).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd

from helpline.wfm.forecasting.aht import forecast_aht
from helpline.wfm.forecasting.daygrid import DayGrid, open_slots, to_grid, to_hours
from helpline.wfm.forecasting.intra_hour import HOUR, learn_shape, split_hours
from helpline.wfm.forecasting.models import ArrivalModel, ModelUnavailable, level_profile, weekday_average
from helpline.wfm.forecasting.statistical import ets_daily, mstl
from helpline.wfm.history import DAY, IntervalSeries, format_interval, resample

MODELS: Mapping[str, ArrivalModel] = {
    "weekday_average": weekday_average,
    "level_profile": level_profile,
    "ets_daily": ets_daily,
    "mstl": mstl,
}
SIMPLE_MODELS = ("weekday_average", "level_profile")
FINE_DATA = pd.Timedelta(minutes=15)
Progress = Callable[[int], None]


@dataclass(frozen=True, slots=True)
class Override:
    """A date's arrivals scaled by ``multiplier``; 0 closes the day (a holiday)."""

    day: date
    multiplier: float

    @property
    def closed(self) -> bool:
        return self.multiplier == 0


def parse_override(text: str) -> Override:
    """``2024-12-25=closed``, ``2024-12-24=0.6`` or ``2024-11-29=1.8``."""
    day_text, sep, value = text.partition("=")
    if not sep:
        raise ValueError(f"override {text!r}: expected DATE=closed or DATE=MULTIPLIER")
    try:
        day = date.fromisoformat(day_text.strip())
    except ValueError:
        raise ValueError(f"override {text!r}: {day_text.strip()!r} is not a YYYY-MM-DD date") from None
    value = value.strip().lower()
    if value == "closed":
        return Override(day, 0.0)
    try:
        multiplier = float(value)
    except ValueError:
        raise ValueError(f"override {text!r}: {value!r} is neither 'closed' nor a number") from None
    if not np.isfinite(multiplier) or multiplier < 0:
        raise ValueError(f"override {text!r}: the multiplier must be zero or more")
    return Override(day, multiplier)


@dataclass(frozen=True, slots=True)
class Score:
    mape: float  # percent, over intervals with arrivals
    rmse: float  # calls, over every open interval
    wape: float  # percent: total absolute error over total arrivals
    intervals: int
    days: int
    floor_mape: float = float("nan")  # percent: the MAPE if arrivals were Poisson at the forecast rates


def poisson_floor_mape(rates: np.ndarray) -> float:
    """Expected MAPE of a perfect forecast when arrivals are Poisson at ``rates``.

    Counts per interval scatter around their rate even when the rate is known exactly, so a
    backtest MAPE is best read against this floor: the part of the error no model can remove.
    Like MAPE itself it counts only intervals that turn out to have arrivals.
    """
    from scipy.stats import poisson

    lam = np.asarray(rates, dtype=float).ravel()
    lam = lam[lam > 0]
    if lam.size == 0:
        return float("nan")
    top = int(lam.max() + 10 * np.sqrt(lam.max()) + 20)
    counts = np.arange(1, top + 1)
    pmf = poisson.pmf(counts[None, :], lam[:, None])
    expected_error = (pmf * np.abs(counts[None, :] - lam[:, None]) / counts[None, :]).sum()
    return float(expected_error / pmf.sum() * 100)


def score(actual: np.ndarray, predicted: np.ndarray) -> Score:
    observed = ~np.isnan(actual)
    busy = observed & (actual > 0)
    errors = predicted[observed] - actual[observed]
    mape = float(np.mean(np.abs(predicted[busy] - actual[busy]) / actual[busy]) * 100) if busy.any() else float("nan")
    rmse = float(np.sqrt(np.mean(errors**2))) if errors.size else float("nan")
    total = actual[observed].sum()
    wape = float(np.abs(errors).sum() / total * 100) if total > 0 else float("nan")
    days = int(np.any(observed, axis=1).sum()) if actual.ndim == 2 else 0
    return Score(mape, rmse, wape, int(busy.sum()), days, poisson_floor_mape(predicted[observed]))


@dataclass(frozen=True)
class Backtest:
    """One-day-ahead forecasts of the last days, per model, against what happened."""

    scores: Mapping[str, Score]
    chosen: str
    actual: pd.DataFrame  # index interval start, column arrivals (NaN: closed)
    predicted: Mapping[str, pd.DataFrame]  # per model, index interval start, column arrivals
    unavailable: Mapping[str, str] = field(default_factory=dict)
    interval: pd.Timedelta = HOUR
    intra_hour: bool = False


@dataclass(frozen=True)
class Forecast:
    """Expected arrivals and AHT per interval; ``open`` False where the center is closed."""

    frame: pd.DataFrame  # index interval start; columns arrivals, aht_s, open
    model: str
    interval: pd.Timedelta
    queue: str
    intra_hour: bool
    selection: Backtest | None = None

    def records(self) -> list[dict[str, object]]:
        out: list[dict[str, object]] = []
        for start, row in self.frame.iterrows():
            aht = row["aht_s"]
            out.append({
                "start": pd.Timestamp(start).isoformat(),
                "arrivals": round(float(row["arrivals"]), 3),
                "aht_s": None if pd.isna(aht) else round(float(aht), 1),
                "open": bool(row["open"]),
            })
        return out


class _Prepared:
    """The history at the forecast interval (and in hours when the hour is split).

    Overrides on past dates describe the history: a holiday left closed is dropped from it and an
    event day is scaled back to a normal day, so neither distorts the models. The actuals a
    backtest scores against stay as they were (a closed holiday is not scored).
    """

    def __init__(self, series: IntervalSeries, interval: pd.Timedelta, intra_hour: bool | None,
                 overrides: Iterable[Override] = ()) -> None:
        if interval < series.interval:
            raise ValueError(f"queue {series.queue}: cannot forecast {format_interval(interval)} "
                             f"intervals from {format_interval(series.interval)} history")
        self.overrides = {override.day: override for override in overrides}
        self.raw = to_grid(resample(series, interval))
        self.grid = _normalise(self.raw, self.overrides)
        splittable = interval < HOUR and HOUR % interval == pd.Timedelta(0)
        if intra_hour is None:
            intra_hour = splittable and series.finer_than(FINE_DATA)
        if intra_hour and not splittable:
            raise ValueError(f"the intra-hour split needs an interval that divides an hour, "
                             f"not {format_interval(interval)}")
        self.intra_hour = intra_hour
        self.hours: DayGrid | None = to_hours(self.grid) if intra_hour else None

    def multipliers(self, dates: Sequence[date]) -> np.ndarray:
        return np.array([self.overrides[day].multiplier if day in self.overrides else 1.0 for day in dates])

    def arrivals(self, model: str, cutoff: date, dates: Sequence[date]) -> np.ndarray:
        history = self.grid.before(cutoff)
        if not history.open_days().any():
            raise ModelUnavailable("no open day in the history before the forecast")
        function = MODELS[model]
        if self.hours is not None:
            hourly = function(self.hours.before(cutoff), dates)
            predicted = split_hours(hourly, learn_shape(history))
        else:
            predicted = function(history, dates)
        scaled = predicted * self.open_mask(history, dates) * self.multipliers(dates)[:, None]
        return np.asarray(scaled, dtype=float)

    def open_mask(self, history: DayGrid, dates: Sequence[date]) -> np.ndarray:
        mask = open_slots(history)
        return np.stack([mask[day.weekday()] for day in dates]) if dates else np.zeros((0, history.slots), bool)

    def actual(self, dates: Sequence[date]) -> np.ndarray:
        out = np.full((len(dates), self.raw.slots), np.nan)
        for position, day in enumerate(dates):
            row = self.raw.row(day)
            override = self.overrides.get(day)
            if row is not None and not (override is not None and override.closed):
                out[position] = self.raw.arrivals[row]
        return out

    def frame(self, dates: Sequence[date], values: np.ndarray) -> pd.DataFrame:
        starts = _starts(dates, self.grid.interval)
        return pd.DataFrame({"arrivals": values.ravel()}, index=starts)


def _normalise(grid: DayGrid, overrides: Mapping[date, Override]) -> DayGrid:
    arrivals, handled, handle_sum = grid.arrivals.copy(), grid.handled.copy(), grid.handle_sum.copy()
    for day, override in overrides.items():
        row = grid.row(day)
        if row is None:
            continue
        if override.closed:
            arrivals[row] = handled[row] = handle_sum[row] = np.nan
        else:
            for values in (arrivals, handled, handle_sum):
                values[row] = values[row] / override.multiplier
    return DayGrid(grid.days, grid.interval, arrivals, handled, handle_sum)


def _starts(dates: Sequence[date], interval: pd.Timedelta) -> pd.DatetimeIndex:
    slots = int(DAY / interval)
    offsets = np.arange(slots) * interval
    return pd.DatetimeIndex([pd.Timestamp(day) + offset for day in dates for offset in offsets], name="start")


def _backtest(prepared: _Prepared, days: int, models: Sequence[str], progress: Progress | None) -> Backtest:
    grid = prepared.grid
    if days < 1:
        raise ValueError("the backtest needs at least one day")
    if len(grid) <= days:
        raise ValueError(f"history has {len(grid)} days; a {days}-day backtest needs more")
    origins = [day.date() for day in grid.days[-days:]]
    actual = prepared.actual(origins)
    scores: dict[str, Score] = {}
    predicted: dict[str, pd.DataFrame] = {}
    unavailable: dict[str, str] = {}
    for name in models:
        rows = []
        try:
            for origin in origins:
                rows.append(prepared.arrivals(name, origin, [origin])[0])
                if progress:
                    progress(1)
        except ModelUnavailable as exc:
            unavailable[name] = str(exc)
            if progress:
                progress(len(origins) - len(rows))
            continue
        values = np.stack(rows)
        scores[name] = score(actual, values)
        predicted[name] = prepared.frame(origins, values)
    if not scores:
        raise ValueError("no model could be backtested: " + "; ".join(f"{k}: {v}" for k, v in unavailable.items()))
    chosen = min(scores, key=lambda name: (np.nan_to_num(scores[name].mape, nan=np.inf), models.index(name)))
    return Backtest(scores, chosen, prepared.frame(origins, actual), predicted, unavailable,
                    grid.interval, prepared.intra_hour)


def backtest_series(
    series: IntervalSeries,
    interval: pd.Timedelta,
    days: int,
    models: Sequence[str] | None = None,
    intra_hour: bool | None = None,
    progress: Progress | None = None,
    overrides: Iterable[Override] = (),
) -> Backtest:
    """Forecast each of the last ``days`` days one day ahead from the history before it, per model.

    ``progress`` is called with the number of model-days finished (``len(models) * days`` in all).
    ``overrides`` on past dates mark the holidays and events the history holds.
    """
    names = _check_models(models)
    return _backtest(_Prepared(series, interval, intra_hour, overrides), days, names, progress)


def _check_models(models: Sequence[str] | None) -> list[str]:
    names = list(models or MODELS)
    unknown = [name for name in names if name not in MODELS]
    if unknown:
        raise ValueError(f"unknown model {', '.join(unknown)} (models: {', '.join(MODELS)})")
    return names


def forecast_series(
    series: IntervalSeries,
    interval: pd.Timedelta,
    horizon_days: int,
    *,
    model: str = "auto",
    start: date | None = None,
    overrides: Iterable[Override] = (),
    select_days: int = 7,
    models: Sequence[str] | None = None,
    intra_hour: bool | None = None,
    progress: Progress | None = None,
) -> Forecast:
    """Arrivals and AHT for ``horizon_days`` days from ``start`` (default: the day after the history).

    ``model`` "auto" backtests ``models`` over the last ``select_days`` days and keeps the best.
    ``overrides`` close or scale forecast days, and on past dates say which days of the history
    were holidays or events.
    """
    if horizon_days < 1:
        raise ValueError("the horizon must be at least one day")
    overrides = list(overrides)
    prepared = _Prepared(series, interval, intra_hour, overrides)
    last = prepared.grid.last_date()
    first = start or last + timedelta(days=1)
    if first <= last:
        raise ValueError(f"the forecast must start after the history, which ends {last.isoformat()}")
    dates = [first + timedelta(days=offset) for offset in range(horizon_days)]
    selection: Backtest | None = None
    if model == "auto":
        names = _check_models(models)
        if len(prepared.grid) > 1:
            selection = _backtest(prepared, min(select_days, len(prepared.grid) - 1), names, progress)
            model = selection.chosen
        else:  # a single day of history: nothing to compare on, the plainest model
            model = SIMPLE_MODELS[0]
    else:
        _check_models([model])
    cutoff = last + timedelta(days=1)
    arrivals = prepared.arrivals(model, cutoff, dates)
    history = prepared.grid.before(cutoff)
    is_open = prepared.open_mask(history, dates)
    aht = forecast_aht(history, dates)
    is_open &= prepared.multipliers(dates)[:, None] > 0
    aht = np.where(is_open, aht, np.nan)
    frame = pd.DataFrame(
        {"arrivals": arrivals.ravel(), "aht_s": aht.ravel(), "open": is_open.ravel()},
        index=_starts(dates, prepared.grid.interval),
    )
    return Forecast(frame, model, prepared.grid.interval, series.queue, prepared.intra_hour, selection)
