"""Average handle time per interval: a handled-weighted weekday × interval mean.

Handle time moves slowly and is noisy per call, so there is no model contest here: each interval
takes the recent same-weekday, same-interval mean, pulled toward that weekday's all-day mean with
the weight of ``prior_calls`` calls so a quiet interval does not carry one long call forward.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import numpy as np

from helpline.wfm.forecasting.daygrid import DayGrid


def forecast_aht(history: DayGrid, dates: Sequence[date], weeks: int = 6, prior_calls: float = 10.0) -> np.ndarray:
    """(len(dates), slots) AHT in seconds; NaN when the history has no handle times."""
    handled = np.nan_to_num(history.handled, nan=0.0)
    handle_sum = np.nan_to_num(history.handle_sum, nan=0.0)
    out = np.full((len(dates), history.slots), np.nan)
    if handled.sum() == 0:
        return out
    overall = handle_sum.sum() / handled.sum()
    for position, day in enumerate(dates):
        rows = np.flatnonzero(history.weekdays == day.weekday())[-weeks:]
        calls = handled[rows].sum(axis=0)
        seconds = handle_sum[rows].sum(axis=0)
        day_mean = seconds.sum() / calls.sum() if calls.sum() > 0 else overall
        out[position] = (seconds + prior_calls * day_mean) / (calls + prior_calls)
    return out
