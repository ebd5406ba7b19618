"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from godkend.api.deps import services_of

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    checks: dict[str, Any] = {"database": False, "listener": False}
    try:
        async with services_of(request).db.connection() as s:
            checks["database"] = await s.fetchval("ping") == 1
    except Exception:  # any failure here means "not ready", reported as such
        checks["database"] = False
    realtime = getattr(request.app.state, "realtime", None)
    checks["listener"] = bool(realtime is not None and realtime.ready)
    ready = all(checks.values())
    return JSONResponse({"ready": ready, **checks}, status_code=200 if ready else 503)


@router.get("/metrics")
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
