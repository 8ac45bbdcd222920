"""Carry out a flow interpreter's HTTP lookups with httpx and feed the answers back.

``execute_http`` turns one ``HttpRequest`` command into the ``HttpResult`` input the interpreter
expects, whatever happens on the wire (timeouts, refused connections, answers that are not
JSON). The voice edge uses it for the lookups of live calls; ``FlowRunner`` wraps it around one
interpreter for callers that do their media themselves (tests, the simulator, chat flows):
every command except ``HttpRequest`` is handed back.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Iterable

import httpx

from helpline.core.ivr import (
    CallStarted,
    FlowCommand,
    FlowInput,
    FlowInterpreter,
    HttpRequest,
    HttpResult,
)
from helpline.core.ivr.inputs import JsonValue
from helpline.runtime.ports import Clock

__all__ = ["FlowRunner", "execute_http"]

MAX_ANSWER_BYTES = 1_000_000  # a lookup answer is a small JSON document; more is a mistake


async def execute_http(request: HttpRequest, client: httpx.AsyncClient) -> HttpResult:
    """Send the request and read the JSON answer; never raises for network or HTTP errors."""
    try:
        async with client.stream(
            request.method,
            request.url,
            headers=dict(request.headers),
            json=request.json_body if request.method != "GET" else None,
            timeout=request.timeout_s,
        ) as response:
            content = b""
            async for chunk in response.aiter_bytes():
                content += chunk
                if len(content) > MAX_ANSWER_BYTES:
                    return HttpResult(
                        request.request_id,
                        response.status_code,
                        None,
                        f"answer larger than {MAX_ANSWER_BYTES} bytes",
                    )
    except httpx.TimeoutException:
        return HttpResult(request.request_id, None, None, f"no answer within {request.timeout_s:g} s")
    except httpx.HTTPError as exc:
        return HttpResult(request.request_id, None, None, f"{type(exc).__name__}: {exc}")
    body: JsonValue = None
    if content:
        try:
            body = json.loads(content)
        except ValueError:
            if 200 <= response.status_code < 300:
                return HttpResult(request.request_id, response.status_code, None, "the answer is not JSON")
    return HttpResult(request.request_id, response.status_code, body)


class FlowRunner:
    """One call through a flow, with its HTTP lookups done here and the rest returned.

    Each method hands the interpreter an input at ``clock.now()`` and returns the commands left
    for the caller (``Play``, ``StopPlayback``, ``ToQueue``, ``RecordVoicemail``, ``Hangup``)
    once no lookup is outstanding. ``lookups`` records each request with its result.
    """

    def __init__(self, interpreter: FlowInterpreter, client: httpx.AsyncClient, clock: Clock) -> None:
        self.interpreter = interpreter
        self.client = client
        self.clock = clock
        self.lookups: list[tuple[HttpRequest, HttpResult]] = []

    async def start(self) -> list[FlowCommand]:
        return await self.feed(CallStarted())

    async def feed(self, event: FlowInput) -> list[FlowCommand]:
        return await self._settle(self.interpreter.handle(event, self.clock.now()))

    async def timer(self) -> list[FlowCommand]:
        """The interpreter's deadline has come (the caller checks ``next_timer()``)."""
        return await self._settle(self.interpreter.on_timer(self.clock.now()))

    async def _settle(self, commands: Iterable[FlowCommand]) -> list[FlowCommand]:
        todo = deque(commands)
        out: list[FlowCommand] = []
        while todo:
            command = todo.popleft()
            if not isinstance(command, HttpRequest):
                out.append(command)
                continue
            result = await execute_http(command, self.client)
            self.lookups.append((command, result))
            todo.extend(self.interpreter.handle(result, self.clock.now()))
        return out
