"""Fixtures for the SIP edge's tests: clients on real loopback sockets."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from sip_edge_helpers import SipClient


@pytest.fixture
def sip_client() -> Iterator[Callable[..., SipClient]]:
    clients: list[SipClient] = []

    def make(host: str = "127.0.0.1") -> SipClient:
        client = SipClient(host)
        clients.append(client)
        return client

    yield make
    for c in clients:
        c.close()
