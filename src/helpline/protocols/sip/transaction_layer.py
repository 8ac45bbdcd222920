"""The transaction layer: routes messages to transactions and new requests to the TU.

Theory of operation
-------------------
The owner (the SIP edge) feeds every parsed message with ``receive(msg, source, now,
reliable=...)``. A response goes to the client transaction whose branch and CSeq method match
(RFC 3261 §17.1.3); a response matching none (typically a 2xx retransmitted after the INVITE
transaction ended) becomes StrayResponse for the dialog layer. A request goes to the server
transaction it matches (§17.2.3): that is a retransmission, or the ACK of a failure response.
An ACK matching nothing acknowledges a 2xx and becomes AckReceived for the dialog layer. Any
other request creates a server transaction and is handed up as RequestReceived; the TU
answers with ``send_response(key, response, now)``.

Like the transactions it holds, the layer does no I/O: ``messages_to_send()``,
``next_timer()``/``handle_timer(now)`` and ``pop_events()`` are the whole interface out.
Terminated transactions are dropped after their TransactionTerminated event is queued.
Deadlines sit in a heap with lazy deletion so that finding the next one stays cheap with
tens of thousands of live transactions.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from itertools import count

from helpline.protocols.sip.errors import SipStateError
from helpline.protocols.sip.message import Request, Response
from helpline.protocols.sip.transaction import (
    AckReceived,
    ClientInviteTransaction,
    ClientNonInviteTransaction,
    ClientTransaction,
    Outgoing,
    Peer,
    Role,
    ServerInviteTransaction,
    ServerNonInviteTransaction,
    ServerTransaction,
    Timers,
    TransactionEvent,
    TransactionKey,
    response_peer,
)


@dataclass(frozen=True, slots=True)
class RequestReceived:
    """A new request; answer it through ``send_response(transaction, ...)``."""

    transaction: TransactionKey
    request: Request
    source: Peer


@dataclass(frozen=True, slots=True)
class StrayResponse:
    """A response that matches no client transaction (e.g. a 2xx retransmission)."""

    response: Response
    source: Peer


LayerEvent = TransactionEvent | RequestReceived | StrayResponse


class TransactionLayer:
    def __init__(self, timers: Timers = Timers()) -> None:
        self.timers = timers
        self._transactions: dict[TransactionKey, ClientTransaction | ServerTransaction] = {}
        self._heap: list[tuple[float, int, TransactionKey]] = []
        self._seq = count()
        self._outbox: list[Outgoing] = []
        self._events: list[LayerEvent] = []

    # -- input ----------------------------------------------------------------------------
    def receive(self, message: Request | Response, source: Peer, now: float, *, reliable: bool) -> None:
        if isinstance(message, Response):
            key = TransactionKey.for_client(message)
            client = self._transactions.get(key)
            if isinstance(client, ClientInviteTransaction | ClientNonInviteTransaction):
                client.receive(message, now)
                self._collect(client)
            else:
                self._events.append(StrayResponse(message, source))
            return
        key = TransactionKey.for_server(message)
        existing = self._transactions.get(key)
        if isinstance(existing, ServerInviteTransaction | ServerNonInviteTransaction):
            existing.receive(message, now)
            self._collect(existing)
            return
        if message.method == "ACK":
            self._events.append(AckReceived(message, source))
            return
        peer = response_peer(message, source, reliable=reliable)
        tx: ServerTransaction
        if message.method == "INVITE":
            tx = ServerInviteTransaction(message, peer, now, reliable=reliable, timers=self.timers)
        else:
            tx = ServerNonInviteTransaction(message, peer, now, reliable=reliable, timers=self.timers)
        self._transactions[tx.key] = tx
        self._events.append(RequestReceived(tx.key, message, source))
        self._collect(tx)

    def send_request(self, request: Request, destination: Peer, now: float, *, reliable: bool) -> TransactionKey:
        """Start a client transaction (the request goes out at once)."""
        if request.method == "ACK":
            raise SipStateError("an ACK for a 2xx is sent by the dialog, outside any transaction")
        tx: ClientTransaction
        if request.method == "INVITE":
            tx = ClientInviteTransaction(request, destination, now, reliable=reliable, timers=self.timers)
        else:
            tx = ClientNonInviteTransaction(request, destination, now, reliable=reliable, timers=self.timers)
        if tx.key in self._transactions:
            raise SipStateError(f"a transaction with branch {tx.key.branch} already exists")
        self._transactions[tx.key] = tx
        self._collect(tx)
        return tx.key

    def send_response(self, key: TransactionKey, response: Response, now: float) -> None:
        tx = self._transactions.get(key)
        if not isinstance(tx, ServerInviteTransaction | ServerNonInviteTransaction):
            raise SipStateError(f"no server transaction {key.branch} {key.method}")
        tx.send(response, now)
        self._collect(tx)

    def send_stateless(self, message: Request | Response, peer: Peer) -> None:
        """Queue a message outside any transaction (an ACK for a 2xx, a 2xx retransmission)."""
        self._outbox.append(Outgoing(message, peer))

    def transport_error(self, key: TransactionKey, now: float) -> None:
        tx = self._transactions.get(key)
        if tx is not None:
            tx.transport_error(now)
            self._collect(tx)

    def handle_timer(self, now: float) -> None:
        while self._heap and self._heap[0][0] <= now:
            deadline, _, key = heapq.heappop(self._heap)
            tx = self._transactions.get(key)
            if tx is None or tx.next_timer() != deadline:
                continue  # stale entry: the transaction ended or re-armed
            tx.handle_timer(now)
            self._collect(tx)

    # -- output ---------------------------------------------------------------------------
    def next_timer(self) -> float | None:
        while self._heap:
            deadline, _, key = self._heap[0]
            tx = self._transactions.get(key)
            if tx is not None and tx.next_timer() == deadline:
                return deadline
            heapq.heappop(self._heap)
        return None

    def messages_to_send(self) -> list[Outgoing]:
        out, self._outbox = self._outbox, []
        return out

    def pop_events(self) -> list[LayerEvent]:
        out, self._events = self._events, []
        return out

    # -- lookups --------------------------------------------------------------------------
    def get(self, key: TransactionKey) -> ClientTransaction | ServerTransaction | None:
        return self._transactions.get(key)

    def invite_for_cancel(self, cancel: Request) -> TransactionKey | None:
        """The INVITE server transaction a CANCEL refers to (RFC 3261 §9.2): same branch and
        sent-by, method INVITE."""
        key = TransactionKey.for_server(cancel)
        # RFC 2543 keys embed the Request-URI, CSeq number and Via, which CANCEL shares too.
        invite_key = TransactionKey(Role.SERVER, key.branch, "INVITE", key.sent_by)
        return invite_key if invite_key in self._transactions else None

    def __len__(self) -> int:
        return len(self._transactions)

    def _collect(self, tx: ClientTransaction | ServerTransaction) -> None:
        self._outbox.extend(tx.messages_to_send())
        self._events.extend(tx.pop_events())
        if tx.terminated:
            self._transactions.pop(tx.key, None)
            return
        deadline = tx.next_timer()
        if deadline is not None:
            heapq.heappush(self._heap, (deadline, next(self._seq), tx.key))
