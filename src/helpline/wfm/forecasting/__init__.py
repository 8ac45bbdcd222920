"""Forecasting arrivals and handle time per interval (pure: series in, forecast out)."""

from __future__ import annotations

from helpline.wfm.forecasting.forecaster import (
    MODELS,
    SIMPLE_MODELS,
    Backtest,
    Forecast,
    Override,
    Score,
    backtest_series,
    forecast_series,
    parse_override,
    poisson_floor_mape,
    score,
)

__all__ = [
    "MODELS",
    "SIMPLE_MODELS",
    "Backtest",
    "Forecast",
    "Override",
    "Score",
    "backtest_series",
    "forecast_series",
    "parse_override",
    "poisson_floor_mape",
    "score",
]
