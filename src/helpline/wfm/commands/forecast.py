"""``helpline wfm forecast``: arrivals and AHT per interval from interaction history.

History comes from an interval CSV (``--history``: ``timestamp,count[,aht_s]`` at any regular
interval) or from Anonymous Bank call logs (``--bank``, repeatable, ``--service`` to pick a queue).
``--backtest-days K`` forecasts each of the last K days from the days before it and reports the
error per model instead of a forecast. ``--csv`` writes the forecast as interval loads
(``interval_start,queue,arrivals,rate,aht`` with rate in calls per second and AHT in seconds) that
``helpline wfm staff`` reads.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

if TYPE_CHECKING:
    from helpline.wfm.history import IntervalSeries

# pandas, statsforecast and matplotlib load inside the command so ``helpline --help`` stays fast.
DEFAULT_LOG_INTERVAL = "30min"
HistoryOption = Annotated[
    Path | None, typer.Option("--history", help="CSV of timestamp,count[,aht_s] at any regular interval.")
]
BankOption = Annotated[
    list[Path] | None,
    typer.Option("--bank", help="Anonymous Bank call log (tab separated); repeat for several months."),
]
ServiceOption = Annotated[
    str | None, typer.Option("--service", help="Bank service type (queue), e.g. PS; default: all pooled.")
]
IntervalOption = Annotated[
    str | None,
    typer.Option("--interval", help="Forecast interval: 15min, 30min, 1h ... (default: the CSV's own, "
                                    "30min for call logs)."),
]
HorizonOption = Annotated[int, typer.Option("--horizon-days", min=1, help="Days to forecast.")]
StartOption = Annotated[
    str | None, typer.Option("--start", help="First forecast day (YYYY-MM-DD); default: the day after the history.")
]
ModelOption = Annotated[
    str, typer.Option("--model", help="auto (chosen by backtest), weekday_average, level_profile, ets_daily, mstl.")
]
ModelsOption = Annotated[
    str | None, typer.Option("--models", help="Comma-separated models to compare (default: all).")
]
BacktestOption = Annotated[
    int | None,
    typer.Option("--backtest-days", min=1, help="Backtest: forecast each of the last K days one day ahead."),
]
SelectOption = Annotated[
    int, typer.Option("--select-days", min=1, help="Days of backtest behind --model auto.")
]
OverrideOption = Annotated[
    list[str] | None,
    typer.Option("--override", help="DATE=closed or DATE=MULTIPLIER (holidays, events); repeatable. "
                                    "Past dates mark the history's holidays and events."),
]
IntraHourOption = Annotated[
    bool | None,
    typer.Option("--intra-hour/--no-intra-hour",
                 help="Forecast hours and split them by the learned intra-hour shape "
                      "(default: when the interval is under an hour and history is finer than 15 min)."),
]
ChartOption = Annotated[Path | None, typer.Option("--chart", help="Write a chart (.svg or .png).")]
CsvOption = Annotated[Path | None, typer.Option("--csv", help="Write the forecast as interval loads (CSV).")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


def _fail(message: str) -> typer.Exit:
    Console(stderr=True).print(f"[red]error:[/red] {message}", highlight=False, markup=True)
    return typer.Exit(2)


def _number(value: float, digits: int = 2) -> float | None:
    return None if value is None or math.isnan(value) else round(float(value), digits)


@contextmanager
def _progress(total: int, label: str, quiet: bool) -> Iterator[Any]:
    """A Rich bar on stderr (so --json output stays clean); yields an ``advance(n)`` callback."""
    if total <= 0:
        yield None
        return
    console = Console(stderr=True)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True, disable=quiet or not console.is_terminal) as bar:
        task = bar.add_task(label, total=total)
        yield lambda steps: bar.advance(task, steps)


def _load(history: Path | None, bank: Sequence[Path] | None, service: str | None,
          interval: Any, err: Console) -> tuple[IntervalSeries, dict[str, int]]:
    from helpline.wfm.history import aggregate_calls, read_bank_logs, read_interval_csv

    if (history is None) == (not bank):
        raise _fail("give either --history FILE.csv or --bank FILE.txt")
    if history is not None:
        if service:
            raise _fail("--service applies to --bank call logs only")
        return read_interval_csv(history), {}
    assert bank is not None
    log = read_bank_logs(bank)
    if log.skipped:
        err.print(f"{log.source}: {log.skipped_summary()}", highlight=False, markup=False)
    return aggregate_calls(log, interval, service), dict(log.skipped)


def _values(values: Sequence[float]) -> list[float | None]:
    return [None if math.isnan(value) else float(value) for value in values]


def _chart(path: Path, title: str, frame: Any, actual: Any, lines: dict[str, Any]) -> None:
    from helpline.wfm.charts.forecast import plot_forecast

    plot_forecast(
        path,
        starts=[stamp.to_pydatetime() for stamp in frame.index],
        forecast=_values(frame["arrivals"].to_numpy()),
        actual=None if actual is None else _values(actual),
        others={name: _values(values) for name, values in lines.items()},
        title=title,
    )


def _forecast_chart(path: Path, title: str, series: IntervalSeries, step: Any, frame: Any) -> None:
    """The last week of history (actuals) followed by the forecast."""
    import pandas as pd

    from helpline.wfm.charts.forecast import plot_forecast
    from helpline.wfm.history import resample

    recent = resample(series, step).frame["arrivals"]
    recent = recent[recent.index >= recent.index.max().normalize() - pd.Timedelta(days=6)]
    history_index = pd.date_range(recent.index.min().normalize(), frame.index[0] - step, freq=step)
    actual = recent.reindex(history_index)
    starts = [stamp.to_pydatetime() for stamp in history_index.append(frame.index)]
    gap = [math.nan] * len(history_index)
    plot_forecast(
        path,
        starts=starts,
        forecast=_values(gap + list(frame["arrivals"].where(frame["open"]))),
        actual=_values(list(actual.to_numpy()) + [math.nan] * len(frame)),
        title=title,
    )


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``helpline wfm``."""

    @app.command("forecast")
    def forecast_command(
        history: HistoryOption = None,
        bank: BankOption = None,
        service: ServiceOption = None,
        interval: IntervalOption = None,
        horizon_days: HorizonOption = 7,
        start: StartOption = None,
        model: ModelOption = "auto",
        models: ModelsOption = None,
        backtest_days: BacktestOption = None,
        select_days: SelectOption = 7,
        override: OverrideOption = None,
        intra_hour: IntraHourOption = None,
        chart: ChartOption = None,
        csv_out: CsvOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """Forecast arrivals and AHT per interval, or backtest the models (--backtest-days)."""
        from helpline.wfm.forecasting import MODELS, backtest_series, forecast_series, parse_override
        from helpline.wfm.history import HistoryError, format_interval, parse_interval

        err = Console(stderr=True)
        if chart is not None and chart.suffix.lower() not in (".svg", ".png"):
            raise _fail(f"--chart {chart}: the file name must end in .svg or .png")
        try:
            wanted = parse_interval(interval) if interval else None
            chosen = [name.strip() for name in models.split(",")] if models else list(MODELS)
            unknown = [name for name in [*chosen, model] if name not in MODELS and name != "auto"]
            if unknown:
                raise ValueError(f"unknown model {', '.join(unknown)} (models: {', '.join(MODELS)})")
            overrides = [parse_override(text) for text in override or []]
            first = date.fromisoformat(start) if start else None
            series, skipped = _load(history, bank, service, wanted or parse_interval(DEFAULT_LOG_INTERVAL), err)
            step = wanted or series.interval
        except HistoryError as exc:
            raise _fail(str(exc)) from None
        except (ValueError, OSError) as exc:
            raise _fail(str(exc)) from None
        label = f"{series.queue} at {format_interval(step)}"

        if backtest_days is not None:
            names = chosen if model == "auto" else [model]
            try:
                with _progress(len(names) * backtest_days, f"backtest {label}", as_json) as advance:
                    result = backtest_series(series, step, backtest_days, names, intra_hour, advance,
                                             overrides=overrides)
            except ValueError as exc:
                raise _fail(str(exc)) from None
            best = result.scores[result.chosen]
            payload: dict[str, Any] = {
                "queue": series.queue,
                "interval": format_interval(step),
                "days": backtest_days,
                "intra_hour": result.intra_hour,
                "model": result.chosen,
                "mape": _number(best.mape),
                "rmse": _number(best.rmse, 3),
                "wape": _number(best.wape),
                "poisson_floor_mape": _number(best.floor_mape),
                "intervals": best.intervals,
                "models": {
                    name: {"mape": _number(s.mape), "rmse": _number(s.rmse, 3), "wape": _number(s.wape),
                           "poisson_floor_mape": _number(s.floor_mape), "intervals": s.intervals}
                    for name, s in result.scores.items()
                },
                "unavailable": dict(result.unavailable),
            }
            if skipped:
                payload["skipped"] = skipped
            if chart is not None:
                predicted = result.predicted[result.chosen]
                _chart(chart, f"Backtest {label}: {result.chosen}, MAPE {best.mape:.1f}%", predicted,
                       result.actual["arrivals"].to_numpy(),
                       {name: frame["arrivals"].to_numpy() for name, frame in result.predicted.items()
                        if name != result.chosen})
            if as_json:
                print(json.dumps(payload))
                return
            table = Table(title=f"Backtest, {label}, last {backtest_days} days, one day ahead")
            for column in ("model", "MAPE %", "RMSE", "WAPE %", "Poisson floor %", "intervals"):
                table.add_column(column, justify="left" if column == "model" else "right")
            for name, s in sorted(result.scores.items(), key=lambda item: item[1].mape):
                mark = " (chosen)" if name == result.chosen else ""
                table.add_row(name + mark, f"{s.mape:.1f}", f"{s.rmse:.2f}", f"{s.wape:.1f}",
                              f"{s.floor_mape:.1f}", str(s.intervals))
            console = Console()
            console.print(table)
            console.print("MAPE counts intervals with calls; the Poisson floor is the MAPE a perfect rate "
                          "forecast would still show from the randomness of arrivals.", highlight=False)
            for name, reason in result.unavailable.items():
                err.print(f"{name} left out: {reason}", highlight=False, markup=False)
            return

        try:
            with _progress(len(chosen) * select_days if model == "auto" else 0,
                           f"choosing a model for {label}", as_json) as advance:
                result_f = forecast_series(
                    series, step, horizon_days, model=model, start=first, overrides=overrides,
                    select_days=select_days, models=chosen, intra_hour=intra_hour, progress=advance,
                )
        except ValueError as exc:
            raise _fail(str(exc)) from None
        frame = result_f.frame
        if csv_out is not None:
            seconds = step.total_seconds()
            with csv_out.open("w", newline="") as handle:
                writer = csv.writer(handle)
                writer.writerow(["interval_start", "queue", "arrivals", "rate", "aht"])
                for stamp, row in frame[frame["open"]].iterrows():
                    aht = row["aht_s"]
                    writer.writerow([stamp.isoformat(), series.queue, f"{row['arrivals']:.3f}",
                                     f"{row['arrivals'] / seconds:.6f}", "" if math.isnan(aht) else f"{aht:.1f}"])
        if chart is not None:
            _forecast_chart(chart, f"Forecast {label}: {result_f.model}", series, step, frame)
        payload = {
            "queue": series.queue,
            "interval": format_interval(step),
            "model": result_f.model,
            "intra_hour": result_f.intra_hour,
            "start": frame.index[0].date().isoformat(),
            "days": horizon_days,
            "total_arrivals": _number(float(frame["arrivals"].sum()), 1),
            "selection": None if result_f.selection is None else {
                name: {"mape": _number(s.mape), "rmse": _number(s.rmse, 3)}
                for name, s in result_f.selection.scores.items()
            },
            "intervals": result_f.records(),
        }
        if skipped:
            payload["skipped"] = skipped
        if as_json:
            print(json.dumps(payload))
            return
        _print_forecast(result_f, label)


def _print_forecast(result: Any, label: str) -> None:
    frame = result.frame
    table = Table(title=f"Forecast, {label}, model {result.model}"
                        + (" (hours split by the intra-hour shape)" if result.intra_hour else ""))
    for column in ("interval", "arrivals", "AHT s"):
        table.add_column(column, justify="right")
    open_rows = frame[frame["open"]]
    for stamp, row in open_rows.iterrows():
        aht = row["aht_s"]
        table.add_row(f"{stamp:%a %Y-%m-%d %H:%M}", f"{row['arrivals']:.1f}", "" if math.isnan(aht) else f"{aht:.0f}")
    console = Console()
    console.print(table)
    closed_days = sorted({stamp.date() for stamp in frame.index} - {stamp.date() for stamp in open_rows.index})
    if closed_days:
        console.print("closed: " + ", ".join(f"{day:%a %Y-%m-%d}" for day in closed_days), highlight=False)
    if result.selection is not None:
        scores = ", ".join(f"{name} {s.mape:.1f}%" for name, s in result.selection.scores.items())
        console.print(f"model chosen by backtest MAPE: {scores}", highlight=False)
