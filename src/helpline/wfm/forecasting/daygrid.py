"""Interval history as a day × slot matrix, the shape every forecasting model works on.

Rows are consecutive calendar days, columns the intervals of a day from midnight. A NaN row or
cell is a closed interval (no data); a zero is an open, quiet one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from helpline.wfm.history import DAY, IntervalSeries


@dataclass(frozen=True)
class DayGrid:
    """Arrivals, handled calls and handle-time sums per day (rows) and interval (columns)."""

    days: pd.DatetimeIndex
    interval: pd.Timedelta
    arrivals: np.ndarray
    handled: np.ndarray
    handle_sum: np.ndarray

    @property
    def slots(self) -> int:
        return int(DAY / self.interval)

    @property
    def weekdays(self) -> np.ndarray:
        return np.asarray(self.days.weekday)

    def __len__(self) -> int:
        return len(self.days)

    def before(self, cutoff: date) -> DayGrid:
        """The days strictly before ``cutoff``."""
        keep = int(np.searchsorted(self.days.values, np.datetime64(pd.Timestamp(cutoff)), side="left"))
        return DayGrid(self.days[:keep], self.interval, self.arrivals[:keep], self.handled[:keep],
                       self.handle_sum[:keep])

    def row(self, day: date) -> int | None:
        stamp = pd.Timestamp(day)
        position = int(np.searchsorted(self.days.values, np.datetime64(stamp)))
        if position < len(self.days) and self.days[position] == stamp:
            return position
        return None

    def open_days(self) -> np.ndarray:
        """Rows with any traffic: a day with no arrivals at all was closed (or a holiday)."""
        totals = np.nansum(self.arrivals, axis=1)
        return np.asarray(totals > 0, dtype=bool)

    def last_date(self) -> date:
        last: date = self.days[-1].date()
        return last


def to_grid(series: IntervalSeries) -> DayGrid:
    frame = series.frame
    if frame.empty:
        raise ValueError(f"queue {series.queue}: the history is empty")
    index = pd.DatetimeIndex(frame.index)
    floor = index.floor(series.interval)
    if not (floor == index).all():
        raise ValueError(f"queue {series.queue}: interval starts must sit on a "
                         f"{series.interval} grid counted from midnight")
    day = index.normalize()
    days = pd.date_range(day.min(), day.max(), freq="D")
    rows = np.asarray((day - days[0]) // DAY, dtype=int)
    cols = np.asarray((index - day) // series.interval, dtype=int)
    slots = int(DAY / series.interval)
    shape = (len(days), slots)
    arrivals = np.full(shape, np.nan)
    handled = np.full(shape, np.nan)
    handle_sum = np.full(shape, np.nan)
    arrivals[rows, cols] = frame["arrivals"].to_numpy(dtype=float)
    handled_values = frame["handled"].to_numpy(dtype=float)
    aht = frame["aht_s"].to_numpy(dtype=float)
    handled[rows, cols] = np.where(np.isnan(aht), 0.0, handled_values)
    handle_sum[rows, cols] = np.where(np.isnan(aht), 0.0, aht * handled_values)
    return DayGrid(days, series.interval, arrivals, handled, handle_sum)


def to_hours(grid: DayGrid) -> DayGrid:
    """Add sub-hour slots up into hours (an hour with any open slot is open)."""
    per_hour = int(pd.Timedelta(hours=1) / grid.interval)

    def fold(values: np.ndarray) -> np.ndarray:
        shaped = values.reshape(len(grid), 24, per_hour)
        summed = np.nansum(shaped, axis=2)
        summed[np.all(np.isnan(shaped), axis=2)] = np.nan
        return np.asarray(summed, dtype=float)

    return DayGrid(grid.days, pd.Timedelta(hours=1), fold(grid.arrivals), fold(grid.handled),
                   fold(grid.handle_sum))


def open_slots(grid: DayGrid, weeks: int = 8) -> np.ndarray:
    """(7, slots) mask: weekday × interval seen with arrivals in the last ``weeks`` weeks."""
    recent = grid.days >= grid.days[-1] - pd.Timedelta(weeks=weeks) + DAY if len(grid) else []
    mask = np.zeros((7, grid.slots), dtype=bool)
    values = grid.arrivals[recent]
    weekdays = grid.weekdays[recent]
    for weekday in range(7):
        rows = values[weekdays == weekday]
        if rows.size:
            mask[weekday] = np.nan_to_num(rows, nan=0.0).max(axis=0) > 0
    return mask
