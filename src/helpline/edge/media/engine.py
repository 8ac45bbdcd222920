"""The media engine: RTP ports, the shared ticker, and the legs of one process.

One object per process, made by the composition root (``MediaEngine.from_settings``); tests
make their own. It binds each leg's UDP socket on a port from the allocator, trying the next
port when another program holds one, and raises ``MediaPortsExhausted`` when none is left.
The engine makes the socket itself and hands it to the loop, so that the leg can also send on
it directly (see ``RtpLeg.use_socket``).
It also runs the no-media watchdog over the legs that asked for it, on the same ticker.
"""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import logging
import socket
from collections.abc import Callable

from helpline.edge.media.bridge import Bridge
from helpline.edge.media.leg import DtmfReceived, RemotePolicy, RtpLeg
from helpline.edge.media.ports import MediaPortsExhausted, RtpPortAllocator
from helpline.edge.media.ticker import MediaTicker
from helpline.protocols.rtp.g711 import G711
from helpline.settings import Settings

log = logging.getLogger(__name__)


class MediaEngine:
    def __init__(
        self,
        host: str = "127.0.0.1",
        port_min: int = 20000,
        port_max: int = 30000,
        *,
        loop: asyncio.AbstractEventLoop | None = None,
        period: float = 0.020,
    ) -> None:
        self.host = host
        try:
            self._family = socket.AF_INET6 if ipaddress.ip_address(host).version == 6 else socket.AF_INET
        except ValueError:
            self._family = socket.AF_INET  # a host name: bound as IPv4
        self.ports = RtpPortAllocator(port_min, port_max)
        self._loop = loop or asyncio.get_running_loop()
        self.ticker = MediaTicker(self._loop, period=period)
        self.legs: set[RtpLeg] = set()
        self._watched: dict[RtpLeg, None] = {}
        self._watchdog = _Watchdog(self._watched)

    @classmethod
    def from_settings(
        cls, settings: Settings, *, loop: asyncio.AbstractEventLoop | None = None
    ) -> MediaEngine:
        return cls(settings.sip.host, settings.sip.rtp_port_min, settings.sip.rtp_port_max, loop=loop)

    async def open_leg(
        self,
        *,
        codec: G711 = G711.PCMU,
        telephone_event_pt: int | None = 101,
        policy: RemotePolicy = RemotePolicy.SDP,
        on_dtmf: Callable[[DtmfReceived], None] | None = None,
        name: str = "",
    ) -> RtpLeg:
        """Bind a new leg's socket. Raises ``MediaPortsExhausted`` when no port is free."""
        for _ in range(self.ports.available):
            port = self.ports.allocate()
            leg = RtpLeg(
                self,
                self._loop,
                host=self.host,
                port=port,
                codec=codec,
                telephone_event_pt=telephone_event_pt,
                policy=policy,
                on_dtmf=on_dtmf,
                name=name,
            )
            sock = socket.socket(self._family, socket.SOCK_DGRAM)
            try:
                sock.setblocking(False)
                sock.bind((self.host, port))
            except OSError as exc:
                sock.close()
                self.ports.release(port)
                if exc.errno != errno.EADDRINUSE:
                    raise
                log.debug("RTP port %d is held by another program; trying the next", port)
                continue
            try:
                await self._loop.create_datagram_endpoint(lambda leg=leg: leg, sock=sock)  # type: ignore[misc]
            except BaseException:
                sock.close()
                self.ports.release(port)
                raise
            leg.use_socket(sock)
            self.legs.add(leg)
            return leg
        raise MediaPortsExhausted(
            f"no free RTP port in {self.ports.port_min}-{self.ports.port_max} "
            f"({self.ports.capacity - self.ports.available} in use by calls)"
        )

    def bridge(self, a: RtpLeg, b: RtpLeg, *, stop_playback: bool = True) -> Bridge:
        return Bridge(a, b, stop_playback=stop_playback)

    def watch(self, leg: RtpLeg) -> None:
        self._watched[leg] = None
        self.ticker.add(self._watchdog)

    def unwatch(self, leg: RtpLeg) -> None:
        self._watched.pop(leg, None)
        if not self._watched:
            self.ticker.discard(self._watchdog)

    def _leg_closed(self, leg: RtpLeg) -> None:
        if leg not in self.legs:
            return
        self.legs.discard(leg)
        self.unwatch(leg)
        self.ticker.discard(leg)
        if leg.peer is not None:
            if leg.peer.peer is leg:
                leg.peer.peer = None
            leg.peer = None

    def _port_freed(self, port: int) -> None:
        # Called once the socket is really closed, so the port can be bound again.
        self.ports.release(port)

    async def close(self) -> None:
        for leg in list(self.legs):
            leg.close()
        self.ticker.close()
        await asyncio.sleep(0)  # let the transports finish closing


class _Watchdog:
    """Checks the watched legs' last packet times once per tick."""

    def __init__(self, watched: dict[RtpLeg, None]) -> None:
        self._watched = watched

    def on_tick(self, now: float) -> None:
        for leg in list(self._watched):
            leg.check_media(now)
