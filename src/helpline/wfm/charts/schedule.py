"""Schedule charts: who works when (work, breaks, lunch), and required against scheduled staff.

Plain data in (shifts and coverage rows), a file out (.png or .svg). Uses matplotlib's object
API with the Agg canvas, so no global pyplot state and no display is needed.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from helpline.wfm.scheduling.model import ActivityKind, CoverageRow, Shift

COLOURS = {
    ActivityKind.WORK: "#3b7dd8",
    ActivityKind.BREAK: "#f2a93b",
    ActivityKind.LUNCH: "#d9534f",
}
MAX_TIMELINE_ROWS = 150


def _natural(name: str) -> list[tuple[int, int | str]]:
    """Sort key putting a2 before a10."""
    return [(0, int(part)) if part.isdigit() else (1, part.lower()) for part in re.split(r"(\d+)", name) if part]


def _hours(at: datetime, day: datetime) -> float:
    return (at - day).total_seconds() / 3600


def draw_timeline(ax: Axes, shifts: Sequence[Shift]) -> None:
    """One row per agent and day, hours of the day across; days stacked top to bottom."""
    if not shifts:
        ax.text(0.5, 0.5, "no shifts", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return
    rows: list[tuple[str, datetime, list[Shift]]] = []
    by_day: dict[datetime, dict[str, list[Shift]]] = defaultdict(lambda: defaultdict(list))
    for s in shifts:
        by_day[datetime.combine(s.day, datetime.min.time())][s.agent_name or s.agent_id].append(s)
    for day in sorted(by_day):
        for agent in sorted(by_day[day], key=_natural):
            rows.append((agent, day, by_day[day][agent]))
    total_rows = len(rows)
    rows = rows[:MAX_TIMELINE_ROWS]
    first = min(_hours(s.start, datetime.combine(s.day, datetime.min.time())) for s in shifts)
    last = max(_hours(s.end, datetime.combine(s.day, datetime.min.time())) for s in shifts)
    labels = []
    previous_day = None
    for y, (agent, day, agent_shifts) in enumerate(rows):
        for shift in agent_shifts:
            for a in shift.activities():
                ax.broken_barh(
                    [(_hours(a.start, day), _hours(a.end, day) - _hours(a.start, day))],
                    (y - 0.4, 0.8),
                    facecolors=COLOURS.get(a.kind, "#999999"),
                    edgecolor="white",
                    linewidth=0.3,
                )
        if day != previous_day:
            if previous_day is not None:
                ax.axhline(y - 0.5, color="#444444", linewidth=0.8)
            ax.text(last + 0.1, y - 0.45, f"{day:%a %d %b}", va="top", ha="left", fontsize=8, fontweight="bold")
            previous_day = day
        labels.append(agent)
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels(labels, fontsize=7)
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.set_xlim(max(0.0, first - 0.5), last + 0.5)
    span = range(int(max(0.0, first - 0.5)), int(last + 1.5))
    ax.set_xticks(list(span))
    ax.set_xticklabels([f"{h % 24:02d}:00" for h in span], fontsize=7, rotation=90)
    ax.grid(axis="x", color="#dddddd", linewidth=0.5)
    ax.set_axisbelow(True)
    shown = "" if total_rows == len(rows) else f" (first {len(rows)} of {total_rows} agent-days)"
    ax.set_title(f"Schedule by day and agent{shown}", loc="left")
    ax.legend(
        handles=[Patch(color=c, label=k.value) for k, c in COLOURS.items()],
        loc="lower right",
        bbox_to_anchor=(1.0, 1.0),
        ncols=3,
        fontsize=8,
        frameon=False,
        borderaxespad=0.2,
        handlelength=1.0,
    )


def draw_coverage(ax: Axes, coverage: Sequence[CoverageRow], interval_min: int, skill: str) -> None:
    """Required against scheduled agents per interval for one skill.

    Intervals are laid side by side with the hours nobody is needed or scheduled left out, so
    a week of day shifts is not mostly night; thin lines mark where each day starts.
    """
    starts = sorted({c.start for c in coverage})
    if not starts:
        return
    position = {at: i for i, at in enumerate(starts)}
    required = [0.0] * len(starts)
    scheduled = [0.0] * len(starts)
    for c in coverage:
        if c.skill == skill:
            required[position[c.start]] = c.required
            scheduled[position[c.start]] = c.scheduled
    xs = [*range(len(starts)), len(starts)]
    req = [*required, required[-1]]
    sch = [*scheduled, scheduled[-1]]
    ax.step(xs, req, where="post", color="#222222", linewidth=1.2, label="required")
    ax.step(xs, sch, where="post", color=COLOURS[ActivityKind.WORK], linewidth=1.0, label="scheduled")
    under = [s < r for s, r in zip(sch, req, strict=True)]
    over = [s > r for s, r in zip(sch, req, strict=True)]
    ax.fill_between(xs, req, sch, where=under, step="post", color="#d9534f", alpha=0.35, label="under")
    ax.fill_between(xs, req, sch, where=over, step="post", color="#5cb85c", alpha=0.35, label="over")
    day_starts = [i for i, at in enumerate(starts) if i == 0 or at.date() != starts[i - 1].date()]
    for i in day_starts[1:]:
        ax.axvline(i, color="#888888", linewidth=0.6)
    ends = [*day_starts[1:], len(starts)]
    ax.set_xticks([(a + b) / 2 for a, b in zip(day_starts, ends, strict=True)])
    step = timedelta(minutes=interval_min)
    ax.set_xticklabels(
        [
            f"{starts[i]:%a %d %b}\n{starts[i]:%H:%M}-{starts[j - 1] + step:%H:%M}"
            for i, j in zip(day_starts, ends, strict=True)
        ],
        fontsize=7,
    )
    ax.set_xlim(0, len(starts))
    ax.set_ylabel("agents")
    ax.set_ylim(bottom=0)
    ax.set_title(f"Required and scheduled agents{': ' + skill if skill else ''}", fontsize=10)
    ax.grid(axis="y", color="#eeeeee", linewidth=0.5)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False, borderaxespad=0.0)


def _save(fig: Figure, path: Path) -> None:
    FigureCanvasAgg(fig)
    fig.savefig(path, format=path.suffix.lstrip(".").lower() or "png", dpi=110, bbox_inches="tight")


def _check(path: Path) -> None:
    if path.suffix.lower() not in (".png", ".svg"):
        raise ValueError(f"{path}: a chart is written as .png or .svg")


def _timeline_height(shifts: Sequence[Shift]) -> float:
    rows = len({(s.agent_id, s.day) for s in shifts})
    return min(max(2.5, 0.2 * min(rows, MAX_TIMELINE_ROWS) + 1.2), 40.0)


def timeline_chart(shifts: Sequence[Shift], path: Path) -> None:
    _check(path)
    fig = Figure(figsize=(11, _timeline_height(shifts)))
    draw_timeline(fig.add_subplot(), shifts)
    _save(fig, path)


def coverage_chart(coverage: Sequence[CoverageRow], interval_min: int, path: Path) -> None:
    _check(path)
    skills = sorted({c.skill for c in coverage}) or [""]
    fig = Figure(figsize=(11, 2.6 * len(skills)))
    axes = fig.subplots(len(skills), 1, squeeze=False, sharex=True)
    for ax, skill in zip(axes[:, 0], skills, strict=True):
        draw_coverage(ax, coverage, interval_min, skill)
    fig.tight_layout()
    _save(fig, path)


def schedule_chart(shifts: Sequence[Shift], coverage: Sequence[CoverageRow], interval_min: int, path: Path) -> None:
    """The timeline above and one coverage panel per skill below, in one picture."""
    _check(path)
    skills = sorted({c.skill for c in coverage}) or [""]
    top = _timeline_height(shifts)
    fig = Figure(figsize=(11, top + 2.4 * len(skills)), layout="constrained")
    grid = fig.add_gridspec(1 + len(skills), 1, height_ratios=[top] + [2.4] * len(skills))
    draw_timeline(fig.add_subplot(grid[0]), shifts)
    for i, skill in enumerate(skills):
        draw_coverage(fig.add_subplot(grid[1 + i]), coverage, interval_min, skill)
    _save(fig, path)
