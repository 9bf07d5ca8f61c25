"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

import anyio.to_thread
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from services.api.deps import HubDep

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is alive")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="The event store and the bus are reachable")
async def readyz(hub: HubDep) -> Response:
    try:
        await anyio.to_thread.run_sync(hub.store.ping)
    except Exception as exc:
        return JSONResponse({"status": "unavailable", "store": str(exc)}, status_code=503)
    return JSONResponse({"status": "ready", "store": "ok", "bus": "in-process"})


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def metrics(request: Request, hub: HubDep) -> Response:
    m = request.app.state.metrics
    m.projector_position.set(hub.projector.position)
    m.store_position.set(await anyio.to_thread.run_sync(hub.store.max_notification_id))
    return Response(generate_latest(m.registry), media_type=CONTENT_TYPE_LATEST)
