"""Real UDP peers on 127.0.0.1 for the media edge's tests: a far end that records what it
receives (with arrival times) and sends RTP paced by absolute deadlines."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import pytest

from helpline.edge.media import MediaEngine
from helpline.protocols.rtp.packet import RtpPacket


@dataclass
class Received:
    packet: RtpPacket
    at: float
    source: tuple[str, int]


@dataclass
class Peer(asyncio.DatagramProtocol):
    """A far end: a UDP socket that keeps every RTP packet it receives."""

    loop: asyncio.AbstractEventLoop
    received: list[Received] = field(default_factory=list)
    transport: asyncio.DatagramTransport | None = None
    ssrc: int = field(default_factory=lambda: random.getrandbits(32))
    seq: int = field(default_factory=lambda: random.getrandbits(16))
    ts: int = field(default_factory=lambda: random.getrandbits(32))
    _waiters: list[tuple[int, asyncio.Future[None]]] = field(default_factory=list)

    def __hash__(self) -> int:
        return id(self)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.received.append(Received(RtpPacket.parse(data), self.loop.time(), addr))
        for count, fut in self._waiters:
            if len(self.received) >= count and not fut.done():
                fut.set_result(None)

    @property
    def address(self) -> tuple[str, int]:
        assert self.transport is not None
        host, port = self.transport.get_extra_info("sockname")[:2]
        return host, port

    async def wait_for_packets(self, count: int, limit: float = 10.0) -> list[Received]:
        if len(self.received) < count:
            fut: asyncio.Future[None] = self.loop.create_future()
            self._waiters.append((count, fut))
            await asyncio.wait_for(fut, limit)
        return self.received

    def send(
        self, dest: tuple[str, int], pt: int, payload: bytes, *, marker: bool = False, ts: int | None = None
    ) -> None:
        assert self.transport is not None
        packet = RtpPacket(pt, self.seq, self.ts if ts is None else ts, self.ssrc, payload, marker)
        self.transport.sendto(packet.serialize(), dest)
        self.seq = (self.seq + 1) & 0xFFFF

    async def stream(
        self, dest: tuple[str, int], pt: int, frames: list[bytes], *, start_delay: float = 0.0
    ) -> None:
        """Send 20 ms frames paced by absolute deadlines, as a phone would."""
        start = self.loop.time() + start_delay
        for i, frame in enumerate(frames):
            delay = start + i * 0.02 - self.loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            self.send(dest, pt, frame, marker=i == 0)
            self.ts = (self.ts + len(frame)) & 0xFFFFFFFF


@pytest.fixture
async def engine() -> AsyncIterator[MediaEngine]:
    # Above the kernel's ephemeral range (32768-60999), so no client socket sits in ours.
    base = random.randrange(61000, 65000, 200)
    media = MediaEngine("127.0.0.1", base, base + 199)
    yield media
    await media.close()


@pytest.fixture
async def make_peer() -> AsyncIterator[Callable[[], Awaitable[Peer]]]:
    loop = asyncio.get_running_loop()
    peers: list[Peer] = []

    async def make() -> Peer:
        peer = Peer(loop)
        await loop.create_datagram_endpoint(lambda: peer, local_addr=("127.0.0.1", 0))
        peers.append(peer)
        return peer

    yield make
    for peer in peers:
        if peer.transport is not None:
            peer.transport.close()


async def _until(condition: Callable[[], bool], limit: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + limit
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {limit} s")
        await asyncio.sleep(0.005)


@pytest.fixture
def until() -> Callable[..., Awaitable[None]]:
    """Wait until ``condition()`` holds (checked as the loop turns), failing after ``limit`` seconds."""
    return _until
