"""The shape of arrivals within the hour.

Callers bunch up: on many lines a good share of an hour's calls land in its first quarter, after
a top-of-the-hour broadcast or as a shift of customers starts work. Forecasting at the hour and
splitting by the learned shares keeps that pattern and is steadier than forecasting each small
interval on its own.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpline.wfm.forecasting.daygrid import DayGrid

HOUR = pd.Timedelta(hours=1)


def learn_shape(fine: DayGrid, weeks: int = 8, prior_calls: float = 50.0) -> np.ndarray:
    """(24, k) shares of each hour's arrivals in its k sub-intervals; each row adds up to one.

    Each hour of day gets its own shares, pulled toward the shape pooled over all hours with the
    weight of ``prior_calls`` calls, so a quiet hour borrows the common pattern instead of noise.
    With no calls at all the split is even.
    """
    per_hour = int(HOUR / fine.interval)
    if per_hour < 1 or HOUR % fine.interval != pd.Timedelta(0):
        raise ValueError(f"interval {fine.interval} does not split an hour evenly")
    values = np.nan_to_num(fine.arrivals[-weeks * 7:], nan=0.0)
    counts = values.reshape(-1, 24, per_hour).sum(axis=0)
    pooled = counts.sum(axis=0)
    if pooled.sum() == 0:
        return np.full((24, per_hour), 1.0 / per_hour)
    pooled_share = pooled / pooled.sum()
    shape = (counts + prior_calls * pooled_share) / (counts.sum(axis=1, keepdims=True) + prior_calls)
    return np.asarray(shape / shape.sum(axis=1, keepdims=True))


def split_hours(hourly: np.ndarray, shape: np.ndarray) -> np.ndarray:
    """(n, 24) hourly arrivals × (24, k) shares -> (n, 24·k) arrivals per sub-interval."""
    return np.asarray((hourly[:, :, None] * shape[None, :, :]).reshape(hourly.shape[0], -1), dtype=float)
