"""``helpline wfm schedule`` and ``helpline wfm adherence``."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from helpline.wfm.adherence import adherence_by_day, totals
from helpline.wfm.scheduling.export import read_csv, write_csv, write_ics
from helpline.wfm.scheduling.inputs import (
    ScheduleInputError,
    load_agents,
    load_requirements,
    load_rules,
    load_state_changes,
    parse_instant,
)
from helpline.wfm.scheduling.model import ScheduleResult

ExistingFile = Annotated[Path, typer.Option(exists=True, dir_okay=False, readable=True)]


def _shift_dict(result: ScheduleResult) -> list[dict[str, Any]]:
    return [
        {
            "agent_id": s.agent_id,
            "agent_name": s.agent_name,
            "start": s.start.isoformat(timespec="minutes"),
            "end": s.end.isoformat(timespec="minutes"),
            "paid_hours": s.paid_minutes / 60,
            "breaks": [
                {"kind": b.kind.value, "start": b.start.isoformat(timespec="minutes"), "end": b.end.isoformat(timespec="minutes")}
                for b in s.breaks
            ],
        }
        for s in result.shifts
    ]


def _agent_hours(result: ScheduleResult) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = defaultdict(lambda: {"shifts": 0, "paid_hours": 0.0})
    for s in result.shifts:
        out[s.agent_id]["shifts"] += 1
        out[s.agent_id]["paid_hours"] += s.paid_minutes / 60
    return dict(out)


def schedule(
    requirements: Annotated[Path, typer.Option("--requirements", exists=True, dir_okay=False, help="CSV: interval_start,required[,skill]")],
    agents: Annotated[Path, typer.Option("--agents", exists=True, dir_okay=False, help="Agents, YAML or CSV.")],
    out: Annotated[Path, typer.Option("--out", help="Schedule CSV to write.")] = Path("schedule.csv"),
    rules: Annotated[Path | None, typer.Option("--rules", exists=True, dir_okay=False, help="Shift rules YAML.")] = None,
    ics: Annotated[Path | None, typer.Option("--ics", help="Also write an iCalendar file.")] = None,
    ics_per_activity: Annotated[bool, typer.Option("--ics-per-activity", help="One event per work, break and lunch.")] = False,
    chart: Annotated[Path | None, typer.Option("--chart", help="Also draw the schedule (.png or .svg).")] = None,
    time_limit: Annotated[float, typer.Option("--time-limit", min=1.0, help="Seconds the solver may take.")] = 20.0,
    workers: Annotated[int, typer.Option("--workers", min=0, help="Solver threads; 0 = one per core.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object instead of tables.")] = False,
) -> None:
    """Build a week's shifts, breaks and lunches that cover the staffing requirement.

    Exit status: 0 with a schedule written, 1 when there is none (the reasons are printed), 2 for unreadable input (file, line and field named).
    """
    # The solver pulls in OR-Tools (and with it pandas): imported here so `helpline --help` stays fast.
    from helpline.wfm.scheduling.solver import solve_schedule

    err = Console(stderr=True)
    try:
        shift_rules = load_rules(rules)
        team = load_agents(agents, shift_rules)
        needed = load_requirements(requirements)
    except ScheduleInputError as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    if chart is not None and chart.suffix.lower() not in (".png", ".svg"):
        err.print(f"[red]error:[/red] --chart {chart}: expected a .png or .svg file", highlight=False, soft_wrap=True)
        raise typer.Exit(2)

    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    ) as progress:
        task = progress.add_task(f"scheduling {len(team)} agents (limit {time_limit:g} s)", total=None)

        def improved(stage: str, objective: float, elapsed: float) -> None:
            progress.update(task, description=f"placing {stage}: penalty {objective:,.0f} after {elapsed:.1f} s")

        result = solve_schedule(team, needed, shift_rules, time_limit_s=time_limit, num_workers=workers, on_solution=improved)

    written: dict[str, str] = {}
    if result.ok:
        write_csv(result.shifts, out)
        written["csv"] = str(out)
        if ics is not None:
            write_ics(result.shifts, ics, datetime.now(UTC), shift_rules.timezone, ics_per_activity)
            written["ics"] = str(ics)
        if chart is not None:
            from helpline.wfm.charts.schedule import schedule_chart

            schedule_chart(result.shifts, result.coverage, result.interval_min, chart)
            written["chart"] = str(chart)

    if as_json:
        print(
            json.dumps(
                {
                    "status": result.status,
                    "wall_time_s": round(result.wall_time_s, 3),
                    "objective": result.objective,
                    "best_bound": result.best_bound,
                    "gap": result.gap() if result.ok else None,
                    "agents": _agent_hours(result),
                    "shifts": _shift_dict(result),
                    "coverage": [
                        {
                            "interval_start": c.start.isoformat(timespec="minutes"),
                            "skill": c.skill,
                            "required": c.required,
                            "scheduled": round(c.scheduled, 3),
                        }
                        for c in result.coverage
                    ],
                    "problems": list(result.problems),
                    "warnings": list(result.warnings),
                    "written": written,
                },
                indent=2,
            )
        )
    else:
        _print_summary(Console(), result, written)
    if not result.ok:
        raise typer.Exit(1)


def _print_summary(console: Console, result: ScheduleResult, written: dict[str, str]) -> None:
    colour = "green" if result.ok else "red"
    console.print(f"[bold {colour}]{result.status}[/bold {colour}] in {result.wall_time_s:.1f} s", highlight=False, soft_wrap=True)
    for line in result.problems:
        console.print(f"  {line}", highlight=False, soft_wrap=True)
    for line in result.warnings:
        console.print(f"[yellow]warning:[/yellow] {line}", highlight=False, soft_wrap=True)
    if not result.ok:
        return
    gap = result.gap()
    console.print(
        f"required {gap['required_hours']:g} agent-hours, covered {gap['covered_share']:.1%}; "
        f"under-staffed {gap['under_hours']:g} h, over-staffed {gap['over_hours']:g} h",
        highlight=False,
        soft_wrap=True,
    )
    table = Table("agent", "shifts", "paid hours")
    for agent_id, hours in sorted(_agent_hours(result).items()):
        table.add_row(agent_id, str(int(hours["shifts"])), f"{hours['paid_hours']:g}")
    console.print(table)
    for kind, path in written.items():
        console.print(f"wrote {kind}: {path}", highlight=False, soft_wrap=True)


def adherence(
    schedule_csv: Annotated[Path, typer.Option("--schedule", exists=True, dir_okay=False, help="Schedule CSV from `wfm schedule`.")],
    states: Annotated[Path, typer.Option("--states", exists=True, dir_okay=False, help="CSV: agent_id,at,state[,reason]")],
    timezone: Annotated[str | None, typer.Option("--timezone", help="Zone for epoch-second times (default UTC).")] = None,
    until: Annotated[str | None, typer.Option("--until", help="Last states hold until this ISO time.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object instead of tables.")] = False,
) -> None:
    """Adherence (time in the scheduled state / scheduled time) and conformance per agent and day.

    At work, available, reserved, busy and wrap-up adhere; during a break or lunch, paused with that reason (break, lunch) or offline.
    """
    err = Console(stderr=True)
    try:
        shifts = read_csv(schedule_csv)
        changes = load_state_changes(states, timezone)
        end = parse_instant(until) if until else None
    except ScheduleInputError as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    except ValueError:
        err.print(f"[red]error:[/red] --until: expected an ISO date-time, got {until!r}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    days = adherence_by_day(shifts, changes, until=end)
    summary = totals(days)
    if as_json:
        print(json.dumps({"days": [d.as_dict() for d in days], "totals": summary}, indent=2))
        return

    def pct(value: float | None) -> str:
        return "-" if value is None else f"{value:.1%}"

    table = Table(title="Adherence by agent and day")
    for name in ("agent", "day", "sched h", "in adh h", "adherence", "worked h", "conform."):
        table.add_column(name, no_wrap=True, justify="left" if name in ("agent", "day") else "right")
    for d in days:
        table.add_row(
            d.agent_id,
            d.day.isoformat(),
            f"{d.scheduled_s / 3600:.2f}",
            f"{d.in_adherence_s / 3600:.2f}",
            pct(d.adherence),
            f"{d.worked_s / 3600:.2f}",
            pct(d.conformance),
        )
    console = Console()
    console.print(table)
    overall = summary.get("*")
    if overall:
        console.print(f"overall adherence {pct(overall['adherence'])}, conformance {pct(overall['conformance'])}")


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``helpline wfm``."""
    app.command("schedule")(schedule)
    app.command("adherence")(adherence)
