"""A call's state and the plumbing of its task: the inbox, timers, helper tasks, playing to the end."""

from __future__ import annotations

import asyncio
import uuid
from typing import TYPE_CHECKING, Any

from helpline.core.ivr import Flow
from helpline.edge.media import PlayItem, RtpLeg
from helpline.edge.sip import InboundCall
from helpline.features.voice.agents import AgentAttempt
from helpline.features.voice.events import Deadline
from helpline.features.voice.repository import CallRecord, LegRecord

if TYPE_CHECKING:
    from helpline.features.voice.service import VoiceService


class CallState:
    """What one call knows about itself, and the inbox its task reads events from."""

    def __init__(self, service: VoiceService, call: InboundCall, tenant: str, flow: Flow) -> None:
        self.service = service
        self.call = call
        self.tenant = tenant
        self.flow = flow
        self.partition = service.partitions[tenant]
        self.inbox: asyncio.Queue[object] = asyncio.Queue()
        self.leg: RtpLeg | None = None
        self.interaction: str | None = None
        self.queue: str | None = None
        self.attempts: dict[str, AgentAttempt] = {}
        self.connected: AgentAttempt | None = None
        self.variables: dict[str, str] = {}
        self.callback_requested = False
        now = service.clock.now()
        self.record = CallRecord(
            id=uuid.uuid4().hex, tenant_id=tenant, direction="inbound", caller=call.caller,
            called=call.called, started_at=now, flow=flow.name,
        )
        self.caller_record = LegRecord("caller", call.call_id, f"{call.peer[0]}:{call.peer[1]}", call.caller, now)
        self.record.legs.append(self.caller_record)
        self._generation = 0
        self._deadline_handle: asyncio.TimerHandle | None = None
        self._play_id: int | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    # -- plumbing --------------------------------------------------------------------------------
    def post(self, event: object) -> None:
        self.inbox.put_nowait(event)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _next(self, deadline: float | None) -> object:
        """The next event, or ``Deadline`` once ``deadline`` (clock time) has come."""
        if self._deadline_handle is not None:
            self._deadline_handle.cancel()
            self._deadline_handle = None
        self._generation += 1
        if deadline is not None:
            delay = max(0.0, deadline - self.service.clock.now())
            loop = asyncio.get_running_loop()
            self._deadline_handle = loop.call_later(delay, self.post, Deadline(self._generation))
        while True:
            event = await self.inbox.get()
            if isinstance(event, Deadline) and event.generation != self._generation:
                continue
            return event

    def now(self) -> float:
        return float(self.service.clock.now())

    async def _play_and_wait(self, items: list[PlayItem]) -> bool:
        """Play to the end; False when the caller hung up meanwhile."""
        if self.leg is None or not items or not self.call.active:
            return self.call.active
        playback = self.leg.play(items)
        done: asyncio.Future[Any] = asyncio.ensure_future(playback.done)
        gone: asyncio.Future[Any] = asyncio.ensure_future(asyncio.shield(self.call.ended))
        await asyncio.wait({done, gone}, return_when=asyncio.FIRST_COMPLETED)
        gone.cancel()
        return self.call.active
