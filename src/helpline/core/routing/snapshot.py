"""The engine's logical state as JSON-safe values, and restoring it (indexes and timers are
rebuilt from it, not stored).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from helpline.core.interaction import WAITING, Interaction
from helpline.core.routing.handlers_interaction import InteractionHandlers
from helpline.core.routing.state import (
    DAY_S,
    OFFER_TIMEOUT,
    RESUME_END,
    SLOT_WRAP_UP,
    ST_ABANDONED,
    ST_OFFERED,
    WRAP_END,
)

SNAPSHOT_VERSION: Final = 1


class Snapshots(InteractionHandlers):
    """``snapshot()`` and the loading half of ``RoutingEngine.from_snapshot``."""

    def snapshot(self) -> dict[str, Any]:
        """The logical state as JSON-safe values (indexes and timers are derived from it)."""
        return {
            "version": SNAPSHOT_VERSION,
            "seq": self._seq,
            "offer_seq": self._offer_seq,
            "day": self._day,
            "agents": {a.id: a.to_dict() for a in self._agent_list},
            "interactions": {k: i.to_dict() for k, i in self._interactions.items()},
            "resume": sorted([q, c, i] for (q, c), i in self._resume.items()),
            "rr": {q: dict(m) for q, m in self._rr.items()},
            "rr_counter": dict(self._rr_counter),
            "queue_aht": {q: list(v) for q, v in self._queue_aht.items()},
        }

    def _load(self, snap: Mapping[str, Any]) -> None:
        self._seq = int(snap["seq"])
        self._offer_seq = int(snap["offer_seq"])
        self._day = snap["day"]
        self._day_ends = (self._day + 1) * DAY_S if self._day is not None else float("-inf")
        for agent_id, data in snap["agents"].items():
            self._get_a(agent_id).load_dict(data)
        for iid, data in snap["interactions"].items():
            self._interactions[iid] = Interaction.from_dict(iid, data)
        self._resume = {(q, c): i for q, c, i in snap["resume"]}
        for q, memory in snap["rr"].items():
            if q in self._rr:
                self._rr[q].clear()
                self._rr[q].update(memory)
        for q, n in snap["rr_counter"].items():
            if q in self._rr_counter:
                self._rr_counter[q] = int(n)
        self._queue_aht = {q: [float(v[0]), float(v[1])] for q, v in snap["queue_aht"].items()}
        for a in self._agent_list:
            self._relist(a)
            for iid, slot in a.slots.items():
                if slot.state is SLOT_WRAP_UP and slot.until is not None:
                    self._arm(slot.until, WRAP_END, iid, (a.id, iid))
        for i in self._interactions.values():
            if i.state in WAITING:
                self._register(i)
            if i.state is ST_OFFERED and i.offer is not None:
                self._arm(i.offer.timeout_at, OFFER_TIMEOUT, i.id, i.offer.id)
            if i.state is ST_ABANDONED and i.abandoned_at is not None:
                window = self._queues[i.queue].resume_window_s if i.queue in self._queues else 0.0
                self._arm(i.abandoned_at + window, RESUME_END, i.id, i.abandoned_at)
            self._arm_interaction_timers(i)
        self._dirty_i.clear()
        self._dirty_a.clear()
        self._touched.clear()
