"""`contacthub run publisher`: the event store's notification log -> `contacthub.events.v1`.

Follows the log in notification order and publishes each event keyed by its
customer, so each customer's events keep their order on one partition. Its
position is written to its own tracking table only after the broker
acknowledged the whole batch, and a restart resumes from the position instead
of skipping ahead or starting over. A crash or a store outage between the ack
and the position would repeat that batch: so on start and after every failed
attempt the publisher reads how far each partition got (the notification id of
its last message, services/infra/kafka/tail.py), waits until that stops moving
(a timed-out produce may still land), and skips what is already there. Only
a lost acknowledgement that aiokafka retries by itself can still repeat a
message (no idempotent producer); consumers deduplicate by `event_id`, which
every message carries.
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
from services.infra.kafka.broker import keyed_partitioner, new_broker
from services.infra.kafka.codec import event_headers, event_key, event_value
from services.infra.kafka.tail import partition_marks
from services.infra.kafka.topics import Topics, ensure_topics
from services.infra.settings import Settings

log = logging.getLogger(__name__)

BATCH = 1000
RETRY_DELAY_S = 1.0
SETTLE_READS = 10


class EventPublisher:
    def __init__(self, settings: Settings, store: EventStore, positions: TrackingRecorder) -> None:
        self.settings = settings
        self.topic = Topics.of(settings).events
        self.store = store
        self.positions = positions
        self.name = f"{self.topic}@publisher"
        self.broker = new_broker(settings, client_id="contacthub-publisher")
        self.published = 0
        self.skipped = 0
        self.heartbeat = Heartbeat()
        # Per partition, the notification id its last message carries; None until
        # read (at start and after a failure), {} once the position is past them all.
        self.marks: dict[int, int] | None = None
        self.partitions: list[int] = []

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
                    self.marks = None  # part of it may be on the topic: look again
                    await _sleep_unless(stop, RETRY_DELAY_S)
                    continue
                if moved == position:
                    await _sleep_unless(stop, self.settings.poll_interval)
                position = moved
                if time.monotonic() - reported > 10:
                    reported = time.monotonic()
                    log.info(
                        "published %d events (%d already there); position %d",
                        self.published,
                        self.skipped,
                        position,
                    )
        finally:
            await self.broker.stop()

    async def settled_marks(self) -> dict[int, int]:
        """The partitions' marks once they stopped moving: a produce that timed out
        (or whose publisher died) may still be appended after its failure was seen,
        so marks read at once could miss it and the retry would repeat it. Nothing
        else publishes here, so two equal reads a produce timeout apart mean that
        nothing is in flight any more."""
        marks = await partition_marks(self.settings, self.topic)
        for _ in range(SETTLE_READS):
            await asyncio.sleep(self.settings.kafka_produce_timeout)
            again = await partition_marks(self.settings, self.topic)
            if again == marks:
                break
            log.info("%s still moving: %s -> %s", self.topic, marks, again)
            marks = again
        return marks

    async def publish_after(self, position: int) -> int:
        """Publishes the next batch; returns the new position once it is tracked."""
        if self.marks is None:
            marks = await self.settled_marks()
            self.partitions = sorted(marks)
            ahead = {p: mark for p, mark in marks.items() if mark > position}
            if ahead:
                log.info("already on %s beyond %d: %s", self.topic, position, ahead)
            self.marks = ahead
        batch = await anyio.to_thread.run_sync(self.store.notifications, position, BATCH)
        if not batch:
            return position
        pending = []
        for notification_id, event in batch:
            key = event_key(event)
            # The partition is chosen here (as the default partitioner would) so
            # that it can be compared with what that partition already holds.
            partition = keyed_partitioner(key, self.partitions, self.partitions)
            if self.marks.get(partition, 0) >= notification_id:
                self.skipped += 1
                continue
            pending.append(
                await self.broker.publish(
                    event_value(event),
                    self.topic,
                    key=key,
                    partition=partition,
                    headers=event_headers(event, notification_id),
                    no_confirm=True,
                )
            )
        await asyncio.wait_for(asyncio.gather(*pending), self.settings.kafka_produce_timeout * 6)
        last = batch[-1][0]
        await anyio.to_thread.run_sync(self.positions.insert_tracking, Tracking(self.name, last))
        self.published += len(pending)
        if self.marks and last >= max(self.marks.values()):
            self.marks = {}
        return last


async def _sleep_unless(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
