"""Message framing on stream transports (TCP, TLS): RFC 3261 §18.3.

Bytes arrive in arbitrary pieces; ``feed()`` buffers them and ``next_message()`` hands out one
complete message at a time, using Content-Length to find where each body ends. Two outcomes of
a bad message differ: when its extent is known (headers complete, valid Content-Length) it is
consumed and a SipParseError is raised so the caller can answer 400 and carry on; when the
boundary itself is lost (no or bad Content-Length, an oversized header section) SipFramingError
is raised and the connection must be closed.
"""

from __future__ import annotations

from typing import NoReturn

from helpline.protocols.sip.errors import SipFramingError, SipParseError
from helpline.protocols.sip.message import Request, Response
from helpline.protocols.sip.parser import content_length_of_head, parse_message, skip_leading_crlf, split_head


class StreamFramer:
    __slots__ = ("_buffer", "_failed", "keepalive_pings", "max_body", "max_head")

    def __init__(self, *, max_head: int = 65536, max_body: int = 1 << 20) -> None:
        self._buffer = bytearray()
        self._failed = False
        self.max_head = max_head
        self.max_body = max_body
        # RFC 5626 §3.5.1 double-CRLF pings seen so far; the caller answers each with one CRLF.
        self.keepalive_pings = 0

    def feed(self, data: bytes) -> None:
        if self._failed:
            raise SipFramingError("stream already failed")
        self._buffer += data

    def next_message(self) -> Request | Response | None:
        """The next complete message, or None until more bytes arrive."""
        if self._failed:
            raise SipFramingError("stream already failed")
        buf = bytes(self._buffer)
        start = skip_leading_crlf(buf)
        if start:
            self.keepalive_pings += buf[:start].count(b"\r\n\r\n")
            del self._buffer[:start]
            buf = buf[start:]
        if not buf:
            return None
        split = split_head(buf)
        if split is None:
            if len(buf) > self.max_head:
                self._fail(f"header section longer than {self.max_head} octets")
            return None
        lines, body_start = split
        try:
            length = content_length_of_head(lines)
        except SipParseError as exc:
            self._fail(exc.reason)
        if length is None:
            self._fail("missing Content-Length on a stream transport")
        if length > self.max_body:
            self._fail(f"body of {length} octets is too large")
        end = body_start + length
        if len(buf) < end:
            return None
        del self._buffer[:end]
        return parse_message(buf[:end], stream=True)

    def _fail(self, reason: str) -> NoReturn:
        self._failed = True
        self._buffer.clear()
        raise SipFramingError(reason)

    @property
    def buffered(self) -> int:
        return len(self._buffer)
