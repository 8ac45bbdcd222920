"""Simple, explainable arrival models on a :class:`DayGrid`.

Each model takes the history (days before the forecast) and the dates to forecast and returns a
(len(dates), slots) array of expected arrivals. Closed days in the history (no traffic at all)
are left out of the averages so a holiday does not drag its weekday down.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

import numpy as np

from helpline.wfm.forecasting.daygrid import DayGrid

ArrivalModel = Callable[[DayGrid, Sequence[date]], np.ndarray]


class ModelUnavailable(ValueError):
    """The history is too short (or too empty) for this model."""


def _same_weekday_rows(history: DayGrid, weekday: int, count: int) -> np.ndarray:
    usable = np.flatnonzero((history.weekdays == weekday) & history.open_days())
    return usable[-count:]


def weekday_average(history: DayGrid, dates: Sequence[date], weeks: int = 5) -> np.ndarray:
    """Each interval: the mean of the same weekday and interval over the last ``weeks`` open weeks."""
    if not history.open_days().any():
        raise ModelUnavailable("no open day in the history")
    out = np.zeros((len(dates), history.slots))
    for position, day in enumerate(dates):
        rows = _same_weekday_rows(history, day.weekday(), weeks)
        if rows.size:
            values = history.arrivals[rows]
            seen = ~np.all(np.isnan(values), axis=0)
            out[position, seen] = np.nanmean(values[:, seen], axis=0)
    return out


def weekday_factors(history: DayGrid, weeks: int) -> np.ndarray:
    """Mean daily total per weekday over the last ``weeks`` weeks, relative to the mean weekday."""
    open_rows = history.open_days()
    totals = np.nansum(history.arrivals, axis=1)
    means = np.full(7, np.nan)
    for weekday in range(7):
        rows = _same_weekday_rows(history, weekday, weeks)
        if rows.size:
            means[weekday] = totals[rows].mean()
    if not open_rows.any() or np.all(np.isnan(means)):
        raise ModelUnavailable("no open day in the history")
    factors = means / np.nanmean(means)
    return np.asarray(np.nan_to_num(factors, nan=0.0), dtype=float)


def weekday_profiles(history: DayGrid, weeks: int) -> np.ndarray:
    """(7, slots) share of each weekday's arrivals per interval over its last ``weeks`` open days."""
    profiles = np.zeros((7, history.slots))
    for weekday in range(7):
        rows = _same_weekday_rows(history, weekday, weeks)
        if rows.size:
            summed = np.nansum(history.arrivals[rows], axis=0)
            if summed.sum() > 0:
                profiles[weekday] = summed / summed.sum()
    return profiles


def level_profile(history: DayGrid, dates: Sequence[date], weeks: int = 8, level_days: int = 7) -> np.ndarray:
    """Daily level × weekday factor × the weekday's intraday profile.

    The level is the mean of the open days among the last ``level_days`` with their weekday factor taken
    out, so a recent rise or fall in volume carries straight into next week; the weekday factors
    and intraday shares come from ``weeks`` weeks, where they are stable.
    """
    factors = weekday_factors(history, weeks)
    totals = np.nansum(history.arrivals, axis=1)
    open_rows = np.flatnonzero(history.open_days())
    recent = open_rows[open_rows >= len(history) - level_days]
    if recent.size == 0:  # closed all last week: the last open days stand in
        recent = open_rows[-level_days:]
    recent_factors = factors[history.weekdays[recent]]
    usable = recent_factors > 0
    if not usable.any():
        raise ModelUnavailable("no open day in the history")
    level = float(np.mean(totals[recent][usable] / recent_factors[usable]))
    profiles = weekday_profiles(history, weeks)
    out = np.zeros((len(dates), history.slots))
    for position, day in enumerate(dates):
        weekday = day.weekday()
        out[position] = level * factors[weekday] * profiles[weekday]
    return out
