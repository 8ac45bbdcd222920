"""``helpline sim run``: replay a tenant's real routing rules against a load, with replications.

Load comes either from ``--rate QUEUE=CALLS_PER_HOUR`` (constant for ``--hours``) or from
``--rates FILE.csv`` with columns ``interval_start, rate`` (arrivals per second, as ``helpline
wfm forecast --csv`` writes them) and optional ``queue``, ``aht``, ``patience`` (seconds).
Handle time and patience are ``--aht`` / ``--patience`` (a distribution for every queue, or
``QUEUE=SPEC`` for one): ``300`` (exponential, mean 300 s), ``lognormal:mean=300,sd=200``,
``lognormal:median=240,sd=200``, ``fixed:5``, ``never``. Staff is every configured agent, the
first ``--agents N``, or ``--schedule FILE.csv`` (``interval_start, agents``: a head count or
agent ids separated by spaces) per interval.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from helpline.core.config import TenantConfig
    from helpline.sim.distributions import Distribution
    from helpline.sim.model import QueueLoad, Schedule, SimModel
    from helpline.sim.replications import Estimate, Summary

    PerQueue = tuple[Distribution | None, dict[str, Distribution]]  # (every queue, per queue)


class InputProblem(Exception):
    """Bad command-line input; the message says what and where."""


def build() -> typer.Typer:
    app = typer.Typer(
        help="Simulate the routing rules against a load: service level with confidence intervals.",
        no_args_is_help=True,
    )

    @app.command("run")
    def run(
        config: Annotated[Path, typer.Option("--config", help="Tenants' configuration YAML.")],
        tenant: Annotated[
            str | None, typer.Option(help="Tenant id (needed when the file has several).")
        ] = None,
        rate: Annotated[
            list[str] | None, typer.Option("--rate", help="QUEUE=CALLS_PER_HOUR (repeatable).")
        ] = None,
        rates: Annotated[
            Path | None, typer.Option("--rates", help="CSV of interval_start,rate[,queue,aht,patience].")
        ] = None,
        aht: Annotated[
            list[str] | None, typer.Option("--aht", help="Handle time: SPEC or QUEUE=SPEC (s).")
        ] = None,
        patience: Annotated[
            list[str] | None, typer.Option("--patience", help="Patience: SPEC or QUEUE=SPEC (s).")
        ] = None,
        hours: Annotated[float | None, typer.Option(help="Length of the run with --rate (hours).")] = None,
        interval: Annotated[
            float, typer.Option(help="Interval length in minutes (--rate; --rates infers it).")
        ] = 30.0,
        agents: Annotated[int | None, typer.Option(help="Log in only the first N configured agents.")] = None,
        schedule: Annotated[
            Path | None, typer.Option(help="CSV of interval_start,agents per interval.")
        ] = None,
        ring_delay: Annotated[
            str, typer.Option(help="Seconds an agent lets an offer ring (SPEC).")
        ] = "fixed:0",
        replications: Annotated[int, typer.Option(help="Independent runs for the confidence intervals.")] = 5,
        confidence: Annotated[float, typer.Option(help="Confidence level of the intervals.")] = 0.95,
        seed: Annotated[int, typer.Option(help="Seed of the first replication.")] = 0,
        as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    ) -> None:
        """Simulate a day (or any run) of the tenant's queues and agents; standard metrics with CIs."""
        from rich.console import Console

        err = Console(stderr=True)
        try:
            model = _build_model(
                config,
                tenant,
                rate or [],
                rates,
                aht or [],
                patience or [],
                hours,
                interval,
                agents,
                schedule,
                ring_delay,
            )
            if replications < 1:
                raise InputProblem("--replications must be at least 1")
            if not 0 < confidence < 1:
                raise InputProblem("--confidence must be between 0 and 1 (e.g. 0.95)")
        except InputProblem as exc:
            err.print(f"[red]refused:[/] {exc}")
            raise typer.Exit(2) from None
        summary = _run(model, replications, seed, confidence, quiet=as_json)
        if as_json:
            data = summary.as_dict()
            data.update(
                tenant=model.config.id,
                queues=sorted(model.loads),
                intervals=model.intervals,
                interval_s=model.interval_s,
                seed=seed,
            )
            typer.echo(json.dumps(data))
            return
        _show(summary, model)

    return app


# -- inputs ------------------------------------------------------------------------------------


def _tenant(path: Path, wanted: str | None) -> TenantConfig:
    from helpline.features.config.loader import read_tenant_configs
    from helpline.features.config.problems import ConfigError

    try:
        tenants = read_tenant_configs(path)
    except ConfigError as exc:
        raise InputProblem(str(exc)) from None
    if not tenants:
        raise InputProblem(f"{path}: no tenant in the file")
    if wanted is None:
        if len(tenants) > 1:
            raise InputProblem(
                f"{path} has several tenants; pick one with --tenant ({', '.join(t.id for t in tenants)})"
            )
        return tenants[0]
    for t in tenants:
        if t.id == wanted:
            return t
    raise InputProblem(f"{path}: no tenant {wanted!r} (the file has {', '.join(t.id for t in tenants)})")


def _spec(text: str, what: str) -> Distribution:
    from helpline.sim.distributions import parse_distribution

    try:
        return parse_distribution(text)
    except ValueError as exc:
        raise InputProblem(f"{what} {text!r}: {exc}") from None


def _per_queue(
    values: Sequence[str], queues: set[str], what: str
) -> tuple[Distribution | None, dict[str, Distribution]]:
    """``SPEC`` (every queue) and ``QUEUE=SPEC`` options: (default, per queue)."""
    default: Distribution | None = None
    per: dict[str, Distribution] = {}
    for value in values:
        head, eq, rest = value.partition("=")
        if eq and ":" not in head:
            if head not in queues:
                raise InputProblem(
                    f"{what} {value!r}: unknown queue {head!r} (known: {', '.join(sorted(queues))})"
                )
            per[head] = _spec(rest, f"{what} for {head}")
        else:
            default = _spec(value, what)
    return default, per


def _interval_from_starts(starts: Sequence[str]) -> float | None:
    try:
        stamps = sorted({datetime.fromisoformat(s) for s in starts})
    except ValueError:
        return None
    if len(stamps) < 2:
        return None
    return min((b - a).total_seconds() for a, b in zip(stamps, stamps[1:], strict=False))


def _build_model(
    config_path: Path,
    tenant_id: str | None,
    rate_opts: Sequence[str],
    rates_file: Path | None,
    aht_opts: Sequence[str],
    patience_opts: Sequence[str],
    hours: float | None,
    interval_min: float,
    agents: int | None,
    schedule_file: Path | None,
    ring_text: str,
) -> SimModel:
    from helpline.sim.distributions import Fixed
    from helpline.sim.model import Schedule, SimInputError, SimModel

    config = _tenant(config_path, tenant_id)
    queues = {q.id for q in config.queues}
    aht = _per_queue(aht_opts, queues, "--aht")
    patience = _per_queue(patience_opts, queues, "--patience")
    if not interval_min > 0:
        raise InputProblem("--interval must be > 0 minutes")
    if bool(rate_opts) == (rates_file is not None):
        raise InputProblem(
            "give the load either as --rate QUEUE=CALLS_PER_HOUR (repeatable) or as --rates FILE.csv"
        )
    interval_s = interval_min * 60.0
    if rate_opts:
        loads = _constant_loads(rate_opts, hours, interval_s, queues, aht, patience)
    else:
        assert rates_file is not None
        loads, interval_s = _loads_from_file(rates_file, hours, interval_s, config.id, queues, aht, patience)
    staff: Schedule | None = None
    if agents is not None and schedule_file is not None:
        raise InputProblem("give either --agents or --schedule, not both")
    try:
        if agents is not None:
            staff = Schedule.from_counts(config, [agents])
        elif schedule_file is not None:
            staff = _read_schedule(schedule_file, config)
        ring = _spec(ring_text, "--ring-delay")
        model = SimModel(
            config,
            interval_s,
            loads,
            schedule=staff,
            ring_delay=None if isinstance(ring, Fixed) and ring.value == 0 else ring,
        )
        model.validate()
    except SimInputError as exc:
        raise InputProblem(str(exc)) from None
    return model


def _constant_loads(
    rate_opts: Sequence[str],
    hours: float | None,
    interval_s: float,
    queues: set[str],
    aht: PerQueue,
    patience: PerQueue,
) -> dict[str, QueueLoad]:
    """``--rate QUEUE=CALLS_PER_HOUR`` options: a constant load per queue for ``--hours``."""
    from helpline.sim.distributions import NEVER
    from helpline.sim.model import QueueLoad

    (aht_default, aht_per), (pat_default, pat_per) = aht, patience
    loads: dict[str, QueueLoad] = {}
    if hours is None or not hours > 0:
        raise InputProblem("--rate needs --hours (the length of the run, > 0)")
    n = max(1, math.ceil(hours * 3600.0 / interval_s - 1e-9))
    for text in rate_opts:
        queue, eq, value = text.partition("=")
        if not eq:
            raise InputProblem(f"--rate {text!r}: expected QUEUE=CALLS_PER_HOUR")
        if queue not in queues:
            raise InputProblem(
                f"--rate {text!r}: unknown queue {queue!r} (known: {', '.join(sorted(queues))})"
            )
        try:
            per_hour = float(value)
        except ValueError:
            raise InputProblem(f"--rate {text!r}: {value!r} is not a number") from None
        if not (per_hour >= 0 and math.isfinite(per_hour)):
            raise InputProblem(f"--rate {text!r}: calls per hour must be >= 0")
        handle = aht_per.get(queue, aht_default)
        if handle is None:
            raise InputProblem(
                f"no handle time for queue {queue!r}: give --aht SECONDS (or --aht {queue}=SPEC)"
            )
        loads[queue] = QueueLoad(
            (per_hour / 3600.0,) * n, handle, pat_per.get(queue, pat_default) or NEVER
        )
    return loads


def _loads_from_file(
    rates_file: Path,
    hours: float | None,
    interval_s: float,
    tenant_id: str,
    queues: set[str],
    aht: PerQueue,
    patience: PerQueue,
) -> tuple[dict[str, QueueLoad], float]:
    """``--rates FILE.csv``: a load per queue and interval, and the interval the file uses."""
    from helpline.sim.distributions import NEVER, Exponential
    from helpline.sim.model import QueueLoad
    from helpline.wfm.intervals import IntervalFileError, read_intervals

    (aht_default, aht_per), (pat_default, pat_per) = aht, patience
    try:
        rows = read_intervals(
            rates_file,
            default_aht=aht_default.mean if aht_default is not None else None,
            default_patience=pat_default.mean
            if pat_default is not None and math.isfinite(pat_default.mean)
            else None,
        )
    except IntervalFileError as exc:
        raise InputProblem(str(exc)) from None
    by_queue: dict[str, list[Any]] = {}
    for row in rows:
        queue = row.queue
        if not queue:
            if len(queues) != 1:
                raise InputProblem(
                    f"{rates_file}:{row.line}: no queue column, and tenant {tenant_id!r} has several queues"
                )
            queue = next(iter(queues))
        if queue not in queues:
            raise InputProblem(
                f"{rates_file}:{row.line}: queue {queue!r} is not one of tenant {tenant_id!r}'s"
            )
        by_queue.setdefault(queue, []).append(row)
    inferred = _interval_from_starts([r.start for r in next(iter(by_queue.values()))])
    if inferred is not None:
        interval_s = inferred
    loads: dict[str, QueueLoad] = {}
    for queue, qrows in by_queue.items():
        calls = sum(r.rate for r in qrows) or 1.0
        handle = (
            aht_per.get(queue) or aht_default or Exponential(sum(r.rate * r.aht for r in qrows) / calls)
        )
        pats = [r.patience for r in qrows if r.patience is not None]
        if queue in pat_per:
            pat: Distribution = pat_per[queue]
        elif pat_default is not None:
            pat = pat_default
        elif pats and len(pats) == len(qrows):
            pat = Exponential(sum(r.rate * r.patience for r in qrows) / calls)
        else:
            pat = NEVER
        loads[queue] = QueueLoad(tuple(r.rate for r in qrows), handle, pat)
    if hours is not None:
        keep = max(1, math.ceil(hours * 3600.0 / interval_s - 1e-9))
        loads = {q: QueueLoad(ld.rates[:keep], ld.handle, ld.patience) for q, ld in loads.items()}
    widest = max(len(ld.rates) for ld in loads.values())
    loads = {
        q: QueueLoad(ld.rates + (0.0,) * (widest - len(ld.rates)), ld.handle, ld.patience)
        for q, ld in loads.items()
    }
    return loads, interval_s


def _read_schedule(path: Path, config: TenantConfig) -> Schedule:
    import csv

    from helpline.sim.model import Schedule, SimInputError

    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InputProblem(f"{path}: cannot read: {exc.strerror or exc}") from None
    known = [a.id for a in config.agents]
    intervals: list[frozenset[str]] = []
    header: list[str] | None = None
    for line, record in enumerate(csv.reader(text.splitlines()), start=1):
        if not record or all(not c.strip() for c in record):
            continue
        if header is None:
            header = [c.strip().lower() for c in record]
            if "agents" not in header:
                raise InputProblem(f"{path}:{line}: header lacks agents (expected interval_start,agents)")
            continue
        if len(record) != len(header):
            raise InputProblem(f"{path}:{line}: {len(record)} fields where the header has {len(header)}")
        cell = record[header.index("agents")].strip()
        if cell.isdigit():
            try:
                intervals.append(Schedule.from_counts(config, [int(cell)]).intervals[0])
            except SimInputError as exc:
                raise InputProblem(f"{path}:{line}: agents: {exc}") from None
            continue
        ids = cell.replace(";", " ").split()
        unknown = [i for i in ids if i not in known]
        if unknown:
            raise InputProblem(
                f"{path}:{line}: agents: unknown {', '.join(unknown)} (known: {', '.join(known)})"
            )
        intervals.append(frozenset(ids))
    if not intervals:
        raise InputProblem(f"{path}: no intervals after the header")
    return Schedule(tuple(intervals))


# -- running and showing -----------------------------------------------------------------------


def _run(model: SimModel, replications: int, seed: int, confidence: float, *, quiet: bool) -> Summary:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from helpline.sim.replications import run_replications

    expected = max(1, int(model.expected_calls))
    every = max(100, expected // 200)
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        disable=quiet,
        transient=True,
    ) as bar:
        task = bar.add_task(f"simulating {replications} × ~{expected:,} calls", total=expected * replications)

        def advance(r: int, calls: int) -> None:
            bar.update(task, completed=min(r * expected + calls, (r + 1) * expected))

        summary, _ = run_replications(
            model, replications, seed=seed, confidence=confidence, progress=advance, progress_every=every
        )
    return summary


def _pm(e: Estimate | None, scale: float = 1.0, digits: int = 1, unit: str = "") -> str:
    if e is None:
        return "–"
    hw = f"±{e.half_width * scale:.{digits}f}" if math.isfinite(e.half_width) else ""
    return f"{e.mean * scale:.{digits}f}{hw}{unit}"


def _show(summary: Summary, model: SimModel) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    size = model.interval_s
    pct = 100 * summary.confidence
    table = Table(
        title=f"{model.config.id}: {summary.replications} replications, {pct:g}% confidence intervals"
    )
    for name in ("queue", "from", "offered", "SL %", "ASA s", "AHT s", "aband. %", "EWT err s"):
        table.add_column(name, justify="left" if name in ("queue", "from") else "right", no_wrap=True)
    queues = sorted(model.loads)
    show_intervals = model.intervals <= 96 and model.intervals > 1
    for queue in [*queues, None]:
        keys: list[int | None] = [None]
        if show_intervals and queue is not None:
            keys = [*range(model.intervals), None]
        for k in keys:

            def fig(name: str, q: str | None = queue, kk: int | None = k) -> Estimate | None:
                return summary.figure(name, q, kk)

            label = "all" if k is None else f"{int(k * size // 3600):02d}:{int(k * size % 3600 // 60):02d}"
            table.add_row(
                queue or "all queues",
                label,
                _pm(fig("offered"), digits=0),
                _pm(fig("service_level"), 100.0),
                _pm(fig("asa_s")),
                _pm(fig("aht_s"), digits=0),
                _pm(fig("abandon_rate"), 100.0),
                _pm(fig("ewt_mean_abs_error_s")),
                end_section=k is None,
            )
    console.print(table)
    console.print(
        f"SL: answered within each queue's threshold; aband.: abandoned after {model.config.short_abandon_s:g} s "
        "(short abandons excluded); EWT err: mean absolute error of the wait announced at entry"
    )
    occupancy = summary.occupancy.get(None)
    console.print(f"occupancy (all agents): {_pm(occupancy, 100.0, unit=' %')}")
    within = summary.figure("ewt_within_share")
    console.print(
        f"EWT within ±20% of the actual wait: {_pm(within, 100.0, unit=' %')}; "
        f"mean error {_pm(summary.figure('ewt_mean_error_s'), unit=' s')} (positive: told too long)"
    )
