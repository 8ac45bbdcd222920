"""Write a tenant's configuration back as YAML, in the shape the loader reads."""

from __future__ import annotations

from typing import Any

import yaml

from helpline.core.config import TenantConfig
from helpline.features.agents.schemas import agent_to_doc
from helpline.features.queues.schemas import queue_to_doc
from helpline.features.tenants.schemas import tenant_to_doc


def tenant_to_data(config: TenantConfig) -> dict[str, Any]:
    """The whole tenant as plain data (``parse_config`` reads it back to an equal config)."""
    return {
        **tenant_to_doc(config),
        "skills": list(config.skills),
        "dispositions": list(config.dispositions),
        "pause_reasons": list(config.pause_reasons),
        "queues": [queue_to_doc(q) for q in config.queues],
        "agents": [agent_to_doc(a) for a in config.agents],
    }


def dump_tenants(configs: list[TenantConfig]) -> str:
    """YAML text for one tenant (fields at the top) or several (a list under ``tenants:``)."""
    data: Any = (
        tenant_to_data(configs[0]) if len(configs) == 1 else {"tenants": [tenant_to_data(c) for c in configs]}
    )
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=110)
