"""The standard contact-center metrics as one incremental fold over the routing core's facts.

Live (the wallboard feeds events as they happen), historical (reporting replays the log) and
simulated (the simulator feeds every decision) figures all come from :class:`MetricFold`, so
the three always agree on what "service level" means.
"""

from __future__ import annotations

from helpline.core.metrics.fold import (
    HANDLING_STATES,
    AgentTotals,
    EwtAccuracy,
    MetricFold,
    MetricsResult,
    QueueTotals,
)

__all__ = [
    "HANDLING_STATES",
    "AgentTotals",
    "EwtAccuracy",
    "MetricFold",
    "MetricsResult",
    "QueueTotals",
]
