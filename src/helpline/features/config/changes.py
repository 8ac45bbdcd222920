"""``config.changed`` events: every change to a tenant's configuration, in its event log.

The payload says what changed and how: ``{"entity": "queue", "id": "claims", "old": {...},
"new": {...}}``, with ``old`` None for a creation and ``new`` None for a removal. Entities are
``tenant``, ``skill``, ``queue``, ``agent``, ``disposition``, ``pause_reason`` and ``flow``;
``old`` and ``new`` are in the YAML file's shape (for a flow: its name, file and YAML source).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from helpline.storage.unit_of_work import UnitOfWork

CONFIG_CHANGED = "config.changed"


@dataclass(frozen=True, slots=True)
class Change:
    entity: str
    id: str
    old: dict[str, Any] | None
    new: dict[str, Any] | None

    def payload(self) -> dict[str, Any]:
        return {"entity": self.entity, "id": self.id, "old": self.old, "new": self.new}


async def record_changes(
    uow: UnitOfWork, tenant_id: str, changes: Sequence[Change], *, at: float | None = None
) -> list[int]:
    """Append one ``config.changed`` event per change, in the unit of work's transaction."""
    when = time.time() if at is None else at
    return await uow.append(tenant_id, [(when, CONFIG_CHANGED, c.payload()) for c in changes])
