"""Storage: the database engine, units of work, the append-only event log and migrations."""

from helpline.storage.engine import create_engine
from helpline.storage.event_log import EventLog, EventRecord, append_events
from helpline.storage.migrate import current_revision, downgrade, head_revision, migrate, upgrade
from helpline.storage.unit_of_work import UnitOfWork

__all__ = [
    "EventLog",
    "EventRecord",
    "UnitOfWork",
    "append_events",
    "create_engine",
    "current_revision",
    "downgrade",
    "head_revision",
    "migrate",
    "upgrade",
]
