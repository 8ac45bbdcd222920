"""The small interfaces the runtime depends on, so it can run the real core and store or fakes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol


class Decision(Protocol):
    """What the core returns for one input: facts to log and commands for the edges."""

    @property
    def events(self) -> Sequence[Any]: ...

    @property
    def commands(self) -> Sequence[Any]: ...


class RoutingCore(Protocol):
    """The pure core as the runtime drives it (``core.routing.engine.RoutingEngine``)."""

    def handle(self, event: Any, now: float) -> Decision: ...

    def on_timer(self, now: float) -> Decision: ...

    def next_timer(self) -> float | None: ...

    def apply(self, event: Any) -> None: ...

    def snapshot(self) -> dict[str, Any]: ...


class EventCodec(Protocol):
    """Turns the core's facts into log records and back."""

    def to_record(self, event: Any) -> tuple[float, str, dict[str, Any]]: ...

    def from_record(self, kind: str, payload: dict[str, Any]) -> Any | None:
        """The fact, or None for a record the core does not replay."""


class EventLogPort(Protocol):
    """The append-only event log (``storage.event_log.EventLog``)."""

    async def append(self, tenant: str, records: Sequence[tuple[float, str, dict[str, Any]]]) -> list[int]: ...

    async def read(
        self, tenant: str, after_seq: int = 0, limit: int | None = None
    ) -> list[tuple[int, float, str, dict[str, Any]]]: ...

    async def save_snapshot(self, tenant: str, seq: int, data: dict[str, Any]) -> None: ...

    async def latest_snapshot(self, tenant: str) -> tuple[int, dict[str, Any]] | None: ...


class Clock(Protocol):
    def now(self) -> float: ...
