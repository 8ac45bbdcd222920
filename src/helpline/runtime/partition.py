"""One partition (a tenant): the single writer of its live routing state.

Theory of operation
-------------------
Everything that changes a tenant's live agent, queue or interaction state goes through this
partition's inbox and is handled by one asyncio task, so the pure core needs no locks.

One turn of the loop:
  1. wait for the first inbox item, then take whatever else is already waiting (up to
     ``batch_max``): a burst of arrivals costs one database write, not one each (group commit);
  2. hand each input to the core with the current time; a refused input (unknown agent, illegal
     transition) is answered with its error and logged, and never stops the task;
  3. append the turn's facts to the event log in one transaction;
  4. only then resolve the submitters' futures, publish the facts to subscribers and pass the
     commands to the edges (commit, then publish);
  5. re-arm the single timer from ``core.next_timer()``.

If the append fails, nothing of that turn has been seen outside, but the core's memory already
holds it: the partition rebuilds the core from the log (snapshot + replay) and fails the turn's
submissions, so live state never runs ahead of the log.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from helpline.runtime.ports import Clock, EventCodec, EventLogPort, RoutingCore

log = logging.getLogger(__name__)

CommandSink = Callable[[str, Sequence[Any]], Awaitable[None] | None]
EventSubscriber = Callable[[str, Sequence[tuple[int, Any]]], None]


class _TimerDue:
    """Inbox marker: the core's next deadline has come."""


_TIMER_DUE = _TimerDue()


class _Barrier:
    """Inbox marker that only waits its turn; see ``Partition.settle``."""


@dataclass
class _Submission:
    item: Any
    future: asyncio.Future[Any] | None


@dataclass
class PartitionStats:
    inputs: int = 0
    refused: int = 0
    facts: int = 0
    commits: int = 0
    commit_failures: int = 0
    # The latest commits' sizes only: a server runs for months (the metrics keep the histogram).
    batch_sizes: deque[int] = field(default_factory=lambda: deque(maxlen=1000))


class Partition:
    def __init__(
        self,
        tenant: str,
        *,
        core_factory: Callable[[], RoutingCore],
        restore: Callable[[dict[str, Any]], RoutingCore],
        codec: EventCodec,
        log_port: EventLogPort,
        clock: Clock,
        commands: CommandSink | None = None,
        batch_max: int = 256,
        snapshot_every: int = 5000,
    ) -> None:
        self.tenant = tenant
        self._core_factory = core_factory
        self._restore = restore
        self._codec = codec
        self._log = log_port
        self._clock = clock
        self._commands = commands
        self._batch_max = batch_max
        self._snapshot_every = snapshot_every
        self._inbox: asyncio.Queue[_Submission | _TimerDue] = asyncio.Queue()
        self._subscribers: list[EventSubscriber] = []
        self._timer: asyncio.TimerHandle | None = None
        self._task: asyncio.Task[None] | None = None
        self._last_seq = 0
        self._seq_at_snapshot = 0
        self.core: RoutingCore = core_factory()
        self.stats = PartitionStats()

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Rebuild live state from the log, then start the single writer task."""
        await self._rebuild()
        self._task = asyncio.create_task(self._run(), name=f"partition:{self.tenant}")
        self._arm_timer()

    async def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    @property
    def last_seq(self) -> int:
        return self._last_seq

    # -- input -----------------------------------------------------------------------------

    async def submit(self, item: Any) -> Any:
        """Queue an input and wait until its facts are committed; returns the core's decision."""
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._inbox.put_nowait(_Submission(item, future))
        return await future

    def post(self, item: Any) -> None:
        """Queue an input without waiting (edges that only report what happened)."""
        self._inbox.put_nowait(_Submission(item, None))

    def timer_due(self) -> None:
        """Let the core handle its deadlines now (the armed timer does this by itself; a test
        or simulator driving a manual clock calls it after moving the clock)."""
        self._inbox.put_nowait(_TIMER_DUE)

    async def settle(self) -> None:
        """Wait until everything queued so far has been handled (for tests and shutdown)."""
        await self.submit(_Barrier())

    def subscribe(self, subscriber: EventSubscriber) -> Callable[[], None]:
        """Receive committed facts as ``(tenant, [(seq, fact), ...])``; returns an unsubscribe."""
        self._subscribers.append(subscriber)
        return lambda: self._subscribers.remove(subscriber)

    # -- the loop --------------------------------------------------------------------------

    async def _run(self) -> None:
        while True:
            first = await self._inbox.get()
            batch = [first]
            while len(batch) < self._batch_max and not self._inbox.empty():
                batch.append(self._inbox.get_nowait())
            await self._turn(batch)

    async def _turn(self, batch: list[_Submission | _TimerDue]) -> None:
        facts: list[Any] = []
        commands: list[Any] = []
        answers: list[tuple[asyncio.Future[Any], Any, BaseException | None]] = []
        for entry in batch:
            now = self._clock.now()
            try:
                if isinstance(entry, _TimerDue):
                    decision = self.core.on_timer(now)
                elif isinstance(entry.item, _Barrier):
                    if entry.future is not None:
                        answers.append((entry.future, None, None))
                    continue
                else:
                    self.stats.inputs += 1
                    decision = self.core.handle(entry.item, now)
            except Exception as exc:  # refused input: answer it, log it, carry on
                self.stats.refused += 1
                if isinstance(entry, _Submission):
                    log.warning("tenant %s refused %r: %s", self.tenant, entry.item, exc)
                    if entry.future is not None:
                        answers.append((entry.future, None, exc))
                else:
                    log.exception("tenant %s: timer handling failed", self.tenant)
                continue
            facts.extend(decision.events)
            commands.extend(decision.commands)
            if isinstance(entry, _Submission) and entry.future is not None:
                answers.append((entry.future, decision, None))

        numbered: list[tuple[int, Any]] = []
        if facts:
            records = [self._codec.to_record(f) for f in facts]
            try:
                seqs = await self._log.append(self.tenant, records)
            except Exception as exc:
                self.stats.commit_failures += 1
                log.exception("tenant %s: event log append failed; rebuilding from the log", self.tenant)
                await self._rebuild()
                for future, _, _ in answers:
                    if not future.done():
                        future.set_exception(exc)
                self._arm_timer()
                return
            self.stats.commits += 1
            self.stats.batch_sizes.append(len(records))
            self.stats.facts += len(records)
            self._last_seq = seqs[-1]
            numbered = list(zip(seqs, facts, strict=True))

        for future, value, error in answers:
            if future.done():
                continue
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(value)
        if numbered:
            for subscriber in list(self._subscribers):
                try:
                    subscriber(self.tenant, numbered)
                except Exception:
                    log.exception("tenant %s: event subscriber failed", self.tenant)
        if commands and self._commands is not None:
            try:
                result = self._commands(self.tenant, commands)
                if result is not None:
                    await result
            except Exception:
                log.exception("tenant %s: command dispatch failed", self.tenant)
        if self._last_seq - self._seq_at_snapshot >= self._snapshot_every:
            await self._save_snapshot()
        self._arm_timer()

    # -- timers ----------------------------------------------------------------------------

    def _arm_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        deadline = self.core.next_timer()
        if deadline is None:
            return
        loop = asyncio.get_running_loop()
        delay = max(0.0, deadline - self._clock.now())
        self._timer = loop.call_at(loop.time() + delay, self._inbox.put_nowait, _TIMER_DUE)

    # -- recovery --------------------------------------------------------------------------

    async def _rebuild(self) -> None:
        snap = await self._log.latest_snapshot(self.tenant)
        if snap is None:
            core = self._core_factory()
            after = 0
        else:
            after, data = snap
            core = self._restore(data)
        self._seq_at_snapshot = after
        last = after
        for seq, _at, kind, payload in await self._log.read(self.tenant, after_seq=after):
            fact = self._codec.from_record(kind, payload)
            if fact is not None:  # records the core does not replay (e.g. configuration changes)
                core.apply(fact)
            last = seq
        self.core = core
        self._last_seq = last

    async def _save_snapshot(self) -> None:
        try:
            await self._log.save_snapshot(self.tenant, self._last_seq, self.core.snapshot())
            self._seq_at_snapshot = self._last_seq
        except Exception:
            log.exception("tenant %s: snapshot failed (the log still holds everything)", self.tenant)
