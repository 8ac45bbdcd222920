"""Hands the core's commands to whichever edges subscribed (SIP, chat, the demo's synthetic agents)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

log = logging.getLogger(__name__)

CommandHandler = Callable[[str, Any], None]


class CommandBus:
    def __init__(self) -> None:
        self._handlers: list[CommandHandler] = []

    def subscribe(self, handler: CommandHandler) -> Callable[[], None]:
        """``handler(tenant, command)`` for every command; returns an unsubscribe."""
        self._handlers.append(handler)
        return lambda: self._handlers.remove(handler)

    def __call__(self, tenant: str, commands: Sequence[Any]) -> None:
        for command in commands:
            for handler in list(self._handlers):
                try:
                    handler(tenant, command)
                except Exception:
                    log.exception("tenant %s: handler failed on %r", tenant, command)
