"""The statsforecast models (AutoETS on daily totals, MSTL) on a small series.

statsforecast is slow to load, so everything here shares one small backtest.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
import pytest
from test_forecast import HOUR, MONDAY, rate, weeks_of

from helpline.wfm.forecasting import Backtest, backtest_series, forecast_series
from helpline.wfm.forecasting.daygrid import to_grid
from helpline.wfm.forecasting.statistical import ets_daily, mstl
from helpline.wfm.history import IntervalSeries

pytest.importorskip("statsforecast")


@pytest.fixture(scope="module")
def series() -> IntervalSeries:
    return weeks_of(3, noise=7)


@pytest.fixture(scope="module")
def backtest(series: IntervalSeries) -> Backtest:
    return backtest_series(series, HOUR, days=2, models=["weekday_average", "ets_daily", "mstl"])


def test_statistical_models_follow_the_weekly_pattern(series: IntervalSeries) -> None:
    grid = to_grid(series)
    monday = MONDAY + timedelta(weeks=3)
    truth = np.array([rate(monday, hour) for hour in range(24)])
    for model in (ets_daily, mstl):
        # the history ends on Saturday: Monday is two days ahead
        predicted = model(grid, [monday])[0]
        assert predicted.min() >= 0
        assert predicted.sum() == pytest.approx(truth.sum(), rel=0.2), model.__name__
        assert predicted[8:18].sum() > 0.9 * predicted.sum(), model.__name__


def test_statistical_models_enter_the_backtest(backtest: Backtest) -> None:
    assert set(backtest.scores) == {"weekday_average", "ets_daily", "mstl"}
    for name, result in backtest.scores.items():
        assert result.mape < 40, name
    assert backtest.chosen in backtest.scores


def test_too_short_a_history_leaves_the_model_out() -> None:
    short = weeks_of(2)
    result = backtest_series(short, HOUR, days=2, models=["weekday_average", "ets_daily"])
    assert "ets_daily" in result.unavailable and "14 days" in result.unavailable["ets_daily"]
    assert result.chosen == "weekday_average"
    forecast = forecast_series(weeks_of(3), HOUR, horizon_days=1, model="mstl",
                               start=MONDAY + timedelta(weeks=3))
    assert not forecast.frame.loc[forecast.frame.index.hour < 8, "open"].any()
    assert isinstance(forecast.frame.index, pd.DatetimeIndex)
