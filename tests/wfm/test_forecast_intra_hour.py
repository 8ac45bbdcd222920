"""The shape within the hour: forecast whole hours, then split them by the learned shares."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpline.wfm.forecasting import forecast_series
from helpline.wfm.forecasting.daygrid import to_grid
from helpline.wfm.forecasting.intra_hour import learn_shape, split_hours
from helpline.wfm.history import IntervalSeries, resample

FIVE = pd.Timedelta(minutes=5)
QUARTER = pd.Timedelta(minutes=15)
START = pd.Timestamp("2024-01-01")  # a Monday
# 40% of an hour's calls in its first 15 minutes: 8 + 8 + 8 of 60, then 4 a slot
FIVE_MINUTE_SHAPE = np.array([8.0] * 3 + [4.0] * 9)


def five_minute_history(weeks: int = 3) -> IntervalSeries:
    index, values = [], []
    for day in range(weeks * 7):
        stamp = START + pd.Timedelta(days=day)
        if stamp.weekday() >= 5:
            continue
        for hour in range(8, 18):
            for slot, count in enumerate(FIVE_MINUTE_SHAPE):
                index.append(stamp + pd.Timedelta(hours=hour) + slot * FIVE)
                values.append(count)
    arrivals = np.array(values)
    frame = pd.DataFrame({"arrivals": arrivals, "handled": arrivals, "aht_s": 200.0},
                         index=pd.DatetimeIndex(index, name="start"))
    return IntervalSeries(frame, FIVE, "support", resolution=FIVE)


def test_quarter_hours_keep_the_forty_percent_first_quarter() -> None:
    forecast = forecast_series(five_minute_history(), QUARTER, horizon_days=1, model="weekday_average",
                               start=(START + pd.Timedelta(weeks=3)).date())
    assert forecast.intra_hour
    arrivals = forecast.frame["arrivals"].to_numpy().reshape(24, 4)
    assert arrivals[8:18].sum(axis=1) == pytest.approx([60.0] * 10)
    assert arrivals[8:18, 0] / 60 == pytest.approx([0.4] * 10)
    assert arrivals[8:18, 1:] == pytest.approx(np.full((10, 3), 12.0))
    assert arrivals[:8].sum() == 0 and arrivals[18:].sum() == 0


def test_quarter_hour_history_is_forecast_directly() -> None:
    quarters = resample(five_minute_history(), QUARTER)
    quarters = IntervalSeries(quarters.frame, QUARTER, "support", resolution=QUARTER)
    forecast = forecast_series(quarters, QUARTER, horizon_days=1, model="weekday_average",
                               start=(START + pd.Timedelta(weeks=3)).date())
    assert not forecast.intra_hour
    assert forecast.frame["arrivals"].iloc[8 * 4] == pytest.approx(24.0)


def test_a_quiet_hour_borrows_the_common_shape() -> None:
    grid = to_grid(five_minute_history(weeks=1))
    quiet = grid.arrivals.copy()
    quiet[0, 7 * 12:8 * 12] = 0.0
    quiet[0, 7 * 12 + 11] = 2.0  # two calls at 7:55 on one day
    shape = learn_shape(type(grid)(grid.days, grid.interval, quiet, grid.handled, grid.handle_sum),
                        prior_calls=50)
    assert shape.shape == (24, 12)
    assert shape.sum(axis=1) == pytest.approx(np.ones(24))
    assert shape[9] == pytest.approx(FIVE_MINUTE_SHAPE / 60, rel=0.01)
    assert shape[7, 11] < 0.15  # two calls do not make 7:55 the whole hour
    assert shape[3] == pytest.approx(FIVE_MINUTE_SHAPE / 60, rel=0.01)  # no calls at all: the common shape


def test_split_keeps_the_hour_total() -> None:
    hourly = np.arange(48, dtype=float).reshape(2, 24)
    shape = np.tile([0.4, 0.2, 0.2, 0.2], (24, 1))
    split = split_hours(hourly, shape)
    assert split.shape == (2, 96)
    assert split.reshape(2, 24, 4).sum(axis=2) == pytest.approx(hourly)


def test_the_split_needs_an_interval_that_divides_the_hour() -> None:
    with pytest.raises(ValueError, match="divides an hour"):
        forecast_series(five_minute_history(weeks=1), pd.Timedelta(hours=2), horizon_days=1,
                        model="weekday_average", intra_hour=True)
