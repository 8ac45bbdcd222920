"""Every table of the product, gathered for migrations and schema checks."""

from __future__ import annotations

import helpline.features.agents.models  # noqa: F401
import helpline.features.flows.models  # noqa: F401
import helpline.features.queues.models  # noqa: F401
import helpline.features.skills.models  # noqa: F401
import helpline.features.tenants.models  # noqa: F401
import helpline.features.voice.models  # noqa: F401
import helpline.storage.event_log  # noqa: F401
from helpline.storage.base import Base

metadata = Base.metadata
