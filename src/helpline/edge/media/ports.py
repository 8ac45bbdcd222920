"""RTP port allocation from the configured range (``sip.rtp_port_min`` .. ``sip.rtp_port_max``).

RTP takes even ports and leaves the odd one above for RTCP (RFC 3550 section 11). Released
ports go to the back of the line, so a port is reused as late as possible and stray packets of
an ended call do not land in a new one.
"""

from __future__ import annotations

from collections import deque


class MediaPortsExhausted(RuntimeError):
    """Every RTP port of the range is in use: the SIP edge answers 503 Service Unavailable."""


class RtpPortAllocator:
    def __init__(self, port_min: int, port_max: int) -> None:
        first = port_min + (port_min % 2)
        ports = range(first, port_max, 2)  # port + 1 (RTCP) must stay within the range too
        if not 0 < port_min <= port_max <= 65535 or len(ports) == 0:
            raise ValueError(
                f"RTP port range {port_min}-{port_max} holds no even port with its odd neighbour"
            )
        self.port_min, self.port_max = port_min, port_max
        self._free: deque[int] = deque(ports)
        self._in_use: set[int] = set()

    @property
    def capacity(self) -> int:
        return len(self._free) + len(self._in_use)

    @property
    def available(self) -> int:
        return len(self._free)

    def allocate(self) -> int:
        if not self._free:
            raise MediaPortsExhausted(
                f"all {self.capacity} RTP ports in {self.port_min}-{self.port_max} are in use"
            )
        port = self._free.popleft()
        self._in_use.add(port)
        return port

    def release(self, port: int) -> None:
        if port not in self._in_use:
            raise ValueError(f"RTP port {port} is not allocated")
        self._in_use.remove(port)
        self._free.append(port)
