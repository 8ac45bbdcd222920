"""The demo tracking service over loopback: answers, errors, start and stop."""

from __future__ import annotations

import httpx
import pytest

from helpline.demo.tracking_service import DEMO_PARCELS, TrackingService


async def test_answers_known_unknown_and_malformed_numbers() -> None:
    async with TrackingService() as service, httpx.AsyncClient(base_url=service.url) as client:
        assert service.url.startswith("http://127.0.0.1:")
        known = await client.get("/parcels/1234567890")
        assert known.status_code == 200
        assert known.json() == {"number": "1234567890", **DEMO_PARCELS["1234567890"]}
        assert known.json()["parcel"]["eta"] == "Tuesday 24 November"
        unknown = await client.get("/parcels/1111111111")
        assert (unknown.status_code, unknown.json()["error"]) == (404, "unknown parcel")
        assert (await client.get("/parcels/123")).status_code == 400
        assert (await client.get("/parcels/9000000009")).status_code == 503
        assert (await client.get("/health")).json() == {"ok": True, "parcels": len(DEMO_PARCELS)}


async def test_own_parcels_and_a_given_port_and_stop_frees_it() -> None:
    parcels = {"0000000001": {"status": "delivered", "status_text": "delivered"}}
    async with TrackingService(parcels=parcels) as first:
        port = first.port
    assert first.port is None
    with pytest.raises(RuntimeError):
        _ = first.url
    async with TrackingService(port, parcels=parcels) as again, httpx.AsyncClient() as client:
        assert again.port == port
        answer = await client.get(f"{again.url}/parcels/0000000001")
        assert answer.json() == {"number": "0000000001", "status": "delivered", "status_text": "delivered"}
        assert (await client.get(f"{again.url}/parcels/1234567890")).status_code == 404


async def test_two_services_cannot_share_a_port() -> None:
    async with TrackingService() as service:
        with pytest.raises(OSError):
            await TrackingService(service.port or 0).start()


async def test_claims_are_opened_with_a_priority_by_weight() -> None:
    async with TrackingService() as service, httpx.AsyncClient(base_url=service.url) as client:
        heavy = await client.post("/claims", json={"tracking_number": "4567890123", "caller": "+31"})
        assert (heavy.status_code, heavy.json()) == (201, {"claim_id": "CL-1123", "priority": 5, "skill": "claims:3"})
        light = await client.post("/claims", json={"tracking_number": "1234567890"})
        assert light.json() == {"claim_id": "CL-2890", "priority": 1, "skill": "claims:1"}
        assert (await client.post("/claims", json={"tracking_number": "1111111111"})).status_code == 404
        assert (await client.post("/claims", content=b"not json")).status_code == 400
        assert (await client.get("/claims")).status_code == 405
