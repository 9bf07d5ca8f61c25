"""The FastAPI application: gateway webhooks, agent API, health.

`contacthub serve` mounts everything in one app; in the distributed setup the
gateway process mounts the webhooks and the api process the agent API, each
with the health routes (`create_app(hub, routers=...)`).
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager, suppress

import anyio.to_thread
from fastapi import APIRouter, FastAPI

from services.entry.api.body_limit import BodyLimit, BodyLimits
from services.entry.api.docs import mount_docs, openapi_url
from services.entry.api.errors import add_error_handlers
from services.entry.api.fast_lane import FastLane
from services.entry.api.metrics import new_metrics
from services.entry.api.openapi_errors import document_errors
from services.entry.api.rate_limit import RateLimit, parse_rate
from services.entry.api.routes import (
    access_log,
    analytics,
    appointments,
    audit,
    briefing,
    calls,
    campaigns,
    complaint_analytics,
    complaint_replies,
    complaints,
    consent,
    customers,
    email_webhooks,
    erasure,
    export,
    health,
    knowledge,
    letters,
    merges,
    opportunities,
    orders,
    partner_sharing,
    partners,
    reports,
    satisfaction,
    segments,
    stream,
    survey_links,
    twilio_voice,
    twilio_webhooks,
    unsubscribe,
    users,
)
from services.entry.console.app import add_console
from services.entry.smtp_receiver import start_smtp_receiver
from services.entry.workers.followers import FollowersProcess
from services.wiring.followers import start_followers, stop_followers
from services.wiring.hub import Hub

# Provider-facing: what `contacthub run gateway` serves (with the SMTP receiver).
GATEWAY_ROUTERS = (
    twilio_webhooks.router,
    email_webhooks.router,
    twilio_voice.router,
    letters.webhooks,
    # Recipient-facing like the webhooks: the List-Unsubscribe link points at public_url.
    unsubscribe.router,
    # Recipient-facing too: the survey emails' rating links point at public_url.
    survey_links.router,
)
# Agent-facing: what `contacthub run api` serves.
API_ROUTERS = (
    customers.router,
    merges.router,
    calls.router,
    letters.router,
    consent.router,
    orders.router,
    analytics.router,
    segments.router,
    # Before the reports: its /reports/pipeline.svg must not be taken for
    # /reports/{name} (routes match in the order they are added).
    opportunities.router,
    # Before the reports too: /reports/satisfaction.svg.
    satisfaction.router,
    campaigns.router,
    reports.router,
    complaints.router,
    complaint_replies.router,
    complaint_analytics.router,
    partner_sharing.router,
    partners.router,
    appointments.router,
    briefing.router,
    knowledge.router,
    stream.router,
    users.router,
    access_log.router,
    export.router,
    audit.router,
    erasure.router,
)
ALL_ROUTERS = (*GATEWAY_ROUTERS, *API_ROUTERS)
# Routes whose bodies are uploads: CONTACTHUB_MAX_UPLOAD_BYTES applies, not
# CONTACTHUB_MAX_BODY_BYTES (services/entry/api/body_limit.py).
UPLOAD_ROUTES = (
    "/webhooks/email/mailgun",
    "/api/v1/letters/inbound",
    "/api/v1/customers/{customer_id}/messages",
)


def create_app(
    hub: Hub,
    *,
    routers: Sequence[APIRouter] = ALL_ROUTERS,
    run_projector: bool = True,
    followers: FollowersProcess | None = None,
) -> FastAPI:
    """The HTTP app. `run_projector`: the followers run in this process (the
    tests' hub); `followers`: in their own process, started and stopped with the
    app (`contacthub serve`); neither: another process runs them (`run api`)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if run_projector:
            start_followers(hub)
        if followers is not None:
            # `serve`: the followers run in their own process, woken by every write here.
            followers.start()
            hub.on_wake(followers.wake)
        smtp = None
        listen = hub.settings.smtp_listen_address()
        if listen is not None and twilio_webhooks.router in routers:
            # The SMTP receiver shares this event loop: it is part of the gateway.
            smtp = await start_smtp_receiver(
                hub.email_gateway,
                *listen,
                max_message_bytes=hub.settings.smtp_max_message_bytes,
                max_recipients=hub.settings.smtp_max_recipients,
            )
        try:
            await hub.bus.connect()
        except Exception as exc:  # the broker may come later: /readyz says so meanwhile
            app.state.bus_error = repr(exc)
        # What start-up made (modules, schemas, routes, phone metadata) lives as
        # long as the process: out of the collector's sight, a full collection
        # scans only what requests made. Scanning it all took ~100 ms (py-spy,
        # gc callbacks), stalling every request in flight: the gateway's p99.
        gc.freeze()
        try:
            yield
        finally:
            if smtp is not None:
                smtp.close()
                with suppress(TimeoutError):
                    await asyncio.wait_for(smtp.wait_closed(), timeout=5)
            await hub.bus.close()
            if run_projector:
                stop_followers(hub)
            if followers is not None:
                # Last: it projects and decides on what this process wrote.
                await anyio.to_thread.run_sync(followers.stop)

    app = FastAPI(
        title="contacthub",
        version="1",
        summary="Event-sourced multichannel contact hub: agent API and provider webhooks.",
        lifespan=lifespan,
        docs_url=None,  # served from local files below, not a CDN
        redoc_url=None,
        openapi_url=openapi_url(hub.settings.docs),  # else docs.py serves it, restricted
    )
    app.state.hub = hub
    app.state.followers = followers
    app.state.metrics = new_metrics()
    add_error_handlers(app)
    # Every write of this process goes through the hub's recorder: webhooks on
    # the in-process bus, agent commands, complaint policies. The gateway on
    # Kafka has none (the recorder process writes), so it counts nothing here.
    if hub.built("recorder"):
        hub.recorder.on_written(app.state.metrics.recorded_events.inc)
    app.include_router(health.router)
    for router in routers:
        app.include_router(router)
    if users.router in routers:
        # The agent console at `/` goes where the agent API goes (serve, run api).
        add_console(app, hub)
    if twilio_webhooks.router in routers:
        app.add_middleware(FastLane, routes=twilio_webhooks.FAST_LANE)
    # Before a request is routed or its body read: a throttled client costs a lookup.
    app.add_middleware(
        RateLimit,
        api=parse_rate(hub.settings.rate_limit_api),
        webhooks=parse_rate(hub.settings.rate_limit_webhooks),
    )
    # Added last, so outermost: it covers every route, the fast lane included.
    app.add_middleware(
        BodyLimit,
        limits=BodyLimits.of(
            default=hub.settings.max_body_bytes,
            upload=hub.settings.max_upload_bytes,
            upload_routes=UPLOAD_ROUTES,
        ),
    )
    mount_docs(app, title=app.title, mode=hub.settings.docs)
    document_errors(app, [health.router, *routers])
    return app
