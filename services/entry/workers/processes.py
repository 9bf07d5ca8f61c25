"""The non-HTTP processes of the distributed setup, each wired in one place.

`contacthub run recorder|projector|publisher` call these; each runs until
SIGTERM or SIGINT and then stops cleanly (a recorder leaves its group, so its
partitions move at once instead of after the session timeout).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
from collections.abc import Awaitable, Callable, Sequence

import anyio.to_thread

from services.app.intake.recorder import utcnow
from services.entry.workers.health_server import Heartbeat, serve_health
from services.entry.workers.kafka_recorder import KafkaRecorder
from services.entry.workers.publisher import EventPublisher
from services.infra.eventstore import EventStore, master_key_from, open_event_store
from services.infra.eventstore.store import construct_factory, store_location
from services.infra.locks import schema_lock
from services.infra.settings import Settings
from services.wiring.hub import PROJECTOR_PARTS, build_hub

log = logging.getLogger(__name__)


class ConfigurationError(ValueError):
    pass


def check_distributed(settings: Settings, *, kafka: bool) -> None:
    """The distributed services share one store and one master key; refuse to
    start without them rather than write data the others cannot read."""
    if kafka and not settings.kafka_bootstrap:
        raise ConfigurationError("set CONTACTHUB_KAFKA_BOOTSTRAP (host:port of the brokers)")
    if settings.database_url and not settings.master_key:
        raise ConfigurationError(
            "set CONTACTHUB_MASTER_KEY: every process of a distributed hub must share it "
            "(base64 of 32 bytes, e.g. `openssl rand -base64 32`)"
        )


def until_signalled(
    main: Callable[[asyncio.Event], Awaitable[None]],
    *,
    health: tuple[int, Heartbeat, EventStore] | None = None,
) -> None:
    """Runs `main` until SIGTERM/SIGINT; with `health`, serves /healthz and /readyz."""

    async def runner() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        server = None
        if health is not None:
            port, heartbeat, store = health

            async def ready() -> str:
                try:
                    await anyio.to_thread.run_sync(store.ping)
                except Exception as exc:
                    return f"unavailable: {exc}"
                return "ok"

            server = await serve_health("0.0.0.0", port, heartbeat, ready)
        try:
            await main(stop)
        finally:
            if server is not None:
                server.close()

    asyncio.run(runner())


# The recorder and the projector allocate some tens of objects per event and
# keep a batch's worth (thousands of events) alive at once: with CPython's
# default threshold (700 allocations) the cyclic collector runs every few events
# and rescans them, which measured here doubled the cost of decoding an intake
# message, and made a replay's decoding 40-110% slower (growing with the heap).
BATCH_GC_THRESHOLD = (50_000, 20, 100)


def tune_gc_for_batches() -> None:
    """Fewer cyclic collections, none rescanning what start-up left behind."""
    gc.collect()
    gc.freeze()  # start-up objects (modules, classes) move out of the collector's way
    gc.set_threshold(*BATCH_GC_THRESHOLD)


def run_recorder(settings: Settings, health_port: int | None = None) -> None:
    check_distributed(settings, kafka=True)
    master = master_key_from(settings.master_key, settings.data_dir)
    location = store_location(settings.database_url, settings.data_dir)
    with schema_lock(settings):
        store = open_event_store(location, master, tracked=True)
    recorder = KafkaRecorder(settings, store, utcnow)
    health = (health_port, recorder.heartbeat, store) if health_port else None
    tune_gc_for_batches()
    until_signalled(recorder.run, health=health)


def run_projector(
    settings: Settings, views: Sequence[str] | None, health_port: int | None = None
) -> None:
    check_distributed(settings, kafka=False)
    hub = build_hub(settings, views=views, parts=PROJECTOR_PARTS)
    tune_gc_for_batches()
    names = [v.name for v in hub.projector.views]
    log.info("projecting %s", names)
    heartbeat = Heartbeat()

    # The complaint policies follow the log like a view; they run beside the
    # complaint queues, so that one process owns everything about cases.
    policies = "complaints" in names
    # Appointment reminders follow the appointments view the same way.
    reminders = "appointments" in names
    # Satisfaction surveys follow the satisfaction view.
    surveys = "satisfaction" in names
    # And the campaign sender beside the campaigns view.
    campaigns = "campaigns" in names

    async def main(stop: asyncio.Event) -> None:
        await anyio.to_thread.run_sync(hub.projector.catch_up)
        hub.projector.start(poll_interval=settings.poll_interval)
        if policies:
            hub.complaints.start()
        if reminders:
            hub.reminders.start()
        if surveys:
            hub.surveys.start()
        if campaigns:
            hub.campaign_sender.start()
        try:
            while not stop.is_set() and hub.projector.running:
                heartbeat.beat()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), 1.0)
        finally:
            if surveys:
                await anyio.to_thread.run_sync(hub.surveys.stop)
            if reminders:
                await anyio.to_thread.run_sync(hub.reminders.stop)
            if campaigns:
                await anyio.to_thread.run_sync(hub.campaign_sender.stop)
            if policies:
                await anyio.to_thread.run_sync(hub.complaints.stop)
            await anyio.to_thread.run_sync(hub.projector.stop)

    health = (health_port, heartbeat, hub.store) if health_port else None
    until_signalled(main, health=health)


def run_publisher(settings: Settings, health_port: int | None = None) -> None:
    check_distributed(settings, kafka=True)
    master = master_key_from(settings.master_key, settings.data_dir)
    location = store_location(settings.database_url, settings.data_dir)
    with schema_lock(settings):
        store = open_event_store(location, master)
        positions = construct_factory(location, "publisher").tracking_recorder()
    publisher = EventPublisher(settings, store, positions)
    health = (health_port, publisher.heartbeat, store) if health_port else None
    until_signalled(publisher.run, health=health)


def run_orders(settings: Settings, health_port: int | None = None) -> None:
    """The orders topic -> the event store (services/entry/workers/order_consumer.py)."""
    from services.entry.workers.order_consumer import OrderConsumer

    check_distributed(settings, kafka=True)
    hub = build_hub(settings, parts=("store", "orders"))
    consumer = OrderConsumer(settings, hub.orders)
    health = (health_port, consumer.heartbeat, hub.store) if health_port else None
    until_signalled(consumer.run, health=health)


def run_partner_webhooks(settings: Settings, health_port: int | None = None) -> None:
    """The notification log -> partners' webhook endpoints (docs/partners.md).
    Run one such process per store (or `serve`, which runs the same follower)."""
    check_distributed(settings, kafka=False)
    hub = build_hub(settings, parts=("store", "partners", "partner_outbox", "partner_webhooks"))
    heartbeat = Heartbeat()

    async def main(stop: asyncio.Event) -> None:
        hub.partner_webhooks.start()
        try:
            while not stop.is_set() and hub.partner_webhooks.follower.running:
                heartbeat.beat()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), 1.0)
        finally:
            await anyio.to_thread.run_sync(hub.partner_webhooks.stop)

    health = (health_port, heartbeat, hub.store) if health_port else None
    until_signalled(main, health=health)
