"""Parcelo's parcel-tracking service, made up for the demo: the HTTP lookup of its IVR flow.

``GET /parcels/{number}`` answers a 10-digit tracking number with JSON::

    {"number": "1234567890", "status": "in_transit",
     "status_text": "on its way to the Utrecht depot",
     "parcel": {"eta": "Tuesday 24 November", "depot": "Utrecht", "weight_kg": 2.4}}

404 for an unknown number, 400 for one that is not 10 digits. ``POST /claims`` with
``{"tracking_number": ..., "caller": ...}`` opens a damage claim and answers
``{"claim_id": "CL-7890", "priority": 5, "skill": "claims:3"}`` (heavy parcels get a higher
priority and a more experienced claims agent). Two parcels show the IVR's
fallback path: one makes the service fail with 503, one answers only after a delay (longer
than the flow's lookup timeout).

Run it on its own with ``python -m helpline.demo.tracking_service --port 8470``; tests and
``helpline serve --demo`` use ``TrackingService`` (``async with TrackingService() as svc``),
which listens on 127.0.0.1 on the given port or a free one.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import copy
import socket
from collections.abc import Iterator, Mapping
from types import TracebackType
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

__all__ = ["DEMO_PARCELS", "TrackingService", "create_app"]

DEMO_PARCELS: Mapping[str, Mapping[str, Any]] = {
    "1234567890": {
        "status": "in_transit",
        "status_text": "on its way to the Utrecht depot",
        "parcel": {"eta": "Tuesday 24 November", "depot": "Utrecht", "weight_kg": 2.4},
    },
    "2345678901": {
        "status": "out_for_delivery",
        "status_text": "out for delivery with the courier",
        "parcel": {"eta": "today between 14:00 and 16:00", "depot": "Amsterdam", "weight_kg": 0.8},
    },
    "3456789012": {
        "status": "delivered",
        "status_text": "delivered to a neighbour at number 12",
        "parcel": {"eta": None, "delivered_at": "Friday 20 November 11:42", "depot": "Haarlem", "weight_kg": 5.1},
    },
    "4567890123": {
        "status": "at_depot",
        "status_text": "waiting at the Rotterdam depot",
        "parcel": {"eta": "Thursday 26 November", "depot": "Rotterdam", "weight_kg": 12.0},
    },
    "5678901234": {
        "status": "returned",
        "status_text": "on its way back to the sender after three delivery attempts",
        "parcel": {"depot": "Eindhoven", "weight_kg": 1.2},
    },
    "9000000009": {"fail": 503},
    "9000000001": {
        "delay_s": 5.0,
        "status": "in_transit",
        "status_text": "on its way",
        "parcel": {"eta": "Monday 30 November"},
    },
}


def create_app(parcels: Mapping[str, Mapping[str, Any]] | None = None) -> Starlette:
    """The service as an ASGI app; ``parcels`` replaces the demo parcels (keys are numbers;
    ``fail`` makes the answer that HTTP status, ``delay_s`` delays it)."""
    known = copy.deepcopy(dict(DEMO_PARCELS if parcels is None else parcels))

    async def parcel(request: Request) -> JSONResponse:
        number = request.path_params["number"]
        if not (len(number) == 10 and number.isdigit()):
            return JSONResponse({"error": "a tracking number has 10 digits", "number": number}, 400)
        found = known.get(number)
        if found is None:
            return JSONResponse({"error": "unknown parcel", "number": number}, 404)
        if found.get("delay_s"):
            await asyncio.sleep(float(found["delay_s"]))
        if found.get("fail"):
            return JSONResponse({"error": "tracking system unavailable"}, int(found["fail"]))
        body = {k: v for k, v in found.items() if k not in ("fail", "delay_s")}
        return JSONResponse({"number": number, **body})

    claims: list[str] = []

    async def open_claim(request: Request) -> JSONResponse:
        try:
            body = await request.json()
        except ValueError:
            return JSONResponse({"error": "the body is not JSON"}, 400)
        number = str(body.get("tracking_number", "")) if isinstance(body, dict) else ""
        found = known.get(number)
        if found is None or "fail" in found:
            return JSONResponse({"error": "unknown parcel", "number": number}, 404)
        heavy = float(found.get("parcel", {}).get("weight_kg", 0)) >= 10
        claims.append(number)
        claim_id = f"CL-{len(claims)}{number[-3:]}"
        return JSONResponse(
            {"claim_id": claim_id, "priority": 5 if heavy else 1, "skill": "claims:3" if heavy else "claims:1"}, 201
        )

    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"ok": True, "parcels": len(known)})

    return Starlette(routes=[
        Route("/parcels/{number}", parcel),
        Route("/claims", open_claim, methods=["POST"]),
        Route("/health", health),
    ])


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # Embedded next to other servers: signals belong to the process's main server.
        yield


class TrackingService:
    """The tracking service on 127.0.0.1 in the running event loop.

    The socket is bound and listening when ``start`` returns, so requests made right away
    wait in the backlog until the server accepts them.
    """

    def __init__(
        self, port: int = 0, *, host: str = "127.0.0.1", parcels: Mapping[str, Mapping[str, Any]] | None = None
    ) -> None:
        self.host = host
        self.requested_port = port
        self.parcels = parcels
        self.port: int | None = None
        self._server: _Server | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        if self.port is None:
            raise RuntimeError("the tracking service is not running")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    async def start(self) -> str:
        if self._task is not None:
            raise RuntimeError("the tracking service is already running")
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.host, self.requested_port))
            sock.listen(128)
            sock.setblocking(False)
        except OSError:
            sock.close()
            raise
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            create_app(self.parcels), log_level="warning", access_log=False, lifespan="off",
            http="h11", ws="none", timeout_graceful_shutdown=1,
        )
        self._server = _Server(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]), name="tracking-service")
        return self.url

    async def stop(self) -> None:
        if self._server is None or self._task is None:
            return
        self._server.should_exit = True
        try:
            await self._task
        finally:
            self._server = None
            self._task = None
            self.port = None

    async def __aenter__(self) -> TrackingService:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()


async def _serve_until_cancelled(port: int) -> None:
    async with TrackingService(port) as service:
        print(f"Parcelo tracking service on {service.url} (try {service.url}/parcels/1234567890)")  # noqa: T201
        await asyncio.Event().wait()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Parcelo's demo parcel-tracking service (127.0.0.1).")
    parser.add_argument("--port", type=int, default=8470)
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve_until_cancelled(args.port))


if __name__ == "__main__":
    main()
