"""Errors raised by the SIP stack."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from helpline.protocols.sip.message import Request, Response


class SipParseError(ValueError):
    """A message (or a part of one) that does not follow RFC 3261's grammar.

    ``reason`` is short and fit for a 400 response's reason phrase. ``status`` is the response a
    server should answer with (400, or 505 for an unknown SIP version). ``partial`` holds the
    message as far as it could be split into start line and header fields, so a server can still
    copy Via/From/To/Call-ID/CSeq into its error response; it is None when even that failed and
    the datagram should simply be dropped.
    """

    def __init__(self, reason: str, *, status: int = 400, partial: Request | Response | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.partial = partial


class SipFramingError(SipParseError):
    """A byte stream whose message boundaries are lost: the connection must be closed."""


class SipStateError(RuntimeError):
    """An event that the state machine does not allow in its current state (nothing changed)."""
