"""asyncio transports for SIP: one UDP socket, and a TCP listener whose connections frame
messages with the sans-I/O ``StreamFramer``.

Both hand what arrives to the endpoint (``on_datagram`` for UDP bytes, ``on_stream_message``
for a framed message or a parse error) and send what the endpoint gives them. A TCP connection
whose framing is lost (no Content-Length, an oversized head) is closed, as RFC 3261 §18.3 asks.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, cast

from helpline.protocols.sip import Request, Response, SipFramingError, SipParseError, StreamFramer

log = logging.getLogger(__name__)

Peer = tuple[str, int]


class UdpTransport(asyncio.DatagramProtocol):
    def __init__(self, on_datagram: Callable[[bytes, Peer], None]) -> None:
        self._on_datagram = on_datagram
        self.transport: asyncio.DatagramTransport | None = None
        self.sent = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: Any) -> None:
        try:
            self._on_datagram(data, (addr[0], addr[1]))
        except Exception:
            log.exception("SIP: datagram from %s:%s could not be handled", addr[0], addr[1])

    def error_received(self, exc: Exception) -> None:
        log.debug("SIP UDP: %s", exc)

    def send(self, data: bytes, peer: Peer) -> None:
        if self.transport is not None:
            self.transport.sendto(data, peer)
            self.sent += 1

    @property
    def address(self) -> Peer:
        assert self.transport is not None
        host, port = self.transport.get_extra_info("sockname")[:2]
        return host, port

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


StreamHandler = Callable[["TcpConnection", "Request | Response | SipParseError"], None]


class TcpConnection(asyncio.Protocol):
    def __init__(self, on_message: StreamHandler, on_closed: Callable[[TcpConnection], None]) -> None:
        self._on_message = on_message
        self._on_closed = on_closed
        self.framer = StreamFramer()
        self.transport: asyncio.Transport | None = None
        self.peer: Peer = ("", 0)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        addr = transport.get_extra_info("peername")
        self.peer = (addr[0], addr[1])

    def data_received(self, data: bytes) -> None:
        try:
            self.framer.feed(data)
            while True:
                pings = self.framer.keepalive_pings
                try:
                    message = self.framer.next_message()
                except SipFramingError:
                    raise
                except SipParseError as exc:
                    self._on_message(self, exc)
                    continue
                if self.framer.keepalive_pings > pings:
                    self.write(b"\r\n" * (self.framer.keepalive_pings - pings))
                if message is None:
                    return
                self._on_message(self, message)
        except SipFramingError as exc:
            log.info("SIP TCP %s:%s: %s; closing the connection", *self.peer, exc)
            self.close()
        except Exception:
            log.exception("SIP TCP %s:%s: message could not be handled", *self.peer)

    def write(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        self._on_closed(self)

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()
