"""`contacthub run publisher`: the event store's notification log -> `contacthub.events.v1`.

Follows the log in notification order and publishes each event keyed by its
customer, so each customer's events keep their order on one partition. Its
position is written to its own tracking table only after the broker
acknowledged the whole batch: a crash repeats at most that batch (consumers
deduplicate by `event_id`, which every message carries), and a restart resumes
from the position instead of skipping ahead or starting over.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

import anyio.to_thread
from eventsourcing.persistence import Tracking, TrackingRecorder

from services.entry.workers.health_server import Heartbeat
from services.infra.eventstore import EventStore
from services.infra.kafka.broker import new_broker
from services.infra.kafka.codec import event_headers, event_key, event_value
from services.infra.kafka.topics import Topics, ensure_topics
from services.infra.settings import Settings

log = logging.getLogger(__name__)

BATCH = 1000
RETRY_DELAY_S = 1.0


class EventPublisher:
    def __init__(self, settings: Settings, store: EventStore, positions: TrackingRecorder) -> None:
        self.settings = settings
        self.topic = Topics.of(settings).events
        self.store = store
        self.positions = positions
        self.name = f"{self.topic}@publisher"
        self.broker = new_broker(settings, client_id="contacthub-publisher")
        self.published = 0
        self.heartbeat = Heartbeat()

    def position(self) -> int:
        return self.positions.max_tracking_id(self.name) or 0

    async def run(self, stop: asyncio.Event) -> None:
        await ensure_topics(self.settings)
        await self.broker.connect()
        position = await anyio.to_thread.run_sync(self.position)
        log.info("publishing to %s from notification %d", self.topic, position)
        reported = time.monotonic()
        try:
            while not stop.is_set():
                self.heartbeat.beat()
                try:
                    moved = await self.publish_after(position)
                except Exception as exc:  # broker or store down: the same batch again
                    log.warning("publishing after %d failed (%r); retrying", position, exc)
                    await _sleep_unless(stop, RETRY_DELAY_S)
                    continue
                if moved == position:
                    await _sleep_unless(stop, self.settings.poll_interval)
                position = moved
                if time.monotonic() - reported > 10:
                    reported = time.monotonic()
                    log.info("published %d events; position %d", self.published, position)
        finally:
            await self.broker.stop()

    async def publish_after(self, position: int) -> int:
        """Publishes the next batch; returns the new position once it is tracked."""
        batch = await anyio.to_thread.run_sync(self.store.notifications, position, BATCH)
        if not batch:
            return position
        pending = [
            await self.broker.publish(
                event_value(event),
                self.topic,
                key=event_key(event),
                headers=event_headers(event, notification_id),
                no_confirm=True,
            )
            for notification_id, event in batch
        ]
        await asyncio.wait_for(asyncio.gather(*pending), self.settings.kafka_produce_timeout * 6)
        last = batch[-1][0]
        await anyio.to_thread.run_sync(self.positions.insert_tracking, Tracking(self.name, last))
        self.published += len(batch)
        return last


async def _sleep_unless(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
