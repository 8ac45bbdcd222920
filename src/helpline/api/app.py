"""The HTTP application: health and metrics now; the REST API and realtime stream build on it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST

from helpline.api.metrics import Metrics


def create_http_app(*, metrics: Metrics, health: Callable[[], dict[str, Any]]) -> FastAPI:
    app = FastAPI(title="Helpline", version="0.1.0")

    @app.get("/healthz")
    async def healthz() -> JSONResponse:
        status = health()
        code = 200 if status.get("status") == "ok" else 503
        return JSONResponse(status, status_code=code)

    @app.get("/metrics")
    async def prometheus_metrics() -> Response:
        return Response(metrics.render(), media_type=CONTENT_TYPE_LATEST)

    return app
