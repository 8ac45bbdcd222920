"""Reading interval loads for staffing from CSV.

Columns (header required, order free, other columns ignored): ``interval_start`` (a label, kept as
written), ``rate`` (arrivals per unit of time), ``aht`` and ``patience`` (in that unit), and an
optional ``queue`` (or ``skill``) so one file can hold several queues. ``aht`` and ``patience`` may
be left out, or left empty on a row, when the command supplies defaults.
Every bad row is reported with its file, line and field.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path


class IntervalFileError(ValueError):
    """A CSV of intervals that cannot be used; the message names file, line and field."""


@dataclass(frozen=True, slots=True)
class IntervalLoad:
    start: str
    rate: float
    aht: float
    patience: float | None
    line: int
    queue: str = ""


def _number(path: Path, line: int, name: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise IntervalFileError(f"{path}:{line}: {name} {text!r} is not a number") from None
    if math.isnan(value):
        raise IntervalFileError(f"{path}:{line}: {name} is not a number")
    return value


def read_intervals(
    path: Path,
    default_aht: float | None = None,
    default_patience: float | None = None,
    need_patience: bool = False,
) -> list[IntervalLoad]:
    """The rows of ``path`` in file order; raises :class:`IntervalFileError` on the first bad row."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise IntervalFileError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise IntervalFileError(f"{path}: not UTF-8 text") from None
    reader = csv.reader(text.splitlines())
    header: list[str] | None = None
    rows: list[IntervalLoad] = []
    seen: dict[tuple[str, str], int] = {}
    for line, record in enumerate(reader, start=1):
        if not record or all(not cell.strip() for cell in record):
            continue
        if header is None:
            header = [cell.strip().lower() for cell in record]
            missing = [name for name in ("interval_start", "rate") if name not in header]
            if "aht" not in header and default_aht is None:
                missing.append("aht (or give --aht)")
            if need_patience and "patience" not in header and default_patience is None:
                missing.append("patience (or give --patience)")
            if missing:
                raise IntervalFileError(f"{path}:{line}: header lacks {', '.join(missing)}")
            continue
        if len(record) != len(header):
            raise IntervalFileError(f"{path}:{line}: {len(record)} fields where the header has {len(header)}")
        cells = {name: value.strip() for name, value in zip(header, record, strict=True)}
        start = cells["interval_start"]
        if not start:
            raise IntervalFileError(f"{path}:{line}: interval_start is empty")
        queue = cells.get("queue") or cells.get("skill") or ""
        if (start, queue) in seen:
            what = f"interval_start {start!r}" + (f" for queue {queue!r}" if queue else "")
            raise IntervalFileError(f"{path}:{line}: {what} repeats line {seen[start, queue]}")
        seen[start, queue] = line
        rate = _number(path, line, "rate", cells["rate"])
        if not (math.isfinite(rate) and rate >= 0):
            raise IntervalFileError(f"{path}:{line}: rate {cells['rate']!r} must be a finite number >= 0")
        aht_text = cells.get("aht", "")
        if aht_text:
            aht = _number(path, line, "aht", aht_text)
        elif default_aht is not None:
            aht = default_aht
        else:
            raise IntervalFileError(f"{path}:{line}: aht is empty and no --aht was given")
        if not (math.isfinite(aht) and aht > 0):
            raise IntervalFileError(f"{path}:{line}: aht {aht_text or aht!r} must be a finite number > 0")
        patience_text = cells.get("patience", "")
        patience: float | None
        if patience_text:
            patience = _number(path, line, "patience", patience_text)
            if not patience > 0:
                raise IntervalFileError(f"{path}:{line}: patience {patience_text!r} must be > 0")
        else:
            patience = default_patience
            if need_patience and patience is None:
                raise IntervalFileError(f"{path}:{line}: patience is empty and no --patience was given")
        rows.append(IntervalLoad(start=start, rate=rate, aht=aht, patience=patience, line=line, queue=queue))
    if header is None:
        raise IntervalFileError(f"{path}: empty file: expected a header such as interval_start,rate,aht")
    if not rows:
        raise IntervalFileError(f"{path}: no intervals after the header")
    return rows
