"""``helpline wfm erlang`` (queue metrics for a head count) and ``helpline wfm staff`` (head counts).

Units: ``--rate`` is arrivals per unit of time; ``--aht``, ``--patience``, ``--target``,
``--max-asa`` and ``--short-abandon`` are in that same unit (calls per second with times in
seconds is the usual choice).
"""

from __future__ import annotations

import csv
import json
import math
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from helpline.wfm.intervals import IntervalFileError, IntervalLoad, read_intervals

if TYPE_CHECKING:
    from helpline.wfm.erlang import QueueMetrics
    from helpline.wfm.staffing import Targets

# numpy, scipy and the Erlang code load inside the commands so that `helpline --help` stays fast.

SHOWN = ("p_wait", "p_abandon", "service_level", "asa", "occupancy")


class Model(StrEnum):
    c = "c"
    a = "a"


ModelOption = Annotated[
    Model, typer.Option("--model", help="c: Erlang C (nobody abandons); a: Erlang A (exponential patience).")
]
RateOption = Annotated[float | None, typer.Option("--rate", min=0.0, help="Arrivals per unit of time.")]
AhtOption = Annotated[float | None, typer.Option("--aht", help="Average handling time, in the rate's unit.")]
PatienceOption = Annotated[
    float | None,
    typer.Option("--patience", help="Mean patience before abandoning (Erlang A), in the rate's unit."),
]
TargetOption = Annotated[
    float,
    typer.Option(
        "--target", min=0.0, help="Service-level time T, in the rate's unit (20 = 20 s with seconds)."
    ),
]
ShortOption = Annotated[
    float,
    typer.Option(
        "--short-abandon", min=0.0, help="Abandons within this time are short and leave the SL base."
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


def _fail(message: str) -> typer.Exit:
    Console(stderr=True).print(f"[red]error:[/red] {message}", highlight=False)
    return typer.Exit(2)


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _metrics(m: QueueMetrics, index: int | tuple[int, ...] = ()) -> dict[str, float | None]:
    values = m.at(index)
    return {
        "p_wait": _finite(values["p_wait"]),
        "p_abandon": _finite(values["p_abandon"]),
        "service_level": _finite(values["service_level"]),
        "asa": _finite(values["asa"]),
        "occupancy": _finite(values["occupancy"]),
        "queue_length": _finite(values["queue_length"]),
        "answered_within_target": _finite(values["answered_within_target"]),
        "abandon_rate": _finite(values["abandon_rate"]),
    }


def _check_model(model: Model, patience: float | None, from_file: bool = False) -> None:
    if model is Model.a and patience is None and not from_file:
        raise _fail("--model a needs --patience (mean time callers wait before giving up)")
    if model is Model.c and patience is not None:
        raise _fail("--patience applies to --model a only (Erlang C callers never abandon)")
    if patience is not None and not patience > 0:
        raise _fail("--patience must be > 0")


def _show(value: float | None, name: str) -> str:
    if value is None:
        return "-" if name == "occupancy" else "∞" if name == "asa" else "-"
    if name in ("p_wait", "p_abandon", "service_level", "occupancy", "abandon_rate"):
        return f"{value:.1%}"
    return f"{value:.4g}"


def erlang_command(
    rate: Annotated[float, typer.Option("--rate", min=0.0, help="Arrivals per unit of time.")],
    aht: Annotated[float, typer.Option("--aht", help="Average handling time, in the rate's unit.")],
    agents: Annotated[int, typer.Option("--agents", min=0, help="Agents on the phones.")],
    model: ModelOption = Model.c,
    patience: PatienceOption = None,
    target: TargetOption = 20.0,
    short_abandon: ShortOption = 0.0,
    as_json: JsonOption = False,
) -> None:
    """Queue metrics for a number of agents: P(wait), P(abandon), service level, ASA, occupancy."""
    from helpline.wfm.erlang import erlang_a, erlang_c

    _check_model(model, patience)
    if not aht > 0:
        raise _fail("--aht must be > 0")
    try:
        if model is Model.a:
            assert patience is not None
            m = erlang_a(rate, aht, patience, agents, target=target, short_abandon=short_abandon)
        else:
            m = erlang_c(rate, aht, agents, target=target)
    except ValueError as exc:
        raise _fail(str(exc)) from None
    values = _metrics(m)
    if as_json:
        out: dict[str, Any] = {
            "model": model.value,
            "rate": rate,
            "aht": aht,
            "patience": patience,
            "agents": agents,
            "target": target,
            "load": rate * aht,
            **values,
        }
        print(json.dumps(out))
        return
    title = f"Erlang {model.value.upper()}: {agents} agents, load {rate * aht:.4g} erlangs"
    table = Table(title=title)
    table.add_column("metric")
    table.add_column("value", justify="right")
    labels = {
        "p_wait": "P(wait)",
        "p_abandon": "P(abandon)",
        "service_level": f"service level within {target:g}",
        "asa": "ASA",
        "occupancy": "occupancy",
        "queue_length": "mean queue length",
    }
    for name, label in labels.items():
        table.add_row(label, _show(values[name], name))
    Console().print(table)


def _targets(
    sl: float | None,
    target: float,
    max_asa: float | None,
    max_abandon: float | None,
    max_occupancy: float | None,
    short_abandon: float,
) -> Targets:
    from helpline.wfm.staffing import Targets

    return Targets(
        service_level=sl,
        target_time=target,
        max_asa=max_asa,
        max_abandon=max_abandon,
        max_occupancy=max_occupancy,
        short_abandon=short_abandon,
    )


def _write_requirements(
    path: Path, loads: list[IntervalLoad], agents: list[int], scheduled: list[int]
) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        with_queue = any(load.queue for load in loads)
        writer.writerow(["interval_start", *(["skill"] if with_queue else []), "required", "agents"])
        for load, n, heads in zip(loads, agents, scheduled, strict=True):
            writer.writerow([load.start, *([load.queue] if with_queue else []), heads, n])


def staff_command(
    model: ModelOption = Model.c,
    rate: RateOption = None,
    aht: AhtOption = None,
    patience: PatienceOption = None,
    intervals: Annotated[
        Path | None,
        typer.Option(
            "--intervals",
            dir_okay=False,
            help="CSV with interval_start,rate[,aht][,patience][,queue]; one staffing per row.",
        ),
    ] = None,
    sl: Annotated[
        float | None, typer.Option("--sl", help="Service level target, a fraction (0.8 = 80%).")
    ] = None,
    target: TargetOption = 20.0,
    max_asa: Annotated[
        float | None, typer.Option("--max-asa", help="Largest ASA, in the rate's unit.")
    ] = None,
    max_abandon: Annotated[
        float | None, typer.Option("--max-abandon", help="Largest abandonment rate, a fraction (Erlang A).")
    ] = None,
    max_occupancy: Annotated[
        float | None, typer.Option("--max-occupancy", help="Largest agent occupancy, a fraction.")
    ] = None,
    shrinkage: Annotated[
        float, typer.Option("--shrinkage", help="Share of paid time off the phones (0.3 = 30%).")
    ] = 0.0,
    short_abandon: ShortOption = 0.0,
    max_agents: Annotated[
        int | None, typer.Option("--max-agents", min=0, help="Give up above this many agents per interval.")
    ] = None,
    chart: Annotated[
        Path | None, typer.Option("--chart", help="Draw required staff by interval (.png or .svg).")
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Write interval_start[,skill],required,agents CSV for `wfm schedule`."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """The fewest agents meeting every target, for one load or for each interval of a CSV.

    agents are needed on the phones; scheduled adds shrinkage: ceil(agents / (1 - shrinkage)).
    """
    import numpy as np

    from helpline.wfm.staffing import StaffingError, required_agents

    _check_model(model, patience, from_file=intervals is not None)
    if (rate is None) == (intervals is None):
        raise _fail("give either --rate (one load) or --intervals FILE.csv (one load per row)")
    if chart is not None and chart.suffix.lower() not in (".png", ".svg"):
        raise _fail(f"--chart {chart}: expected a .png or .svg file")
    if aht is not None and not aht > 0:
        raise _fail("--aht must be > 0")
    if intervals is not None:
        try:
            loads = read_intervals(intervals, aht, patience, need_patience=model is Model.a)
        except IntervalFileError as exc:
            raise _fail(str(exc)) from None
    else:
        if aht is None:
            raise _fail("--rate needs --aht")
        assert rate is not None
        loads = [IntervalLoad(start="", rate=rate, aht=aht, patience=patience, line=0)]
    if model is Model.c and (max_abandon is not None or short_abandon > 0):
        Console(stderr=True).print(
            "note: with --model c nobody abandons, so --max-abandon and --short-abandon change nothing",
            highlight=False,
        )
    targets = _targets(sl, target, max_asa, max_abandon, max_occupancy, short_abandon)
    rates = np.array([load.rate for load in loads])
    ahts = np.array([load.aht for load in loads])
    pats = np.array([load.patience if load.patience is not None else np.inf for load in loads])
    try:
        result = required_agents(
            rates,
            ahts,
            targets,
            patience=pats if model is Model.a else None,
            shrinkage=shrinkage,
            max_agents=max_agents,
        )
    except StaffingError as exc:
        where = ""
        if intervals is not None and exc.indices:
            bad = [loads[i] for i in exc.indices[:5]]
            where = "; ".join(f"{intervals}:{b.line} ({b.start})" for b in bad)
            more = len(exc.indices) - len(bad)
            where = f"{where}{f' and {more} more' if more > 0 else ''}: "
        raise _fail(f"{where}{exc}") from None
    except ValueError as exc:
        raise _fail(str(exc)) from None

    agents = [int(v) for v in result.agents]
    scheduled = [int(v) for v in result.scheduled]
    rows: list[dict[str, Any]] = []
    for i, load in enumerate(loads):
        row: dict[str, Any] = {}
        if intervals is not None:
            row["interval_start"] = load.start
            if load.queue:
                row["queue"] = load.queue
        row |= {
            "rate": load.rate,
            "aht": load.aht,
            "patience": load.patience if model is Model.a else None,
            "load": load.rate * load.aht,
            "agents": agents[i],
            "scheduled": scheduled[i],
            **_metrics(result.metrics, i),
        }
        rows.append(row)

    if out is not None:
        _write_requirements(out, loads, agents, scheduled)
    if chart is not None:
        from helpline.wfm.charts.staffing import required_vs_scheduled

        # Several queues in one file: the chart shows their sum per interval.
        totals: dict[str, int] = {}
        for load, n in zip(loads, agents, strict=True):
            totals[load.start or "load"] = totals.get(load.start or "load", 0) + n
        scope = " (all queues)" if any(load.queue for load in loads) else ""
        required_vs_scheduled(
            list(totals),
            list(totals.values()),
            chart,
            title=f"Required agents by interval{scope}, Erlang {model.value.upper()}",
        )

    if as_json:
        summary: dict[str, Any] = {
            "model": model.value,
            "targets": {
                "service_level": sl,
                "target": target,
                "max_asa": max_asa,
                "max_abandon": max_abandon,
                "max_occupancy": max_occupancy,
                "short_abandon": short_abandon,
            },
            "shrinkage": shrinkage,
        }
        if intervals is None:
            summary |= {"agents": agents[0], "scheduled": scheduled[0]}
        summary |= {
            "intervals": rows,
            "total_agent_intervals": sum(agents),
            "total_scheduled_intervals": sum(scheduled),
            "peak_agents": max(agents),
        }
        print(json.dumps(summary))
        return

    table = Table(title=f"Staffing (Erlang {model.value.upper()}): {', '.join(targets.describe())}")
    if intervals is not None:
        if any(load.queue for load in loads):
            table.add_column("queue", no_wrap=True)
        table.add_column("interval", no_wrap=True)
    headings = {
        "p_wait": "P(wait)",
        "p_abandon": "P(aband.)",
        "service_level": "SL",
        "asa": "ASA",
        "occupancy": "occ.",
    }
    for name in ("load", "agents", "scheduled"):
        table.add_column(name, justify="right")
    for name in SHOWN:
        table.add_column(headings[name], justify="right")
    for load, row in zip(loads, rows, strict=True):
        cells = []
        if intervals is not None:
            if any(x.queue for x in loads):
                cells.append(load.queue)
            cells.append(load.start)
        cells += [f"{row['load']:.4g}", str(row["agents"]), str(row["scheduled"])]
        cells += [_show(row[name], name) for name in SHOWN]
        table.add_row(*cells)
    console = Console()
    console.print(table)
    if len(loads) > 1:
        console.print(
            f"peak {max(agents)} agents; {sum(agents)} agent-intervals ({sum(scheduled)} scheduled)"
        )


def register(app: typer.Typer) -> None:
    """Add ``erlang`` and ``staff`` to ``helpline wfm``."""
    app.command("erlang")(erlang_command)
    app.command("staff")(staff_command)
