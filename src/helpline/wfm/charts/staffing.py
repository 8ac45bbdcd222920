"""Required staff by interval, optionally against scheduled staff, as a step chart.

Plain lists in, a .png or .svg file out; matplotlib's object API on the Agg canvas, so there is no
global pyplot state and no display is needed.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

MAX_TICK_LABELS = 24


def required_vs_scheduled(
    intervals: Sequence[str],
    required: Sequence[float],
    path: Path | str,
    scheduled: Sequence[float] | None = None,
    *,
    title: str = "Required agents by interval",
) -> None:
    """Draw required agents per interval (and scheduled ones, with gaps shaded) to ``path``."""
    out = Path(path)
    if out.suffix.lower() not in (".png", ".svg"):
        raise ValueError(f"{out}: a chart is written as .png or .svg")
    if len(required) != len(intervals):
        raise ValueError("required needs one value per interval")
    if scheduled is not None and len(scheduled) != len(intervals):
        raise ValueError("scheduled needs one value per interval")

    fig = Figure(figsize=(11, 3.6))
    ax = fig.add_subplot()
    # Hold each value across its interval: x = 0..n with the last value repeated at the end.
    xs = list(range(len(intervals) + 1))
    req = [float(v) for v in required]
    if req:
        ax.step(xs, [*req, req[-1]], where="post", color="#222222", linewidth=1.3, label="required")
    if scheduled is not None and req:
        sch = [float(v) for v in scheduled]
        ax.step(xs, [*sch, sch[-1]], where="post", color="#3b7dd8", linewidth=1.1, label="scheduled")
        under = [s < r for s, r in zip([*sch, sch[-1]], [*req, req[-1]], strict=True)]
        over = [s > r for s, r in zip([*sch, sch[-1]], [*req, req[-1]], strict=True)]
        ax.fill_between(
            xs,
            [*req, req[-1]],
            [*sch, sch[-1]],
            where=under,
            step="post",
            color="#d9534f",
            alpha=0.35,
            label="under",
        )
        ax.fill_between(
            xs,
            [*req, req[-1]],
            [*sch, sch[-1]],
            where=over,
            step="post",
            color="#5cb85c",
            alpha=0.35,
            label="over",
        )
    if not req:
        ax.text(0.5, 0.5, "no intervals", ha="center", va="center", transform=ax.transAxes)
    every = max(1, -(-len(intervals) // MAX_TICK_LABELS))
    ticks = list(range(0, len(intervals), every))
    ax.set_xticks(ticks)
    ax.set_xticklabels([str(intervals[t]) for t in ticks], rotation=90, fontsize=7)
    ax.set_xlim(0, max(1, len(intervals)))
    ax.set_ylim(bottom=0)
    ax.set_ylabel("agents")
    ax.set_title(title, fontsize=10)
    ax.grid(color="#eeeeee", linewidth=0.5)
    ax.set_axisbelow(True)
    if req:
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False, borderaxespad=0.0)
    FigureCanvasAgg(fig)
    fig.savefig(out, format=out.suffix.lstrip(".").lower(), dpi=110, bbox_inches="tight")
