"""Queues: check, create or change, and remove a queue of a tenant."""

from __future__ import annotations

import dataclasses

from helpline.core.config import QueueConfig
from helpline.features.config.loader import validate_partially
from helpline.features.config.problems import ConfigError, NotFoundError, Problem
from helpline.features.config.service import do_apply_tenant_config, load_tenant_config
from helpline.features.queues.schemas import QueueDoc, queue_to_doc
from helpline.storage.unit_of_work import UnitOfWork


def check_queue(queue: QueueConfig) -> list[Problem]:
    """The queue's own fields against the same rules as the YAML file (ranges, steps, hours)."""
    _, problems, _ = validate_partially(QueueDoc, queue_to_doc(queue), ("queues", queue.id))
    return problems


async def do_upsert_queue(
    uow: UnitOfWork, *, tenant_id: str, queue: QueueConfig, at: float | None = None
) -> None:
    """Create ``queue`` (last in order) or replace the one with its id; logs ``config.changed``."""
    problems = check_queue(queue)
    if problems:
        raise ConfigError.from_problems(problems)
    current = await load_tenant_config(uow, tenant_id, lock=True)
    ids = [q.id for q in current.queues]
    if queue.id in ids:
        new_queues = tuple(queue if q.id == queue.id else q for q in current.queues)
    else:
        new_queues = (*current.queues, queue)
    config = dataclasses.replace(current, queues=new_queues)
    await do_apply_tenant_config(uow, config=config, require_servable=False, at=at)


async def do_remove_queue(uow: UnitOfWork, *, tenant_id: str, queue_id: str, at: float | None = None) -> None:
    """Remove a queue that no agent serves and no other queue overflows to."""
    current = await load_tenant_config(uow, tenant_id, lock=True)
    if queue_id not in {q.id for q in current.queues}:
        raise NotFoundError(f"tenant {tenant_id!r} has no queue {queue_id!r}")
    users = [f"agent {a.id}" for a in current.agents if queue_id in a.queues]
    users += [f"queue {q.id}" for q in current.queues if any(s.queue == queue_id for s in q.steps)]
    if users:
        raise ConfigError.from_problems(
            [Problem(("queues", queue_id), f"still used by {', '.join(users)}; change them first")]
        )
    config = dataclasses.replace(current, queues=tuple(q for q in current.queues if q.id != queue_id))
    await do_apply_tenant_config(uow, config=config, require_servable=False, at=at)
