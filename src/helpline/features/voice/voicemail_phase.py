"""The voicemail phase of a call: the beep, the recording, and the message's interaction."""

from __future__ import annotations

import logging
import uuid
from pathlib import Path
from typing import Any

from helpline.core.config import Channel
from helpline.core.inputs import InteractionArrived
from helpline.core.ivr import RecordVoicemail
from helpline.features.voice.call_state import CallState
from helpline.features.voice.events import CallerGone, Deadline, Digit

log = logging.getLogger(__name__)


class VoicemailPhase(CallState):
    """Records a message and hands it to a queue as a voicemail interaction."""

    async def _voicemail(self, command: RecordVoicemail) -> None:
        leg, call = self.leg, self.call
        assert leg is not None
        if command.beep and not await self._play_and_wait([self.service.prompts.beep()]):
            return None
        message_id = uuid.uuid4().hex
        path = self.service.recording_path(self.tenant, f"voicemail-{message_id}")
        if leg.recorder is not None:
            leg.stop_recording()
        leg.record(path)
        deadline = self.now() + command.max_length_s
        while call.active:
            event = await self._next(deadline)
            if isinstance(event, Deadline | CallerGone) or (isinstance(event, Digit) and event.digit == "#"):
                break
        leg.stop_recording()
        self.record.recording = str(path)
        self.record.outcome = "voicemail"
        self.record.end_reason = self.record.end_reason or "voicemail"
        await self._leave_voicemail(message_id, path, command.queue_id or self.queue, command.attributes)
        if call.active:
            await self._play_and_wait(await self.service.prompts.say("Thank you. Goodbye."))
            call.hangup()
        return None

    def _voicemail_queues(self, queue: str | None) -> list[str]:
        """Where a voicemail goes, best first: the queue it was left in when that queue takes
        voicemail; else the tenant's first queue that takes voicemail; else the queue it was left
        in anyway, then the tenant's other queues. Every message thus becomes an interaction on
        the voicemail channel while the tenant has any queue at all."""
        queues = self.service.configs[self.tenant].queues
        takes = [q.id for q in queues if Channel.VOICEMAIL in q.channels]
        order = [queue] if queue in takes else []
        order += takes
        if queue is not None and any(q.id == queue for q in queues):
            order.append(queue)
        order += [q.id for q in queues]
        return list(dict.fromkeys(order))

    async def _leave_voicemail(self, message_id: str, path: Path, queue: str | None, extra: Any) -> None:
        call = self.call
        attributes = {**extra, "recording": str(path), "caller": call.caller, "called": call.called}
        if queue is not None:
            attributes["left_in_queue"] = queue
        for candidate in self._voicemail_queues(queue):
            try:
                await self.partition.submit(
                    InteractionArrived(message_id, candidate, Channel.VOICEMAIL, attributes=attributes, customer=call.caller)
                )
            except Exception as exc:
                log.warning("voicemail %s not accepted by queue %s: %s", message_id, candidate, exc)
                continue
            self.record.interaction_id = self.record.interaction_id or message_id
            if self.record.queue_id is None:
                self.record.queue_id = candidate
            return
        log.error("voicemail %s kept in %s, but no queue of tenant %s accepted it", message_id, path, self.tenant)
