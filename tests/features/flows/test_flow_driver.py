"""Carrying out HTTP lookups for the interpreter, over loopback against real servers."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import httpx
import pytest

from helpline.core.ivr import FlowInterpreter, HttpRequest, HttpResult, ToQueue
from helpline.demo.tracking_service import TrackingService
from helpline.features.flows import parse_flow
from helpline.features.flows.driver import FlowRunner, execute_http
from helpline.runtime.clock import ManualClock

SLOW: dict[str, dict[str, object]] = {"0000000002": {"delay_s": 0.5, "status": "late"}, "1234567890": {"status": "in_transit"}}


@pytest.fixture
async def service() -> AsyncIterator[TrackingService]:
    async with TrackingService(parcels=SLOW) as running:
        yield running


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as http:
        yield http


async def test_json_answers_statuses_and_timeouts(
    service: TrackingService, client: httpx.AsyncClient
) -> None:
    ok = await execute_http(HttpRequest(1, "GET", f"{service.url}/parcels/1234567890", 2.0), client)
    assert ok == HttpResult(1, 200, {"number": "1234567890", "status": "in_transit"})
    missing = await execute_http(HttpRequest(2, "GET", f"{service.url}/parcels/1111111111", 2.0), client)
    assert missing == HttpResult(2, 404, {"error": "unknown parcel", "number": "1111111111"})
    not_allowed = await execute_http(
        HttpRequest(3, "POST", f"{service.url}/parcels/1234567890", 2.0, json_body={"a": 1}), client
    )
    assert (not_allowed.status, not_allowed.error) == (405, None)  # not JSON, but the status says it all
    slow = await execute_http(HttpRequest(4, "GET", f"{service.url}/parcels/0000000002", 0.1), client)
    assert slow == HttpResult(4, None, None, "no answer within 0.1 s")


async def test_refused_connection_and_an_answer_that_is_not_json(client: httpx.AsyncClient) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    refused = await execute_http(HttpRequest(1, "GET", f"http://127.0.0.1:{closed}/x", 1.0), client)
    assert refused.status is None and (refused.error or "").startswith("ConnectError")

    seen: list[bytes] = []

    async def plain_text(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.append(await reader.readuntil(b"\r\n\r\n"))
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n"
            b"Connection: close\r\n\r\nhello"
        )
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(plain_text, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        result = await execute_http(
            HttpRequest(2, "GET", f"http://127.0.0.1:{port}/x", 1.0, (("X-Tenant", "parcelo"),)), client
        )
    assert result == HttpResult(2, 200, None, "the answer is not JSON")
    assert b"x-tenant: parcelo" in seen[0].lower()


async def test_runner_follows_lookups_in_a_row_and_returns_the_rest(
    service: TrackingService, client: httpx.AsyncClient
) -> None:
    flow = parse_flow(
        """
start: first
constants: {base: "http://127.0.0.1:1"}
nodes:
  first:
    type: http
    url: "{const.base}/parcels/1234567890"
    results: {a: status}
    next: second
    on_error: failed
  second:
    type: http
    url: "{const.base}/parcels/{missing}0000000000"
    results: {b: status}
    next: said
    on_error: failed
  said:
    type: play
    prompt: "{a} {b}"
    next: failed
  failed:
    type: queue
    queue: tracking
    attributes: [a]
""",
        constants={"base": service.url},
    ).flow
    runner = FlowRunner(FlowInterpreter(flow), client, ManualClock(1000.0))
    assert await runner.start() == [ToQueue("tracking", attributes={"a": "in_transit"})]
    assert [(r.url.rsplit("/", 1)[1], res.status) for r, res in runner.lookups] == [
        ("1234567890", 200),
        ("0000000000", 404),
    ]
