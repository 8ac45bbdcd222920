"""Prometheus metrics for ``/metrics``, kept in the application's own registry (no globals)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

# A live read-out of one tenant: {"agents": {state: n}, "queues": {queue: (waiting, oldest_wait_s)}}
LiveReadout = Callable[[], dict[str, dict[str, Any]]]


class _LiveCollector(Collector):
    """Reads live gauges at scrape time from the partitions, so nothing has to keep them in step."""

    def __init__(self, readouts: dict[str, LiveReadout]) -> None:
        self._readouts = readouts

    def collect(self) -> Iterable[GaugeMetricFamily]:
        agents = GaugeMetricFamily("helpline_agents", "Agents by state", labels=["tenant", "state"])
        waiting = GaugeMetricFamily("helpline_queue_waiting", "Interactions waiting", labels=["tenant", "queue"])
        oldest = GaugeMetricFamily(
            "helpline_queue_oldest_wait_seconds", "Longest current wait", labels=["tenant", "queue"]
        )
        for tenant, readout in self._readouts.items():
            live = readout()
            for state, n in live.get("agents", {}).items():
                agents.add_metric([tenant, state], n)
            for queue, (n, wait) in live.get("queues", {}).items():
                waiting.add_metric([tenant, queue], n)
                oldest.add_metric([tenant, queue], wait)
        yield agents
        yield waiting
        yield oldest


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.events = Counter(
            "helpline_events", "Facts committed to the event log", ["tenant", "kind"], registry=self.registry
        )
        self.batch = Histogram(
            "helpline_commit_batch_size",
            "Facts per event-log transaction",
            ["tenant"],
            buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256),
            registry=self.registry,
        )
        self._readouts: dict[str, LiveReadout] = {}
        self.registry.register(_LiveCollector(self._readouts))

    def watch_tenant(self, tenant: str, readout: LiveReadout) -> None:
        self._readouts[tenant] = readout

    def on_committed(self, tenant: str, facts: Sequence[tuple[int, Any]], kind_of: Callable[[Any], str]) -> None:
        self.batch.labels(tenant).observe(len(facts))
        for _, fact in facts:
            self.events.labels(tenant, kind_of(fact)).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)
