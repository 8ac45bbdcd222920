"""Retransmitting a 2xx to INVITE until its ACK arrives (RFC 3261 §13.3.1.4).

Theory of operation
-------------------
The INVITE server transaction hands a 2xx to the transport once and leaves reliability to the
UAS core, because the ACK for a 2xx travels end to end in a transaction of its own. This
machine is that core duty: from the moment the 2xx is sent it is resent at T1, 2·T1, ... capped
at T2 (only on unreliable transports) until ``ack()`` is called; after 64·T1 without an ACK
it gives up, and the caller should then end the dialog with a BYE. Like the transactions it
takes ``now`` as an argument, reports ``next_timer()`` and queues what to send and what
happened. The states and inputs form a transition table; an input the table lacks raises
SipStateError and changes nothing.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from helpline.protocols.sip.errors import SipStateError
from helpline.protocols.sip.message import Response
from helpline.protocols.sip.transaction import Outgoing, Peer, Timers


class AnswerState(enum.Enum):
    WAITING_FOR_ACK = "waiting for ACK"
    ACKNOWLEDGED = "acknowledged"
    GAVE_UP = "gave up"


class AnswerInput(enum.Enum):
    RETRANSMIT = "retransmit timer"
    GIVE_UP = "give-up timer"
    ACK = "ACK"
    UPDATE = "new 2xx"


_TABLE: dict[tuple[AnswerState, AnswerInput], AnswerState] = {
    (AnswerState.WAITING_FOR_ACK, AnswerInput.RETRANSMIT): AnswerState.WAITING_FOR_ACK,
    (AnswerState.WAITING_FOR_ACK, AnswerInput.UPDATE): AnswerState.WAITING_FOR_ACK,
    (AnswerState.WAITING_FOR_ACK, AnswerInput.GIVE_UP): AnswerState.GAVE_UP,
    (AnswerState.WAITING_FOR_ACK, AnswerInput.ACK): AnswerState.ACKNOWLEDGED,
    # ACK retransmissions (one per 2xx copy that got through) are harmless.
    (AnswerState.ACKNOWLEDGED, AnswerInput.ACK): AnswerState.ACKNOWLEDGED,
}


@dataclass(frozen=True, slots=True)
class AnswerAcknowledged:
    response: Response


@dataclass(frozen=True, slots=True)
class AnswerTimedOut:
    """No ACK within 64·T1: the session is not established; send a BYE."""

    response: Response


class AnswerRetransmitter:
    def __init__(self, response: Response, peer: Peer, now: float, *, reliable: bool = False,
                 timers: Timers = Timers()) -> None:
        if not 200 <= response.status < 300 or response.cseq.method != "INVITE":
            raise SipStateError("only a 2xx to INVITE is retransmitted by the UAS core")
        self.response = response
        self.peer = peer
        self.reliable = reliable
        self.timers = timers
        self.state = AnswerState.WAITING_FOR_ACK
        self._interval = timers.t1
        self._retransmit_at: float | None = None if reliable else now + timers.t1
        self._give_up_at: float | None = now + 64 * timers.t1
        self._outbox: list[Outgoing] = []
        self._events: list[AnswerAcknowledged | AnswerTimedOut] = []

    def next_timer(self) -> float | None:
        deadlines = [t for t in (self._retransmit_at, self._give_up_at) if t is not None]
        return min(deadlines) if deadlines else None

    def handle_timer(self, now: float) -> None:
        while (t := self.next_timer()) is not None and t <= now:
            if self._give_up_at is not None and t == self._give_up_at:
                self._fire(AnswerInput.GIVE_UP)
                self._retransmit_at = self._give_up_at = None
                self._events.append(AnswerTimedOut(self.response))
            else:
                self._fire(AnswerInput.RETRANSMIT)
                self._outbox.append(Outgoing(self.response, self.peer))
                self._interval = min(2 * self._interval, self.timers.t2)
                self._retransmit_at = now + self._interval

    def ack(self, now: float) -> None:
        first = self.state is AnswerState.WAITING_FOR_ACK
        self._fire(AnswerInput.ACK)
        if first:
            self._retransmit_at = self._give_up_at = None
            self._events.append(AnswerAcknowledged(self.response))

    def replace(self, response: Response) -> None:
        """Retransmit a changed 2xx from now on (e.g. with a corrected body)."""
        self._fire(AnswerInput.UPDATE)
        self.response = response

    def messages_to_send(self) -> list[Outgoing]:
        out, self._outbox = self._outbox, []
        return out

    def pop_events(self) -> list[AnswerAcknowledged | AnswerTimedOut]:
        out, self._events = self._events, []
        return out

    def _fire(self, event: AnswerInput) -> None:
        try:
            self.state = _TABLE[(self.state, event)]
        except KeyError:
            raise SipStateError(f"2xx retransmission: {event.value} not allowed when {self.state.value}") from None
