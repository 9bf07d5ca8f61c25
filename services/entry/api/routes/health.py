"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

import hmac

import anyio.to_thread
from fastapi import APIRouter, HTTPException, Request, Response, status
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from services.entry.api.deps import HubDep

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is alive")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="The event store and the bus are reachable")
async def readyz(request: Request, hub: HubDep) -> Response:
    try:
        await anyio.to_thread.run_sync(hub.store.ping)
        store = "ok"
    except Exception as exc:
        store = f"unavailable: {exc}"
    bus = await hub.bus.status()
    ready = store == "ok" and bus in ("ok", "in-process")
    body = {"status": "", "store": store, "bus": bus}
    followers = request.app.state.followers  # `serve`'s followers' process, if any
    if followers is not None:
        body["followers"] = followers.status()
        ready = ready and body["followers"] == "ok"
    body["status"] = "ready" if ready else "unavailable"
    return JSONResponse(body, status_code=200 if ready else 503)


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def metrics(request: Request, hub: HubDep) -> Response:
    expected = hub.settings.metrics_token
    if expected:  # CONTACTHUB_METRICS_TOKEN: only the scraper that knows it
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.encode(), expected.encode()):
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                "metrics need Authorization: Bearer <CONTACTHUB_METRICS_TOKEN>",
                headers={"WWW-Authenticate": "Bearer"},
            )
    m = request.app.state.metrics
    if hub.built("projector"):  # the gateway process has none
        m.projector_position.set(hub.projector.position)
    m.store_position.set(await anyio.to_thread.run_sync(hub.store.max_notification_id))
    return Response(generate_latest(m.registry), media_type=CONTENT_TYPE_LATEST)
