"""SIP transactions (RFC 3261 §17, with the RFC 6026 fixes for 2xx to INVITE).

Theory of operation
-------------------
A transaction is one request and the responses to it. It is sans-I/O in the aioquic style:
the owner pushes what happened in (``receive(msg, now)`` for wire input, ``send(response, now)``
for the transaction user's answer, ``handle_timer(now)`` when ``next_timer()`` is due,
``transport_error(now)``) and pulls what to do out (``messages_to_send()`` and
``pop_events()``). Time is only ever the ``now`` argument.

Each of the four kinds (client/server x INVITE/non-INVITE) is a transition table from
(state, input) to (next state, action). An input missing from the table is a protocol error: it
raises SipStateError and changes nothing. Inputs that RFC 3261 says to absorb (a retransmitted
response in Completed, a retransmitted request in Confirmed) are in the table with the action
"ignore", so they never raise. Each state owns a set of timers; entering a state cancels the
timers it does not own, and actions arm the ones they need.

On unreliable transports requests (client) and final responses (INVITE server) are
retransmitted on timers A/E/G, doubling up to T2; on reliable ones they are not, and the
waiting timers D, I, J, K are zero, so the transaction terminates as soon as it completes.
Following RFC 6026, a 2xx to INVITE moves both sides to Accepted (timers L and M) instead of
terminating, so 2xx retransmissions and the ACK reach the transaction user without creating
new transactions.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass

from helpline.protocols.sip.builders import BRANCH_COOKIE, build_ack_for_failure, build_response
from helpline.protocols.sip.errors import SipStateError
from helpline.protocols.sip.message import Request, Response

Peer = tuple[str, int]


@dataclass(frozen=True, slots=True)
class Timers:
    """RFC 3261 §17.1.1.1 / Table 4 base values, in seconds."""

    t1: float = 0.5
    t2: float = 4.0
    t4: float = 5.0


class Role(enum.Enum):
    CLIENT = "client"
    SERVER = "server"


@dataclass(frozen=True, slots=True)
class TransactionKey:
    """What identifies a transaction (RFC 3261 §17.1.3 for clients, §17.2.3 for servers).

    For requests from RFC 2543 peers (branch without the magic cookie) ``branch`` holds a
    digest of the fields §17.2.3 compares instead.
    """

    role: Role
    branch: str
    method: str
    sent_by: str = ""

    @classmethod
    def for_client(cls, message: Request | Response) -> TransactionKey:
        method = message.cseq.method
        # A CANCEL is its own transaction; the ACK of a failure belongs to the INVITE's.
        return cls(Role.CLIENT, message.top_via.branch or "", "INVITE" if method == "ACK" else method)

    @classmethod
    def for_server(cls, request: Request) -> TransactionKey:
        via = request.top_via
        method = "INVITE" if request.method == "ACK" else request.method
        branch = via.branch or ""
        if branch.startswith(BRANCH_COOKIE):
            return cls(Role.SERVER, branch, method, via.sent_by)
        # RFC 2543 matching: Request-URI, From tag, Call-ID, CSeq number and top Via.
        legacy = "|".join(
            (str(request.uri), request.from_.tag or "", request.call_id, str(request.cseq.seq), str(via))
        )
        return cls(Role.SERVER, "rfc2543:" + legacy, method, via.sent_by)


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A message for the transport to send to ``peer``."""

    message: Request | Response
    peer: Peer


# Events handed to the transaction user.
@dataclass(frozen=True, slots=True)
class ResponseReceived:
    transaction: TransactionKey
    response: Response


@dataclass(frozen=True, slots=True)
class AckReceived:
    """An ACK for a 2xx (a transaction of its own that belongs to the dialog), or an ACK that
    matched an INVITE server transaction in Accepted."""

    request: Request
    source: Peer


@dataclass(frozen=True, slots=True)
class TransactionTimeout:
    transaction: TransactionKey


@dataclass(frozen=True, slots=True)
class TransportFailed:
    transaction: TransactionKey


@dataclass(frozen=True, slots=True)
class TransactionTerminated:
    transaction: TransactionKey


TransactionEvent = ResponseReceived | AckReceived | TransactionTimeout | TransportFailed | TransactionTerminated


class State(enum.Enum):
    CALLING = "calling"
    TRYING = "trying"
    PROCEEDING = "proceeding"
    COMPLETED = "completed"
    CONFIRMED = "confirmed"
    ACCEPTED = "accepted"
    TERMINATED = "terminated"


class Input(enum.Enum):
    PROVISIONAL = "1xx"
    SUCCESS = "2xx"
    FAILURE = "3xx-6xx"
    FINAL = "final"
    REQUEST = "request retransmission"
    ACK = "ACK"
    SEND_PROVISIONAL = "send 1xx"
    SEND_SUCCESS = "send 2xx"
    SEND_FAILURE = "send 3xx-6xx"
    SEND_FINAL = "send final"
    TIMER_A = "timer A"
    TIMER_B = "timer B"
    TIMER_D = "timer D"
    TIMER_E = "timer E"
    TIMER_F = "timer F"
    TIMER_G = "timer G"
    TIMER_H = "timer H"
    TIMER_I = "timer I"
    TIMER_J = "timer J"
    TIMER_K = "timer K"
    TIMER_L = "timer L"
    TIMER_M = "timer M"
    TRANSPORT_ERROR = "transport error"


S = State
I = Input  # noqa: E741 - table shorthand
Table = dict[tuple[State, Input], tuple[State, str]]


class Transaction:
    """What the four transaction kinds share: timers, outbox, events and the table driver."""

    TABLE: Table = {}
    STATE_TIMERS: dict[State, frozenset[Input]] = {}
    INITIAL = State.TERMINATED

    def __init__(self, request: Request, peer: Peer, *, reliable: bool, timers: Timers, key: TransactionKey) -> None:
        self.request = request
        self.peer = peer
        self.reliable = reliable
        self.timers = timers
        self.key = key
        self.state = self.INITIAL
        self._deadlines: dict[Input, float] = {}
        self._intervals: dict[Input, float] = {}
        self._outbox: list[Outgoing] = []
        self._events: list[TransactionEvent] = []

    # -- what the owner calls ---------------------------------------------------------------
    def next_timer(self) -> float | None:
        return min(self._deadlines.values()) if self._deadlines else None

    def handle_timer(self, now: float) -> None:
        self._settle(now)

    def transport_error(self, now: float) -> None:
        self._fire(Input.TRANSPORT_ERROR, now, None)

    def messages_to_send(self) -> list[Outgoing]:
        out, self._outbox = self._outbox, []
        return out

    def pop_events(self) -> list[TransactionEvent]:
        out, self._events = self._events, []
        return out

    @property
    def terminated(self) -> bool:
        return self.state is State.TERMINATED

    # -- machinery -----------------------------------------------------------------------------
    def _fire(self, event: Input, now: float, message: Request | Response | None) -> None:
        try:
            next_state, action = self.TABLE[(self.state, event)]
        except KeyError:
            raise SipStateError(f"{type(self).__name__}: {event.value} not allowed in {self.state.value}") from None
        if next_state is not self.state:
            self.state = next_state
            keep = self.STATE_TIMERS.get(next_state, frozenset())
            self._deadlines = {t: d for t, d in self._deadlines.items() if t in keep}
        handler: Callable[[float, Request | Response | None], None] = getattr(self, "_" + action)
        handler(now, message)
        if next_state is State.TERMINATED and action != "ignore":
            self._deadlines.clear()
            self._events.append(TransactionTerminated(self.key))
        self._settle(now)

    def _settle(self, now: float) -> None:
        while self._deadlines:
            timer, deadline = min(self._deadlines.items(), key=lambda item: item[1])
            if deadline > now:
                return
            del self._deadlines[timer]
            self._fire(timer, now, None)

    def _arm(self, timer: Input, now: float, interval: float) -> None:
        self._intervals[timer] = interval
        self._deadlines[timer] = now + interval

    def _send(self, message: Request | Response) -> None:
        self._outbox.append(Outgoing(message, self.peer))

    def _ignore(self, now: float, message: Request | Response | None) -> None:
        pass

    def _terminate(self, now: float, message: Request | Response | None) -> None:
        pass

    def _timeout(self, now: float, message: Request | Response | None) -> None:
        self._events.append(TransactionTimeout(self.key))

    def _fail_transport(self, now: float, message: Request | Response | None) -> None:
        self._events.append(TransportFailed(self.key))

    def _pass_up(self, now: float, message: Request | Response | None) -> None:
        assert isinstance(message, Response)
        self._events.append(ResponseReceived(self.key, message))

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.request.method} {self.key.branch} {self.state.value}>"


def _response_input(response: Response) -> Input:
    if response.status < 200:
        return Input.PROVISIONAL
    return Input.SUCCESS if response.status < 300 else Input.FAILURE


class ClientInviteTransaction(Transaction):
    """RFC 3261 §17.1.1 (Figure 5) with RFC 6026's Accepted state."""

    INITIAL = S.CALLING
    STATE_TIMERS = {
        S.CALLING: frozenset({I.TIMER_A, I.TIMER_B}),
        S.COMPLETED: frozenset({I.TIMER_D}),
        S.ACCEPTED: frozenset({I.TIMER_M}),
    }
    TABLE: Table = {
        (S.CALLING, I.TIMER_A): (S.CALLING, "retransmit"),
        (S.CALLING, I.TIMER_B): (S.TERMINATED, "timeout"),
        (S.CALLING, I.PROVISIONAL): (S.PROCEEDING, "pass_up"),
        (S.CALLING, I.SUCCESS): (S.ACCEPTED, "accept"),
        (S.CALLING, I.FAILURE): (S.COMPLETED, "complete"),
        (S.CALLING, I.TRANSPORT_ERROR): (S.TERMINATED, "fail_transport"),
        (S.PROCEEDING, I.PROVISIONAL): (S.PROCEEDING, "pass_up"),
        (S.PROCEEDING, I.SUCCESS): (S.ACCEPTED, "accept"),
        (S.PROCEEDING, I.FAILURE): (S.COMPLETED, "complete"),
        (S.PROCEEDING, I.TRANSPORT_ERROR): (S.TERMINATED, "fail_transport"),
        (S.COMPLETED, I.FAILURE): (S.COMPLETED, "resend_ack"),
        (S.COMPLETED, I.PROVISIONAL): (S.COMPLETED, "ignore"),
        (S.COMPLETED, I.SUCCESS): (S.COMPLETED, "ignore"),
        (S.COMPLETED, I.TIMER_D): (S.TERMINATED, "terminate"),
        (S.COMPLETED, I.TRANSPORT_ERROR): (S.TERMINATED, "fail_transport"),
        (S.ACCEPTED, I.SUCCESS): (S.ACCEPTED, "pass_up"),
        (S.ACCEPTED, I.PROVISIONAL): (S.ACCEPTED, "ignore"),
        (S.ACCEPTED, I.FAILURE): (S.ACCEPTED, "ignore"),
        (S.ACCEPTED, I.TIMER_M): (S.TERMINATED, "terminate"),
        (S.ACCEPTED, I.TRANSPORT_ERROR): (S.ACCEPTED, "ignore"),
    }

    def __init__(self, request: Request, peer: Peer, now: float, *, reliable: bool = False, timers: Timers = Timers()) -> None:
        super().__init__(request, peer, reliable=reliable, timers=timers, key=TransactionKey.for_client(request))
        self._ack: Request | None = None
        self._send(request)
        if not reliable:
            self._arm(I.TIMER_A, now, timers.t1)
        self._arm(I.TIMER_B, now, 64 * timers.t1)

    def receive(self, response: Response, now: float) -> None:
        self._fire(_response_input(response), now, response)

    def _retransmit(self, now: float, message: Request | Response | None) -> None:
        self._send(self.request)
        self._arm(I.TIMER_A, now, 2 * self._intervals[I.TIMER_A])

    def _accept(self, now: float, message: Request | Response | None) -> None:
        self._pass_up(now, message)
        self._arm(I.TIMER_M, now, 64 * self.timers.t1)

    def _complete(self, now: float, message: Request | Response | None) -> None:
        assert isinstance(message, Response)
        self._pass_up(now, message)
        self._ack = build_ack_for_failure(self.request, message)
        self._send(self._ack)
        self._arm(I.TIMER_D, now, 0.0 if self.reliable else 32.0)

    def _resend_ack(self, now: float, message: Request | Response | None) -> None:
        if self._ack is not None:
            self._send(self._ack)


class ClientNonInviteTransaction(Transaction):
    """RFC 3261 §17.1.2 (Figure 6)."""

    INITIAL = S.TRYING
    STATE_TIMERS = {
        S.TRYING: frozenset({I.TIMER_E, I.TIMER_F}),
        S.PROCEEDING: frozenset({I.TIMER_E, I.TIMER_F}),
        S.COMPLETED: frozenset({I.TIMER_K}),
    }
    TABLE: Table = {
        (S.TRYING, I.TIMER_E): (S.TRYING, "retransmit"),
        (S.TRYING, I.TIMER_F): (S.TERMINATED, "timeout"),
        (S.TRYING, I.PROVISIONAL): (S.PROCEEDING, "pass_up"),
        (S.TRYING, I.FINAL): (S.COMPLETED, "complete"),
        (S.TRYING, I.TRANSPORT_ERROR): (S.TERMINATED, "fail_transport"),
        (S.PROCEEDING, I.TIMER_E): (S.PROCEEDING, "retransmit"),
        (S.PROCEEDING, I.TIMER_F): (S.TERMINATED, "timeout"),
        (S.PROCEEDING, I.PROVISIONAL): (S.PROCEEDING, "pass_up"),
        (S.PROCEEDING, I.FINAL): (S.COMPLETED, "complete"),
        (S.PROCEEDING, I.TRANSPORT_ERROR): (S.TERMINATED, "fail_transport"),
        (S.COMPLETED, I.PROVISIONAL): (S.COMPLETED, "ignore"),
        (S.COMPLETED, I.FINAL): (S.COMPLETED, "ignore"),
        (S.COMPLETED, I.TIMER_K): (S.TERMINATED, "terminate"),
        (S.COMPLETED, I.TRANSPORT_ERROR): (S.COMPLETED, "ignore"),
    }

    def __init__(self, request: Request, peer: Peer, now: float, *, reliable: bool = False, timers: Timers = Timers()) -> None:
        super().__init__(request, peer, reliable=reliable, timers=timers, key=TransactionKey.for_client(request))
        self._send(request)
        if not reliable:
            self._arm(I.TIMER_E, now, timers.t1)
        self._arm(I.TIMER_F, now, 64 * timers.t1)

    def receive(self, response: Response, now: float) -> None:
        self._fire(I.PROVISIONAL if response.status < 200 else I.FINAL, now, response)

    def _retransmit(self, now: float, message: Request | Response | None) -> None:
        self._send(self.request)
        if self.state is S.PROCEEDING:
            interval = self.timers.t2
        else:
            interval = min(2 * self._intervals[I.TIMER_E], self.timers.t2)
        self._arm(I.TIMER_E, now, interval)

    def _complete(self, now: float, message: Request | Response | None) -> None:
        self._pass_up(now, message)
        self._arm(I.TIMER_K, now, 0.0 if self.reliable else self.timers.t4)


class ServerInviteTransaction(Transaction):
    """RFC 3261 §17.2.1 (Figure 7) with RFC 6026's Accepted state.

    A 100 Trying goes out at once (``auto_trying``) so the client stops retransmitting while
    the transaction user decides.
    """

    INITIAL = S.PROCEEDING
    STATE_TIMERS = {
        S.COMPLETED: frozenset({I.TIMER_G, I.TIMER_H}),
        S.CONFIRMED: frozenset({I.TIMER_I}),
        S.ACCEPTED: frozenset({I.TIMER_L}),
    }
    TABLE: Table = {
        (S.PROCEEDING, I.REQUEST): (S.PROCEEDING, "resend_last"),
        (S.PROCEEDING, I.ACK): (S.PROCEEDING, "ignore"),
        (S.PROCEEDING, I.SEND_PROVISIONAL): (S.PROCEEDING, "send_response"),
        (S.PROCEEDING, I.SEND_SUCCESS): (S.ACCEPTED, "accept"),
        (S.PROCEEDING, I.SEND_FAILURE): (S.COMPLETED, "complete"),
        (S.PROCEEDING, I.TRANSPORT_ERROR): (S.TERMINATED, "fail_transport"),
        (S.COMPLETED, I.REQUEST): (S.COMPLETED, "resend_last"),
        (S.COMPLETED, I.ACK): (S.CONFIRMED, "confirm"),
        (S.COMPLETED, I.TIMER_G): (S.COMPLETED, "retransmit"),
        (S.COMPLETED, I.TIMER_H): (S.TERMINATED, "timeout"),
        (S.COMPLETED, I.TRANSPORT_ERROR): (S.TERMINATED, "fail_transport"),
        (S.CONFIRMED, I.REQUEST): (S.CONFIRMED, "ignore"),
        (S.CONFIRMED, I.ACK): (S.CONFIRMED, "ignore"),
        (S.CONFIRMED, I.TIMER_I): (S.TERMINATED, "terminate"),
        (S.CONFIRMED, I.TRANSPORT_ERROR): (S.CONFIRMED, "ignore"),
        (S.ACCEPTED, I.REQUEST): (S.ACCEPTED, "ignore"),
        (S.ACCEPTED, I.ACK): (S.ACCEPTED, "pass_ack"),
        (S.ACCEPTED, I.SEND_SUCCESS): (S.ACCEPTED, "send_response"),
        (S.ACCEPTED, I.TIMER_L): (S.TERMINATED, "terminate"),
        (S.ACCEPTED, I.TRANSPORT_ERROR): (S.ACCEPTED, "ignore"),
    }

    def __init__(
        self,
        request: Request,
        peer: Peer,
        now: float,
        *,
        reliable: bool = False,
        timers: Timers = Timers(),
        auto_trying: bool = True,
    ) -> None:
        super().__init__(request, peer, reliable=reliable, timers=timers, key=TransactionKey.for_server(request))
        self._last: Response | None = None
        if auto_trying:
            self.send(build_response(request, 100), now)

    def receive(self, request: Request, now: float) -> None:
        self._fire(I.ACK if request.method == "ACK" else I.REQUEST, now, request)

    def send(self, response: Response, now: float) -> None:
        if response.status < 200:
            event = I.SEND_PROVISIONAL
        else:
            event = I.SEND_SUCCESS if response.status < 300 else I.SEND_FAILURE
        self._fire(event, now, response)

    def _send_response(self, now: float, message: Request | Response | None) -> None:
        assert isinstance(message, Response)
        self._last = message
        self._send(message)

    def _resend_last(self, now: float, message: Request | Response | None) -> None:
        if self._last is not None:
            self._send(self._last)

    def _accept(self, now: float, message: Request | Response | None) -> None:
        self._send_response(now, message)
        self._arm(I.TIMER_L, now, 64 * self.timers.t1)

    def _complete(self, now: float, message: Request | Response | None) -> None:
        self._send_response(now, message)
        if not self.reliable:
            self._arm(I.TIMER_G, now, self.timers.t1)
        self._arm(I.TIMER_H, now, 64 * self.timers.t1)

    def _retransmit(self, now: float, message: Request | Response | None) -> None:
        self._resend_last(now, message)
        self._arm(I.TIMER_G, now, min(2 * self._intervals[I.TIMER_G], self.timers.t2))

    def _confirm(self, now: float, message: Request | Response | None) -> None:
        self._arm(I.TIMER_I, now, 0.0 if self.reliable else self.timers.t4)

    def _pass_ack(self, now: float, message: Request | Response | None) -> None:
        assert isinstance(message, Request)
        self._events.append(AckReceived(message, self.peer))


class ServerNonInviteTransaction(Transaction):
    """RFC 3261 §17.2.2 (Figure 8)."""

    INITIAL = S.TRYING
    STATE_TIMERS = {S.COMPLETED: frozenset({I.TIMER_J})}
    TABLE: Table = {
        (S.TRYING, I.REQUEST): (S.TRYING, "ignore"),
        (S.TRYING, I.SEND_PROVISIONAL): (S.PROCEEDING, "send_response"),
        (S.TRYING, I.SEND_FINAL): (S.COMPLETED, "complete"),
        (S.TRYING, I.TRANSPORT_ERROR): (S.TERMINATED, "fail_transport"),
        (S.PROCEEDING, I.REQUEST): (S.PROCEEDING, "resend_last"),
        (S.PROCEEDING, I.SEND_PROVISIONAL): (S.PROCEEDING, "send_response"),
        (S.PROCEEDING, I.SEND_FINAL): (S.COMPLETED, "complete"),
        (S.PROCEEDING, I.TRANSPORT_ERROR): (S.TERMINATED, "fail_transport"),
        (S.COMPLETED, I.REQUEST): (S.COMPLETED, "resend_last"),
        (S.COMPLETED, I.TIMER_J): (S.TERMINATED, "terminate"),
        (S.COMPLETED, I.TRANSPORT_ERROR): (S.TERMINATED, "fail_transport"),
    }

    def __init__(self, request: Request, peer: Peer, now: float, *, reliable: bool = False, timers: Timers = Timers()) -> None:
        super().__init__(request, peer, reliable=reliable, timers=timers, key=TransactionKey.for_server(request))
        self._last: Response | None = None

    def receive(self, request: Request, now: float) -> None:
        self._fire(I.REQUEST, now, request)

    def send(self, response: Response, now: float) -> None:
        self._fire(I.SEND_PROVISIONAL if response.status < 200 else I.SEND_FINAL, now, response)

    def _send_response(self, now: float, message: Request | Response | None) -> None:
        assert isinstance(message, Response)
        self._last = message
        self._send(message)

    def _resend_last(self, now: float, message: Request | Response | None) -> None:
        if self._last is not None:
            self._send(self._last)

    def _complete(self, now: float, message: Request | Response | None) -> None:
        self._send_response(now, message)
        self._arm(I.TIMER_J, now, 0.0 if self.reliable else 64 * self.timers.t1)


ClientTransaction = ClientInviteTransaction | ClientNonInviteTransaction
ServerTransaction = ServerInviteTransaction | ServerNonInviteTransaction


def response_peer(request: Request, source: Peer, *, reliable: bool) -> Peer:
    """Where responses to ``request`` go (RFC 3261 §18.2.2, RFC 3581 rport)."""
    if reliable:
        return source
    via = request.top_via
    maddr = via.param("maddr")
    if maddr:
        return (maddr, via.port or 5060)
    if via.wants_rport:
        return source
    return (source[0], via.port or 5060)
