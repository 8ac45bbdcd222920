"""Helpline's sans-I/O SIP stack: messages, transactions, dialogs, digest auth and SDP.

Nothing here touches a socket or a clock. The SIP edge parses bytes with ``parse_message`` (or
``StreamFramer`` on TCP), feeds them to a ``TransactionLayer`` with the current time, sends what
``messages_to_send()`` returns, and arms one timer at ``next_timer()``.
"""

from __future__ import annotations

from helpline.protocols.sip.answer_retransmission import (
    AnswerAcknowledged,
    AnswerRetransmitter,
    AnswerTimedOut,
)
from helpline.protocols.sip.builders import (
    add_received,
    build_ack_for_failure,
    build_cancel,
    build_error_response,
    build_request,
    build_response,
    new_branch,
    new_call_id,
    new_tag,
)
from helpline.protocols.sip.dialog import Dialog, DialogId, DialogState
from helpline.protocols.sip.digest import (
    AuthResult,
    AuthStatus,
    Challenge,
    Credentials,
    DigestClient,
    DigestServer,
    NonceState,
    compute_response,
)
from helpline.protocols.sip.errors import SipFramingError, SipParseError, SipStateError
from helpline.protocols.sip.framing import StreamFramer
from helpline.protocols.sip.headers import Address, CSeq, Via, canonical_name
from helpline.protocols.sip.message import HeaderField, Headers, Request, Response
from helpline.protocols.sip.offer_answer import (
    PCMA,
    PCMU,
    Codec,
    NegotiatedAudio,
    accept_answer,
    build_answer,
    build_offer,
)
from helpline.protocols.sip.parser import parse_message
from helpline.protocols.sip.sdp import Direction, MediaDescription, SdpParseError, SessionDescription
from helpline.protocols.sip.transaction import (
    AckReceived,
    ClientInviteTransaction,
    ClientNonInviteTransaction,
    Outgoing,
    ResponseReceived,
    ServerInviteTransaction,
    ServerNonInviteTransaction,
    Timers,
    TransactionKey,
    TransactionTerminated,
    TransactionTimeout,
    TransportFailed,
)
from helpline.protocols.sip.transaction_layer import RequestReceived, StrayResponse, TransactionLayer
from helpline.protocols.sip.uri import AbsoluteUri, SipUri, parse_uri

__all__ = [
    "PCMA",
    "PCMU",
    "AbsoluteUri",
    "AckReceived",
    "AnswerAcknowledged",
    "AnswerRetransmitter",
    "AnswerTimedOut",
    "Address",
    "AuthResult",
    "AuthStatus",
    "CSeq",
    "Challenge",
    "ClientInviteTransaction",
    "ClientNonInviteTransaction",
    "Codec",
    "Credentials",
    "Dialog",
    "DialogId",
    "DialogState",
    "DigestClient",
    "DigestServer",
    "Direction",
    "HeaderField",
    "Headers",
    "MediaDescription",
    "NegotiatedAudio",
    "NonceState",
    "Outgoing",
    "Request",
    "RequestReceived",
    "Response",
    "ResponseReceived",
    "SdpParseError",
    "ServerInviteTransaction",
    "ServerNonInviteTransaction",
    "SessionDescription",
    "SipFramingError",
    "SipParseError",
    "SipStateError",
    "SipUri",
    "StrayResponse",
    "StreamFramer",
    "Timers",
    "TransactionKey",
    "TransactionLayer",
    "TransactionTerminated",
    "TransactionTimeout",
    "TransportFailed",
    "Via",
    "accept_answer",
    "add_received",
    "build_ack_for_failure",
    "build_answer",
    "build_cancel",
    "build_error_response",
    "build_offer",
    "build_request",
    "build_response",
    "canonical_name",
    "compute_response",
    "new_branch",
    "new_call_id",
    "new_tag",
    "parse_message",
    "parse_uri",
]
