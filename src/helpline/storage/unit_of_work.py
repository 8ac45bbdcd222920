"""A unit of work: one transaction for one command, and what to publish once it commits.

Services take a ``UnitOfWork`` and do all their reads and writes through its session; the events
they append ride in the same transaction. Listeners added with ``after_commit`` run only once
the transaction is durable (commit, then publish); a rollback drops them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from types import TracebackType

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from helpline.storage.engine import WRITE_OPTIONS
from helpline.storage.event_log import EventRecord, Record, append_events

CommitListener = Callable[[], Awaitable[None]]


class UnitOfWork:
    """``async with UnitOfWork(engine) as uow:`` commits on success, rolls back on error."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine.execution_options(**WRITE_OPTIONS)
        self._session: AsyncSession | None = None
        self._listeners: list[CommitListener] = []
        self.appended: dict[str, list[EventRecord]] = {}  # tenant -> events appended in this unit

    @property
    def session(self) -> AsyncSession:
        if self._session is None:
            raise RuntimeError("the unit of work is not open (use 'async with')")
        return self._session

    async def __aenter__(self) -> UnitOfWork:
        self._session = AsyncSession(self._engine, expire_on_commit=False, autoflush=True)
        await self._session.begin()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        session = self.session
        try:
            if exc_type is None:
                await session.commit()
            else:
                await session.rollback()
                self.appended.clear()
                self._listeners.clear()
        finally:
            await session.close()
            self._session = None
        for listener in self._listeners:
            await listener()

    async def append(self, tenant: str, records: Sequence[Record]) -> list[int]:
        """Append events to the tenant's log inside this transaction."""
        await self.session.flush()
        seqs = await append_events(await self.session.connection(), tenant, records)
        self.appended.setdefault(tenant, []).extend(
            EventRecord(seq, at, kind, payload)
            for seq, (at, kind, payload) in zip(seqs, records, strict=True)
        )
        return seqs

    def after_commit(self, listener: CommitListener) -> None:
        """Run ``listener`` once this unit has committed (never if it rolls back)."""
        self._listeners.append(listener)
