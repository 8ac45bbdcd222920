"""Errors raised by the pure core.

Every error is raised *before* anything changes: a caller that catches one may carry on with
the same state it had.
"""

from __future__ import annotations


class CoreError(Exception):
    """Base class of the errors the core raises for bad input."""


class InvalidTransition(CoreError):
    """The event is not allowed in the entity's current state."""

    def __init__(self, entity: str, entity_id: str, state: str, trigger: str) -> None:
        super().__init__(f"{entity} {entity_id!r}: cannot {trigger} while {state}")
        self.entity = entity
        self.entity_id = entity_id
        self.state = state
        self.trigger = trigger


class UnknownEntity(CoreError):
    """The event names an agent, interaction or queue the core does not know."""

    def __init__(self, entity: str, entity_id: str) -> None:
        super().__init__(f"unknown {entity} {entity_id!r}")
        self.entity = entity
        self.entity_id = entity_id


class DuplicateEntity(CoreError):
    """The event would create an entity whose id is already in use."""

    def __init__(self, entity: str, entity_id: str) -> None:
        super().__init__(f"{entity} {entity_id!r} already exists")
        self.entity = entity
        self.entity_id = entity_id


class InvalidInput(CoreError):
    """The event is malformed (e.g. a transfer naming neither a queue nor an agent)."""
