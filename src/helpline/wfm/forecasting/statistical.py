"""Arrival models built on statsforecast (imported on first use: it is slow to load).

* ``ets_daily``: AutoETS with a weekly season on the daily totals, spread over the day by the
  weekday's intraday profile. Daily totals are smooth enough for exponential smoothing to find
  the level and trend; closed days are filled with their weekday's mean so they do not read as a
  collapse in demand.
* ``mstl``: multiple seasonal decomposition of the interval series itself (weekly cycle, which
  holds the daily one), fitted on the square root of the counts since arrivals are close to
  Poisson and the root evens out their variance; the trend carries its last value forward.
  Closed intervals count as zero so the series stays contiguous.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import numpy as np

from helpline.wfm.forecasting.daygrid import DayGrid
from helpline.wfm.forecasting.models import ModelUnavailable, weekday_profiles


def _offsets(history: DayGrid, dates: Sequence[date]) -> list[int]:
    last = history.last_date()
    offsets = [(day - last).days for day in dates]
    if offsets and min(offsets) < 1:
        raise ModelUnavailable("forecast dates must follow the history")
    return offsets


def _recent_start(history: DayGrid, weeks: int, minimum_days: int, model: str) -> int:
    open_rows = np.flatnonzero(history.open_days())
    if open_rows.size == 0:
        raise ModelUnavailable("no open day in the history")
    start = max(int(open_rows[0]), len(history) - weeks * 7)
    if len(history) - start < minimum_days:
        raise ModelUnavailable(f"{model} needs at least {minimum_days} days of history")
    return start


def ets_daily(history: DayGrid, dates: Sequence[date], weeks: int = 4, profile_weeks: int = 8) -> np.ndarray:
    from statsforecast.models import AutoETS

    if not dates:
        return np.zeros((0, history.slots))
    offsets = _offsets(history, dates)
    start = _recent_start(history, weeks, 14, "ets_daily")
    totals = np.nansum(history.arrivals[start:], axis=1)
    weekdays = history.weekdays[start:]
    is_open = totals > 0
    for weekday in range(7):
        same = weekdays == weekday
        if (same & is_open).any():
            totals[same & ~is_open] = totals[same & is_open].mean()
    fitted = AutoETS(season_length=7, model="ZZZ").forecast(y=totals.astype(float), h=max(offsets))
    daily = np.clip(np.asarray(fitted["mean"], dtype=float), 0.0, None)
    profiles = weekday_profiles(history, profile_weeks)
    return np.stack([daily[offset - 1] * profiles[day.weekday()] for offset, day in zip(offsets, dates, strict=True)])


def mstl(history: DayGrid, dates: Sequence[date], weeks: int = 4) -> np.ndarray:
    from statsforecast.models import MSTL, Naive

    if not dates:
        return np.zeros((0, history.slots))
    offsets = _offsets(history, dates)
    start = _recent_start(history, weeks, 3, "mstl")
    days = len(history) - start
    values = np.nan_to_num(history.arrivals[start:], nan=0.0).ravel()
    season = history.slots * 7 if days >= 14 else history.slots
    model = MSTL(season_length=[season], trend_forecaster=Naive())
    predicted = np.asarray(model.forecast(y=np.sqrt(values), h=max(offsets) * history.slots)["mean"], dtype=float)
    per_day = (np.clip(predicted, 0.0, None) ** 2).reshape(max(offsets), history.slots)
    return np.stack([per_day[offset - 1] for offset in offsets])
