"""A tenant as written in YAML: its own fields plus the lists of its queues and agents.

Queues and agents are kept raw here and validated one by one (``QueueDoc``, ``AgentDoc``), so
that one bad queue does not hide the problems of the others.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from helpline.core.config import TenantConfig
from helpline.features.config.fields import STRICT, Identifier, Seconds

DEFAULT_PAUSE_REASONS = TenantConfig("").pause_reasons

# Sections of a tenant that other features read (IVR flows, campaigns, ...). The configuration
# loader accepts them and hands them over raw with their source lines; a feature that adds a
# section names it here.
EXTENSION_SECTIONS = ("flows", "entrypoints", "numbers", "campaigns", "users", "crm", "announcements")


class TenantDoc(BaseModel):
    model_config = STRICT

    id: Identifier
    name: str = ""
    short_abandon_s: Seconds = 5.0
    skills: tuple[Identifier, ...] = ()
    dispositions: tuple[Identifier, ...] = ()
    pause_reasons: tuple[Identifier, ...] = DEFAULT_PAUSE_REASONS
    queues: list[Any] = []
    agents: list[Any] = []
    flows: Any = None
    entrypoints: Any = None
    numbers: Any = None
    campaigns: Any = None
    users: Any = None
    crm: Any = None
    announcements: Any = None


def tenant_to_doc(config: TenantConfig) -> dict[str, Any]:
    """The tenant-wide fields as plain data (queues and agents have their own ``*_to_doc``)."""
    return {
        "id": config.id,
        "name": config.name,
        "short_abandon_s": config.short_abandon_s,
    }
