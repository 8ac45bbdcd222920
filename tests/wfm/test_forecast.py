"""Forecasting arrivals and AHT: the simple models, the backtest, closed hours and overrides."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from helpline.wfm.forecasting import (
    Override,
    backtest_series,
    forecast_series,
    parse_override,
    score,
)
from helpline.wfm.forecasting.aht import forecast_aht
from helpline.wfm.forecasting.daygrid import open_slots, to_grid
from helpline.wfm.forecasting.models import level_profile, weekday_average
from helpline.wfm.history import IntervalSeries

HOUR = pd.Timedelta(hours=1)
SIMPLE = ["weekday_average", "level_profile"]
MONDAY = date(2024, 1, 1)


def rate(day: date, hour: int) -> float:
    """Open Monday–Friday 8:00–18:00 and Saturday 9:00–13:00; Mondays busiest, a lunchtime peak."""
    weekday = day.weekday()
    if weekday < 5 and 8 <= hour < 18:
        base = 20.0 if weekday == 0 else 12.0
        return base * (1.5 if hour in (11, 12) else 1.0)
    if weekday == 5 and 9 <= hour < 13:
        return 6.0
    return 0.0


def series_from(rates: dict[pd.Timestamp, float], aht: float | None = 180.0,
                interval: pd.Timedelta = HOUR) -> IntervalSeries:
    """Rows only for open intervals, as a CSV export of an operating day would have them."""
    index = pd.DatetimeIndex(sorted(rates), name="start")
    arrivals = np.array([rates[ts] for ts in index])
    frame = pd.DataFrame({
        "arrivals": arrivals,
        "handled": arrivals if aht is not None else np.zeros_like(arrivals),
        "aht_s": np.where(arrivals > 0, aht if aht is not None else np.nan, np.nan),
    }, index=index)
    return IntervalSeries(frame, interval, "sales", resolution=interval)


def weeks_of(weeks: int, scale: dict[int, float] | None = None, noise: int | None = None) -> IntervalSeries:
    """``weeks`` weeks from a Monday; ``scale`` multiplies whole weeks (week number -> factor)."""
    rng = np.random.default_rng(noise) if noise is not None else None
    rates: dict[pd.Timestamp, float] = {}
    for offset in range(weeks * 7):
        day = MONDAY + timedelta(days=offset)
        factor = (scale or {}).get(offset // 7, 1.0)
        for hour in range(24):
            value = rate(day, hour) * factor
            if value > 0:
                rates[pd.Timestamp(day) + hour * HOUR] = float(rng.poisson(value)) if rng else value
    return series_from(rates)


def test_weekday_average_reproduces_a_steady_week() -> None:
    grid = to_grid(weeks_of(4))
    next_monday = MONDAY + timedelta(weeks=4)
    predicted = weekday_average(grid, [next_monday, next_monday + timedelta(days=5)])
    assert predicted[0, 8] == 20 and predicted[0, 11] == 30 and predicted[0, 7] == 0
    assert predicted[1, 9] == 6 and predicted[1, 14] == 0


def test_level_profile_carries_a_recent_rise_into_next_week() -> None:
    grid = to_grid(weeks_of(6, scale={5: 1.5}))
    tuesday = MONDAY + timedelta(weeks=6, days=1)
    rising = level_profile(grid, [tuesday])[0].sum()
    averaged = weekday_average(grid, [tuesday])[0].sum()
    steady_tuesday = sum(rate(tuesday, hour) for hour in range(24))
    assert rising == pytest.approx(1.5 * steady_tuesday, rel=0.01)
    assert averaged < 1.15 * steady_tuesday


def test_backtest_picks_the_model_that_follows_the_level_shift() -> None:
    series = weeks_of(7, scale={5: 1.5, 6: 1.5}, noise=3)
    calls: list[int] = []
    result = backtest_series(series, HOUR, days=7, models=SIMPLE, progress=calls.append)
    assert sum(calls) == 2 * 7
    assert result.chosen == "level_profile"
    assert result.scores["level_profile"].mape < result.scores["weekday_average"].mape
    assert result.scores["level_profile"].days == 6  # Sunday is closed and has no data
    assert len(result.actual) == 7 * 24
    assert set(result.predicted) == set(SIMPLE)


def test_score_counts_only_intervals_with_arrivals_in_mape() -> None:
    actual = np.array([[10.0, 0.0, np.nan, 20.0]])
    predicted = np.array([[12.0, 1.0, 5.0, 15.0]])
    result = score(actual, predicted)
    assert result.mape == pytest.approx((0.2 + 0.25) / 2 * 100)
    assert result.rmse == pytest.approx(np.sqrt((4 + 1 + 25) / 3))
    assert result.wape == pytest.approx(8 / 30 * 100)
    assert (result.intervals, result.days) == (2, 1)


def test_forecast_stays_closed_where_history_never_opened() -> None:
    # the history's last row is on Saturday: the forecast starts the day after, a (closed) Sunday
    forecast = forecast_series(weeks_of(4), HOUR, horizon_days=8, model="weekday_average")
    frame = forecast.frame
    assert len(frame) == 8 * 24
    assert frame.index[0] == pd.Timestamp(MONDAY + timedelta(weeks=4, days=-1))
    sunday = frame[frame.index.weekday == 6]
    assert not sunday["open"].any() and (sunday["arrivals"] == 0).all() and sunday["aht_s"].isna().all()
    saturday = frame[frame.index.weekday == 5]
    assert saturday["open"].sum() == 4
    assert saturday.loc[~saturday["open"], "arrivals"].eq(0).all()
    open_monday = frame[(frame.index.weekday == 0) & frame["open"]]
    assert list(open_monday.index.hour) == list(range(8, 18))
    assert open_monday["aht_s"].eq(180).all()


def test_auto_model_reports_the_selection() -> None:
    forecast = forecast_series(weeks_of(5, noise=1), HOUR, horizon_days=2, models=SIMPLE)
    assert forecast.selection is not None
    assert forecast.model == forecast.selection.chosen
    assert set(forecast.selection.scores) == set(SIMPLE)
    records = forecast.records()
    assert records[24 + 8]["start"] == "2024-02-05T08:00:00" and records[24 + 8]["open"] is True
    assert records[8]["open"] is False  # Sunday


def test_overrides_close_a_holiday_and_scale_an_event() -> None:
    start = MONDAY + timedelta(weeks=4)
    overrides = [Override(start, 0.0), parse_override(f"{start + timedelta(days=1)}=1.5")]
    forecast = forecast_series(weeks_of(4), HOUR, horizon_days=2, model="weekday_average", start=start,
                               overrides=overrides)
    monday = forecast.frame.loc[str(start)]
    assert not monday["open"].any() and monday["arrivals"].sum() == 0
    tuesday = forecast.frame.loc[str(start + timedelta(days=1))]
    assert tuesday.loc[:, "arrivals"].iloc[9] == pytest.approx(18.0)


@pytest.mark.parametrize(
    ("text", "message"),
    [("2024-12-25", "DATE=closed"), ("25/12/2024=closed", "YYYY-MM-DD"), ("2024-12-25=lots", "neither"),
     ("2024-12-25=-1", "zero or more")],
)
def test_bad_override_is_refused(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_override(text)
    assert parse_override("2024-12-25=closed").closed


def test_closed_day_in_history_does_not_drag_its_weekday_down() -> None:
    series = weeks_of(4)
    holiday = pd.Timestamp(MONDAY + timedelta(weeks=3))
    frame = series.frame[series.frame.index.normalize() != holiday]  # a missing day: closed
    gap = IntervalSeries(frame, HOUR, "sales", HOUR)
    forecast = forecast_series(gap, HOUR, horizon_days=1, model="level_profile", start=holiday.date() + timedelta(weeks=1))
    assert forecast.frame["arrivals"].sum() == pytest.approx(sum(rate(MONDAY, hour) for hour in range(24)))


def test_aht_is_handled_weighted_and_pulled_toward_the_day_mean() -> None:
    index = pd.DatetimeIndex([pd.Timestamp("2024-01-01 09:00"), pd.Timestamp("2024-01-01 10:00")], name="start")
    frame = pd.DataFrame({"arrivals": [90.0, 1.0], "handled": [90.0, 1.0], "aht_s": [200.0, 1100.0]}, index=index)
    grid = to_grid(IntervalSeries(frame, HOUR))
    aht = forecast_aht(grid, [date(2024, 1, 8)])[0]
    day_mean = (90 * 200 + 1100) / 91
    assert aht[9] == pytest.approx((90 * 200 + 10 * day_mean) / 100)
    assert aht[10] == pytest.approx((1100 + 10 * day_mean) / 11)  # one long call does not set the hour
    assert aht[10] < 300


def test_open_slots_follow_the_recent_weeks() -> None:
    mask = open_slots(to_grid(weeks_of(3)))
    assert mask[0, 8] and not mask[0, 7] and not mask[6].any()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"horizon_days": 0}, "horizon"), ({"horizon_days": 1, "start": MONDAY}, "must start after"),
     ({"horizon_days": 1, "model": "prophet"}, "unknown model")],
)
def test_forecast_refuses_bad_requests(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        forecast_series(weeks_of(2), HOUR, **kwargs)  # type: ignore[arg-type]


def test_backtest_needs_more_history_than_days() -> None:
    with pytest.raises(ValueError, match="needs more"):
        backtest_series(weeks_of(1), HOUR, days=7, models=SIMPLE)


def test_cannot_forecast_finer_than_the_history() -> None:
    with pytest.raises(ValueError, match="cannot forecast 30min intervals from 1h history"):
        forecast_series(weeks_of(2), pd.Timedelta(minutes=30), horizon_days=1, model="weekday_average")


def test_past_overrides_keep_holidays_and_events_out_of_the_history() -> None:
    series = weeks_of(4)
    frame = series.frame.copy()
    event = pd.Timestamp(MONDAY + timedelta(weeks=3, days=1))  # last Tuesday: a campaign doubled calls
    holiday = pd.Timestamp(MONDAY + timedelta(weeks=3, days=2))  # last Wednesday: a half-closed holiday
    frame.loc[frame.index.normalize() == event, "arrivals"] *= 2
    frame.loc[(frame.index.normalize() == holiday) & (frame.index.hour >= 12), "arrivals"] = 0.0
    marked = IntervalSeries(frame, HOUR, "sales", HOUR)
    overrides = [Override(event.date(), 2.0), Override(holiday.date(), 0.0)]
    start = MONDAY + timedelta(weeks=4, days=1)
    plain = forecast_series(marked, HOUR, 2, model="weekday_average", start=start, overrides=[])
    cleaned = forecast_series(marked, HOUR, 2, model="weekday_average", start=start, overrides=overrides)
    steady = sum(rate(start, hour) for hour in range(24))
    assert cleaned.frame["arrivals"].sum() == pytest.approx(2 * steady)
    assert plain.frame["arrivals"].sum() != pytest.approx(2 * steady)
    # in a backtest the holiday is not scored, and the event day is forecast with its multiplier
    result = backtest_series(marked, HOUR, days=6, models=["weekday_average"], overrides=overrides)
    assert result.scores["weekday_average"].mape == pytest.approx(0.0)
    assert result.actual.loc[str(holiday.date()), "arrivals"].isna().all()


def test_poisson_floor_matches_a_simulation() -> None:
    from helpline.wfm.forecasting import poisson_floor_mape

    rates = np.array([0.0, 2.0, 10.0, 40.0])
    rng = np.random.default_rng(5)
    draws = rng.poisson(rates[1:], size=(40_000, 3)).astype(float)
    busy = draws > 0
    simulated = (np.abs(draws - rates[1:]) / np.where(busy, draws, 1))[busy].mean() * 100
    assert poisson_floor_mape(rates) == pytest.approx(simulated, rel=0.02)
    assert poisson_floor_mape(np.array([400.0])) < poisson_floor_mape(np.array([4.0]))
    assert np.isnan(poisson_floor_mape(np.zeros(3)))


def test_a_single_day_of_history_still_forecasts() -> None:
    index = pd.date_range("2024-01-01 08:00", periods=10, freq="h", name="start")
    frame = pd.DataFrame({"arrivals": 5.0, "handled": 5.0, "aht_s": 120.0}, index=index)
    forecast = forecast_series(IntervalSeries(frame, HOUR), HOUR, horizon_days=7)
    assert forecast.model == "weekday_average" and forecast.selection is None
    assert forecast.frame["arrivals"].sum() == 50  # only Mondays are known to be open
