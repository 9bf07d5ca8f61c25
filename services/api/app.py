"""The FastAPI application: gateway webhooks, agent API, health."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from fastapi import FastAPI

from services.api.metrics import new_metrics
from services.api.routes import (
    calls,
    complaint_analytics,
    complaint_replies,
    complaints,
    consent,
    customers,
    email_webhooks,
    health,
    letters,
    stream,
    twilio_voice,
    twilio_webhooks,
)
from services.bootstrap import Hub
from services.smtp_receiver import start_smtp_receiver


def create_app(hub: Hub, *, run_projector: bool = True) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if run_projector:
            hub.projector.catch_up()
            hub.projector.start()
            hub.complaints.start()
        smtp = None
        listen = hub.settings.smtp_listen_address()
        if listen is not None:
            # The SMTP receiver shares this event loop: it is part of the gateway.
            smtp = await start_smtp_receiver(
                hub.email_gateway,
                *listen,
                max_message_bytes=hub.settings.smtp_max_message_bytes,
                max_recipients=hub.settings.smtp_max_recipients,
            )
        try:
            yield
        finally:
            hub.complaints.stop()
            if smtp is not None:
                smtp.close()
                with suppress(TimeoutError):
                    await asyncio.wait_for(smtp.wait_closed(), timeout=5)
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
    app.include_router(email_webhooks.router)
    app.include_router(customers.router)
    app.include_router(twilio_voice.router)
    app.include_router(calls.router)
    app.include_router(letters.router)
    app.include_router(letters.webhooks)
    app.include_router(consent.router)
    app.include_router(complaints.router)
    app.include_router(complaint_replies.router)
    app.include_router(complaint_analytics.router)
    app.include_router(stream.router)
    return app
