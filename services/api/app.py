"""The FastAPI application: gateway webhooks, agent API, health.

`contacthub serve` mounts everything in one app; in the distributed setup the
gateway process mounts the webhooks and the api process the agent API, each
with the health routes (`create_app(hub, routers=...)`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI

from services.api.metrics import new_metrics
from services.api.routes import customers, health, twilio_webhooks
from services.bootstrap import Hub

GATEWAY_ROUTERS = (twilio_webhooks.router,)
API_ROUTERS = (customers.router,)
ALL_ROUTERS = (*GATEWAY_ROUTERS, *API_ROUTERS)


def create_app(
    hub: Hub, *, routers: Sequence[APIRouter] = ALL_ROUTERS, run_projector: bool = True
) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if run_projector:
            hub.projector.catch_up()
            hub.projector.start()
        try:
            await hub.bus.connect()
        except Exception as exc:  # the broker may come later: /readyz says so meanwhile
            app.state.bus_error = repr(exc)
        try:
            yield
        finally:
            hub.projector.stop()
            await hub.bus.close()

    app = FastAPI(
        title="contacthub",
        version="1",
        summary="Event-sourced multichannel contact hub: agent API and provider webhooks.",
        lifespan=lifespan,
    )
    app.state.hub = hub
    app.state.metrics = new_metrics()
    app.include_router(health.router)
    for router in routers:
        app.include_router(router)
    return app
