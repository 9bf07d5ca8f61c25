"""The FastAPI application: gateway webhooks, agent API, health."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from services.api.metrics import new_metrics
from services.api.routes import (
    complaint_analytics,
    complaint_replies,
    complaints,
    customers,
    health,
    stream,
    twilio_webhooks,
)
from services.bootstrap import Hub


def create_app(hub: Hub, *, run_projector: bool = True) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if run_projector:
            hub.projector.catch_up()
            hub.projector.start()
            hub.complaints.start()
        try:
            yield
        finally:
            hub.complaints.stop()
            hub.projector.stop()

    app = FastAPI(
        title="contacthub",
        version="1",
        summary="Event-sourced multichannel contact hub: agent API and provider webhooks.",
        lifespan=lifespan,
    )
    app.state.hub = hub
    app.state.metrics = new_metrics()
    app.include_router(health.router)
    app.include_router(twilio_webhooks.router)
    app.include_router(customers.router)
    app.include_router(complaints.router)
    app.include_router(complaint_replies.router)
    app.include_router(complaint_analytics.router)
    app.include_router(stream.router)
    return app
