"""Interaction history: one importer for forecasts and historical reports.

Two inputs end in the same two shapes:

* interval counts (CSV ``timestamp,count[,aht_s]`` at any regular interval) become an
  :class:`IntervalSeries`;
* call-by-call logs (the Anonymous Bank 1999 format: tab separated, one row a call) become a
  :class:`CallLog`, which :func:`aggregate_calls` turns into one :class:`IntervalSeries` per queue.

An interval series holds rows only for intervals the history shows: a missing row is a closed
interval (night, weekend, holiday), a row with zero arrivals was open and quiet. Forecasts rely on
that difference, so the call-log aggregation writes every interval of a day that has any traffic
and none for a day with none.

In the bank log a call is offered when it enters the agents' queue (or, served without waiting,
when it leaves the voice menu); calls that hang up in the voice menu are kept as records but are
not offered. Its handle time is the service time: the log records no wrap-up.

The parsers take lines and return data (no file access); ``read_*`` wrap them for files.
Timestamps are naive wall-clock times of the contact center: a time zone offset in a CSV is
dropped, keeping the local reading, because staffing follows the local clock.
"""

from __future__ import annotations

import csv
import math
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from pathlib import Path
from typing import TypeVar

import numpy as np
import pandas as pd

_T = TypeVar("_T")
DAY = pd.Timedelta(days=1)
BANK_FIELDS = (
    "vru+line", "call_id", "customer_id", "priority", "type", "date", "vru_entry", "vru_exit",
    "vru_time", "q_start", "q_exit", "q_time", "outcome", "ser_start", "ser_exit", "ser_time", "server",
)
BANK_SERVICES = {
    "PS": "regular activity",
    "PE": "regular activity in English",
    "IN": "internet consulting",
    "NE": "stock exchange activity",
    "NW": "prospective customer information",
    "TT": "callback put on hold",
}
_NO_QUEUE = "0:00:00"


class HistoryError(ValueError):
    """Input refused: names the source, the line (1-based, header included) and the field."""

    def __init__(self, source: str, line: int | None, reason: str, field: str | None = None) -> None:
        self.source = source
        self.line = line
        self.field = field
        self.reason = reason
        where = source if line is None else f"{source}:{line}"
        what = f"{field}: {reason}" if field else reason
        super().__init__(f"{where}: {what}")


class Outcome(StrEnum):
    HANDLED = "handled"
    ABANDONED = "abandoned"  # left the queue before an agent answered
    LEFT_IN_IVR = "left_in_ivr"  # hung up in the voice menu, never offered to agents


@dataclass(frozen=True, slots=True)
class CallRecord:
    """One call as the history knows it; ``offered_at`` is None for calls that never reached agents."""

    line: int
    arrival: datetime
    offered_at: datetime | None
    queue: str
    priority: int
    queued: bool
    wait_s: float | None
    outcome: Outcome
    handle_s: float | None
    agent: str | None
    customer_id: str | None


CALL_COLUMNS = (
    "line", "arrival", "offered_at", "queue", "priority", "queued", "wait_s", "outcome", "handle_s",
    "agent", "customer_id",
)


@dataclass(frozen=True)
class CallLog:
    """Per-call history: a frame with :data:`CALL_COLUMNS`, plus the rows left out and why."""

    calls: pd.DataFrame
    skipped: Mapping[str, int] = field(default_factory=dict)
    source: str = "<calls>"

    def __len__(self) -> int:
        return len(self.calls)

    def queues(self) -> list[str]:
        return sorted(self.calls["queue"].unique().tolist())

    def for_queue(self, queue: str | Iterable[str]) -> CallLog:
        wanted = [queue] if isinstance(queue, str) else list(queue)
        unknown = sorted(set(wanted) - set(self.queues()))
        if unknown:
            raise HistoryError(self.source, None, f"no calls for queue {', '.join(unknown)} "
                               f"(queues present: {', '.join(self.queues())})", "queue")
        return CallLog(self.calls[self.calls["queue"].isin(wanted)], self.skipped, self.source)

    def records(self) -> Iterator[CallRecord]:
        for row in self.calls.itertuples(index=False):
            yield CallRecord(
                line=int(row.line),
                arrival=row.arrival.to_pydatetime(),
                offered_at=None if pd.isna(row.offered_at) else row.offered_at.to_pydatetime(),
                queue=str(row.queue),
                priority=int(row.priority),
                queued=bool(row.queued),
                wait_s=None if pd.isna(row.wait_s) else float(row.wait_s),
                outcome=Outcome(row.outcome),
                handle_s=None if pd.isna(row.handle_s) else float(row.handle_s),
                agent=None if row.agent is None or pd.isna(row.agent) else str(row.agent),
                customer_id=None if row.customer_id is None or pd.isna(row.customer_id) else str(row.customer_id),
            )

    def skipped_summary(self) -> str:
        if not self.skipped:
            return "no rows skipped"
        parts = [f"{count} {reason}" for reason, count in sorted(self.skipped.items())]
        return f"{sum(self.skipped.values())} rows skipped: " + "; ".join(parts)


@dataclass(frozen=True)
class IntervalSeries:
    """Arrivals and handle time per interval for one queue.

    ``frame`` is indexed by interval start (naive timestamps on a grid of ``interval``) with columns
    ``arrivals``, ``handled`` and ``aht_s`` (NaN where nothing was handled or it is unknown).
    ``resolution`` is the finest interval the data came from (None for call-by-call data).
    """

    frame: pd.DataFrame
    interval: pd.Timedelta
    queue: str = "all"
    resolution: pd.Timedelta | None = None

    @property
    def slots_per_day(self) -> int:
        return int(DAY / self.interval)

    def dates(self) -> list[date]:
        return sorted({ts.date() for ts in self.frame.index})

    def finer_than(self, limit: pd.Timedelta) -> bool:
        return self.resolution is None or self.resolution < limit


# --------------------------------------------------------------------------------------------
# Intervals


def parse_interval(text: str) -> pd.Timedelta:
    """``15min``, ``30m``, ``1h``, ``900s``, ``1d`` -> Timedelta; must divide a day evenly."""
    raw = text.strip().lower()
    units = {"min": "min", "m": "min", "h": "h", "hour": "h", "s": "s", "sec": "s", "d": "D"}
    number = raw.rstrip("abcdefghijklmnopqrstuvwxyz")
    unit = raw[len(number):] or "min"
    if unit not in units or not number:
        raise ValueError(f"interval {text!r}: expected a number and a unit such as 15min, 30min, 1h")
    try:
        value = float(number)
    except ValueError:
        raise ValueError(f"interval {text!r}: expected a number and a unit such as 15min, 30min, 1h") from None
    interval = pd.Timedelta(value, unit=units[unit])
    check_interval(interval, text)
    return interval


def check_interval(interval: pd.Timedelta, label: str | None = None) -> None:
    name = label or format_interval(interval)
    if interval <= pd.Timedelta(0) or interval > DAY:
        raise ValueError(f"interval {name}: must be positive and at most a day")
    if DAY % interval != pd.Timedelta(0):
        raise ValueError(f"interval {name}: must divide a day evenly (e.g. 5min, 15min, 30min, 1h)")


def format_interval(interval: pd.Timedelta) -> str:
    seconds = int(interval.total_seconds())
    if seconds % 3600 == 0:
        return f"{seconds // 3600}h"
    if seconds % 60 == 0:
        return f"{seconds // 60}min"
    return f"{seconds}s"


# --------------------------------------------------------------------------------------------
# CSV interval counts


def _parse_timestamp(text: str) -> datetime:
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return value.replace(tzinfo=None)


def _parse_number(text: str, source: str, line: int, name: str, *, required: bool) -> float:
    raw = text.strip()
    if not raw:
        if required:
            raise HistoryError(source, line, "missing value", name)
        return math.nan
    try:
        value = float(raw)
    except ValueError:
        raise HistoryError(source, line, f"{raw!r} is not a number", name) from None
    if not math.isfinite(value):
        raise HistoryError(source, line, f"{raw!r} is not a finite number", name)
    if value < 0:
        raise HistoryError(source, line, f"negative value {raw}", name)
    return value


def parse_interval_csv(lines: Iterable[str], source: str = "<csv>", queue: str = "all") -> IntervalSeries:
    """Read ``timestamp,count[,aht_s]`` rows (header optional) into an :class:`IntervalSeries`.

    The interval is the most common step between rows. Every timestamp must sit on that grid
    (whole missing intervals or days are closed hours and fine); rows must be in time order.
    """
    stamps: list[datetime] = []
    counts: list[float] = []
    ahts: list[float] = []
    line_of: list[int] = []
    columns = {"timestamp": 0, "count": 1, "aht_s": 2}
    first_row = True
    for number, row in enumerate(csv.reader(lines), start=1):
        if not row or all(not cell.strip() for cell in row):
            continue
        cells = [cell.strip() for cell in row]
        header = first_row and cells[0].lower() in ("timestamp", "time", "start")
        first_row = False
        if header:
            names = [cell.lower() for cell in cells]
            if "count" not in names:
                raise HistoryError(source, number, "header needs a 'count' column", "header")
            columns = {"timestamp": 0, "count": names.index("count"),
                       "aht_s": names.index("aht_s") if "aht_s" in names else -1}
            continue
        if len(cells) < 2:
            raise HistoryError(source, number, f"expected timestamp,count[,aht_s], got {len(cells)} field(s)")
        try:
            stamp = _parse_timestamp(cells[columns["timestamp"]])
        except ValueError:
            raise HistoryError(source, number, f"{cells[columns['timestamp']]!r} is not an ISO date-time",
                               "timestamp") from None
        count = _parse_number(cells[columns["count"]], source, number, "count", required=True)
        aht_col = columns["aht_s"]
        aht = (_parse_number(cells[aht_col], source, number, "aht_s", required=False)
               if 0 <= aht_col < len(cells) else math.nan)
        if stamps and stamp <= stamps[-1]:
            what = "repeats" if stamp == stamps[-1] else "goes back before"
            raise HistoryError(source, number, f"{stamp.isoformat()} {what} the previous row "
                               f"({stamps[-1].isoformat()}); rows must be in time order", "timestamp")
        stamps.append(stamp)
        counts.append(count)
        ahts.append(aht)
        line_of.append(number)
    if len(stamps) < 2:
        raise HistoryError(source, None, "need at least two rows to tell the interval")
    index = pd.DatetimeIndex(stamps)
    steps = index[1:] - index[:-1]
    interval = pd.Series(steps).mode().min()
    try:
        check_interval(interval)
    except ValueError as exc:
        raise HistoryError(source, None, f"detected {exc}") from None
    offsets = (index - index[0]) % interval
    off_grid = np.flatnonzero(offsets != pd.Timedelta(0))
    if off_grid.size:
        first = int(off_grid[0])
        raise HistoryError(source, line_of[first], f"{stamps[first].isoformat()} is off the "
                           f"{format_interval(interval)} grid that starts at {stamps[0].isoformat()}",
                           "timestamp")
    counts_arr = np.asarray(counts)
    aht_arr = np.asarray(ahts)
    handled = np.where(np.isnan(aht_arr), 0.0, counts_arr)
    frame = pd.DataFrame({"arrivals": counts_arr, "handled": handled, "aht_s": aht_arr},
                         index=pd.DatetimeIndex(index, name="start"))
    return IntervalSeries(frame, interval, queue, resolution=interval)


def read_interval_csv(path: Path | str, queue: str = "all") -> IntervalSeries:
    path = Path(path)
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return parse_interval_csv(handle, str(path), queue)


# --------------------------------------------------------------------------------------------
# Anonymous Bank call log


def _field(row: Mapping[str, str], name: str, parse: Callable[[str], _T], source: str, line: int) -> _T:
    try:
        return parse(row[name])
    except ValueError:
        raise HistoryError(source, line, f"cannot read {row[name]!r}", name) from None


def _clock_seconds(text: str) -> int:
    parts = text.split(":")
    if len(parts) != 3:
        raise ValueError(text)
    hours, minutes, seconds = (int(part) for part in parts)
    if not (0 <= hours < 24 and 0 <= minutes < 60 and 0 <= seconds < 60):
        raise ValueError(text)
    return hours * 3600 + minutes * 60 + seconds


def _bank_date(text: str) -> datetime:
    """yymmdd (the log is from 1999: two-digit years from 70 are 19xx)."""
    if len(text) != 6 or not text.isdigit():
        raise ValueError(text)
    year = int(text[:2])
    day = date(1900 + year if year >= 70 else 2000 + year, int(text[2:4]), int(text[4:]))
    return datetime.combine(day, time())


def _after(start: int, clock: int) -> int:
    """Seconds from clock time ``start`` to ``clock``, across midnight, allowing small skews back."""
    return (clock - start + 43200) % 86400 - 43200


def parse_bank_log(lines: Iterable[str], source: str = "<bank log>") -> CallLog:
    """Parse the Anonymous Bank call log (header row, 17 tab-separated fields, CRLF or LF).

    PHANTOM rows (virtual calls the documentation says to ignore) and rows whose service type is
    not one of the documented six are skipped and counted; rows that cannot be read are refused.
    """
    skipped: Counter[str] = Counter()
    cols: dict[str, list[object]] = {name: [] for name in CALL_COLUMNS}
    header_seen = False
    for number, raw in enumerate(lines, start=1):
        text = raw.rstrip("\r\n")
        if not text.strip():
            continue
        cells = text.split("\t")
        if not header_seen:
            if cells[0].strip().lstrip("\ufeff").removeprefix("ï»¿").lower() != "vru+line":
                raise HistoryError(source, number, "expected the header row starting with 'vru+line'")
            header_seen = True
            continue
        if len(cells) != len(BANK_FIELDS):
            raise HistoryError(source, number, f"expected {len(BANK_FIELDS)} tab-separated fields, got {len(cells)}")
        row = dict(zip(BANK_FIELDS, (cell.strip() for cell in cells), strict=True))
        outcome = row["outcome"]
        if outcome not in ("AGENT", "HANG", "PHANTOM"):
            raise HistoryError(source, number, f"unknown outcome {outcome!r} (AGENT, HANG or PHANTOM)", "outcome")
        day = _field(row, "date", _bank_date, source, number)
        priority = _field(row, "priority", int, source, number)
        durations = {name: _field(row, name, int, source, number) for name in ("vru_time", "q_time", "ser_time")}
        # vru_time may be negative: the voice menu's clock runs a little apart from the queue's
        for name in ("q_time", "ser_time"):
            if durations[name] < 0:
                raise HistoryError(source, number, f"negative duration {durations[name]}", name)
        clock = {name: _field(row, name, _clock_seconds, source, number)
                 for name in ("vru_entry", "vru_exit", "q_start", "q_exit", "ser_start", "ser_exit")}
        entry, vru_exit, q_start = clock["vru_entry"], clock["vru_exit"], clock["q_start"]
        if outcome == "PHANTOM":
            skipped["PHANTOM (virtual calls, ignored per the data's documentation)"] += 1
            continue
        service = row["type"]
        if service not in BANK_SERVICES:
            skipped[f"unknown service type {service!r}"] += 1
            continue
        queued = row["q_start"] != _NO_QUEUE and row["q_start"] != "00:00:00"
        arrival = day + timedelta(seconds=entry)
        handled = outcome == "AGENT"
        if queued:
            offered: datetime | None = arrival + timedelta(seconds=_after(entry, q_start))
            wait: float | None = float(int(row["q_time"]))
        elif handled:
            offered = arrival + timedelta(seconds=_after(entry, vru_exit))
            wait = 0.0
        else:
            offered = None
            wait = None
        if handled:
            result = Outcome.HANDLED
        elif queued:
            result = Outcome.ABANDONED
        else:
            result = Outcome.LEFT_IN_IVR
        agent = row["server"] if handled and row["server"] != "NO_SERVER" else None
        customer = row["customer_id"] if row["customer_id"] not in ("", "0") else None
        for name, value in (
            ("line", number), ("arrival", arrival), ("offered_at", offered), ("queue", service),
            ("priority", priority), ("queued", queued), ("wait_s", wait), ("outcome", result.value),
            ("handle_s", float(int(row["ser_time"])) if handled else None), ("agent", agent),
            ("customer_id", customer),
        ):
            cols[name].append(value)
    if not header_seen:
        raise HistoryError(source, None, "empty file: no header row")
    calls = pd.DataFrame(cols)
    calls["arrival"] = pd.to_datetime(calls["arrival"])
    calls["offered_at"] = pd.to_datetime(calls["offered_at"])
    for name in ("wait_s", "handle_s"):
        calls[name] = pd.to_numeric(calls[name]).astype(float)
    calls = calls.sort_values(["arrival", "line"], kind="stable").reset_index(drop=True)
    return CallLog(calls, dict(skipped), source)


def read_bank_log(path: Path | str) -> CallLog:
    path = Path(path)
    with path.open(encoding="latin-1", newline="") as handle:
        return parse_bank_log(handle, str(path))


def read_bank_logs(paths: Iterable[Path | str]) -> CallLog:
    """Several monthly files as one log (skip counts added up)."""
    logs = [read_bank_log(path) for path in paths]
    if not logs:
        raise ValueError("no call log files given")
    skipped: Counter[str] = Counter()
    for log in logs:
        skipped.update(log.skipped)
    frame = pd.concat([log.calls for log in logs], ignore_index=True)
    frame = frame.sort_values("arrival", kind="stable").reset_index(drop=True)
    return CallLog(frame, dict(skipped), " + ".join(log.source for log in logs))


# --------------------------------------------------------------------------------------------
# Aggregation


def aggregate_calls(log: CallLog, interval: pd.Timedelta, queue: str | None = None) -> IntervalSeries:
    """Offered calls (reached a queue or an agent) and mean handle time per interval.

    ``queue`` None pools all queues. Every interval of each day with any call in the log is present
    (zero where quiet); days with no call at all are left out as closed.
    """
    check_interval(interval)
    calls = log.calls if queue is None else log.for_queue(queue).calls
    all_days = pd.DatetimeIndex(log.calls["arrival"].dt.normalize().unique()).sort_values()
    offered = calls[calls["offered_at"].notna()]
    bucket = offered["offered_at"].dt.floor(interval)
    handled = offered["outcome"] == Outcome.HANDLED.value
    grouped = pd.DataFrame({
        "arrivals": 1.0,
        "handled": handled.astype(float),
        "handle_sum": offered["handle_s"].where(handled, 0.0).fillna(0.0),
    }).groupby(bucket.values).sum()
    slots = int(DAY / interval)
    if len(all_days):
        grid = (all_days.values[:, None] + np.asarray(np.arange(slots) * interval, dtype="timedelta64[ns]")[None, :]).ravel()
        index = pd.DatetimeIndex(grid, name="start")
    else:
        index = pd.DatetimeIndex([], name="start")
    frame = grouped.reindex(index.union(grouped.index)).fillna(0.0)
    frame.index.name = "start"
    with np.errstate(invalid="ignore", divide="ignore"):
        aht = np.where(frame["handled"] > 0, frame["handle_sum"] / frame["handled"], np.nan)
    out = pd.DataFrame({"arrivals": frame["arrivals"], "handled": frame["handled"], "aht_s": aht},
                       index=frame.index)
    return IntervalSeries(out, interval, queue or "all", resolution=None)


def resample(series: IntervalSeries, interval: pd.Timedelta) -> IntervalSeries:
    """Re-aggregate to a coarser ``interval`` (a whole multiple of the series' interval).

    Arrivals add up; AHT is the handled-weighted mean. An output interval is present when any of
    its source intervals is.
    """
    check_interval(interval)
    if interval == series.interval:
        return series
    if interval < series.interval or interval % series.interval != pd.Timedelta(0):
        raise ValueError(f"cannot re-aggregate {format_interval(series.interval)} data to "
                         f"{format_interval(interval)}: the new interval must be a whole multiple")
    frame = series.frame
    handle_sum = (frame["aht_s"] * frame["handled"]).fillna(0.0)
    bucket = frame.index.floor(interval)
    grouped = pd.DataFrame({"arrivals": frame["arrivals"].values, "handled": frame["handled"].values,
                            "handle_sum": handle_sum.values}, index=frame.index).groupby(bucket).sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        aht = np.where(grouped["handled"] > 0, grouped["handle_sum"] / grouped["handled"], np.nan)
    out = pd.DataFrame({"arrivals": grouped["arrivals"], "handled": grouped["handled"], "aht_s": aht},
                       index=pd.DatetimeIndex(grouped.index, name="start"))
    return IntervalSeries(out, interval, series.queue, series.resolution)


def aggregate_by_queue(log: CallLog, interval: pd.Timedelta) -> dict[str, IntervalSeries]:
    """:func:`aggregate_calls` for every queue in the log, on the same days."""
    return {queue: aggregate_calls(log, interval, queue) for queue in log.queues()}
