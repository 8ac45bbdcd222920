"""A small SIP client over real loopback sockets, and waiting helpers, for the edge's tests."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable

from helpline.protocols.sip import (
    Request,
    Response,
    Via,
    build_request,
    new_branch,
    new_call_id,
    new_tag,
    parse_message,
)
from helpline.protocols.sip.headers import Address
from helpline.protocols.sip.uri import SipUri


class SipClient:
    """A UDP socket that sends requests and collects what comes back."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((host, 0))
        self.sock.setblocking(False)
        self.host, self.port = self.sock.getsockname()
        self.cseq = 0

    def request(
        self, method: str, target: tuple[str, int], user: str, *, from_user: str = "caller",
        headers: list[tuple[str, str]] | None = None, body: bytes = b"", content_type: str | None = None,
        call_id: str | None = None, to_user: str | None = None,
    ) -> Request:
        self.cseq += 1
        host, port = target
        return build_request(
            method, SipUri(host, user=user, port=port),
            from_=Address(SipUri(self.host, user=from_user, port=self.port)).with_tag(new_tag()),
            to=Address(SipUri(host, user=to_user or user, port=port)),
            call_id=call_id or new_call_id(), cseq=self.cseq,
            via=Via("UDP", self.host, self.port, (("branch", new_branch()), ("rport", None))),
            contact=Address(SipUri(self.host, user=from_user, port=self.port)),
            headers=headers or [], body=body, content_type=content_type,
        )

    def send(self, message: Request | Response | bytes, target: tuple[str, int]) -> None:
        self.sock.sendto(message if isinstance(message, bytes) else bytes(message), target)

    async def receive(self, limit: float = 2.0) -> Request | Response:
        loop = asyncio.get_running_loop()
        data = await asyncio.wait_for(loop.sock_recv(self.sock, 65535), limit)
        return parse_message(data)

    async def response(self, limit: float = 2.0, *, skip_provisional: bool = True) -> Response:
        while True:
            message = await self.receive(limit)
            if isinstance(message, Response) and (message.final or not skip_provisional):
                return message

    async def nothing(self, wait: float = 0.3) -> bool:
        try:
            await self.receive(wait)
        except TimeoutError:
            return True
        return False

    def close(self) -> None:
        self.sock.close()


async def until(condition: Callable[[], bool], limit: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {limit} s")
        await asyncio.sleep(0.01)
