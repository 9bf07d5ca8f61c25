"""`contacthub run recorder`: the intake topic -> the event store, exactly once in effect.

A consumer-group member (aiokafka beneath FastStream's producer, see broker.py):
each poll is decoded, decided and written with one `Tracking("<topic>:<partition>",
offset)` per partition in ONE transaction (services/app/intake/batch_recorder.py). Only
then is the Kafka offset committed, and that commit is a courtesy for lag
monitors: on every (re)assignment the recorder seeks each partition to the
position tracked in the store, which is the truth. A crash at any moment thus
replays at most the uncommitted poll, and the replay records nothing twice.

A message that cannot be recorded (undecodable, invalid, of a foreign type, or
failing `kafka_max_attempts` times) is published to `<topic>.dlq` with the error
and its origin in headers before its position is written; the partition keeps
flowing. If the store is down, the poll is sought back and tried again later.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

import anyio.from_thread
import anyio.to_thread
from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import CommitFailedError, KafkaError
from aiokafka.structs import ConsumerRecord
from eventsourcing.persistence import Tracking

from services.app.intake.batch_recorder import TRANSIENT, BatchOutcome, BatchRecorder, Positioned
from services.app.intake.recorder import Recorder
from services.entry.workers.health_server import Heartbeat
from services.infra.eventstore import EventStore
from services.infra.kafka.broker import consumer_config, new_broker
from services.infra.kafka.codec import (
    ERROR_HEADER,
    ORIGIN_OFFSET_HEADER,
    ORIGIN_PARTITION_HEADER,
    ORIGIN_TOPIC_HEADER,
    PoisonMessage,
    decode_intake,
)
from services.infra.kafka.topics import Topics, ensure_topics, tracking_name
from services.infra.settings import Settings

# A poll that fails on one of these is sought back and retried, never dropped.
RETRYABLE: tuple[type[BaseException], ...] = (*TRANSIENT, KafkaError)

log = logging.getLogger(__name__)

Record = ConsumerRecord[bytes, bytes]
RETRY_DELAY_S = 1.0


class KafkaRecorder:
    def __init__(
        self, settings: Settings, store: EventStore, clock: Callable[[], datetime]
    ) -> None:
        self.settings = settings
        self.topics = Topics.of(settings)
        self.store = store
        single = Recorder(
            store, clock, email_thread_window=timedelta(days=settings.email_thread_window_days)
        )
        self.batches = BatchRecorder(store, clock, settings.kafka_max_attempts, single)
        self.broker = new_broker(settings, client_id="contacthub-recorder")
        self._consumer: AIOKafkaConsumer | None = None
        # Held while a poll is written, so a rebalance waits for it to finish.
        self.busy = asyncio.Lock()
        self._parked: set[Tracking] = set()
        self._raw: dict[Tracking, Record] = {}
        self.heartbeat = Heartbeat()
        # Tracked position per partition as far as this process knows it.
        self.positions: dict[str, int] = {}
        self.totals = {
            "messages": 0,
            "recorded": 0,
            "duplicates": 0,
            "skipped": 0,
            "dead_lettered": 0,
        }

    @property
    def consumer(self) -> AIOKafkaConsumer:
        assert self._consumer is not None, "the recorder is not running"
        return self._consumer

    async def run(self, stop: asyncio.Event) -> None:
        await ensure_topics(self.settings)
        self._consumer = AIOKafkaConsumer(
            **consumer_config(
                self.settings, group_id=self.topics.recorder_group, client_id="contacthub-recorder"
            )
        )
        await self.broker.connect()
        self.consumer.subscribe([self.topics.interactions], listener=SeekToTracked(self))
        await self.consumer.start()
        log.info(
            "recorder consuming %s as %s", self.topics.interactions, self.topics.recorder_group
        )
        reported = time.monotonic()
        try:
            while not stop.is_set():
                self.heartbeat.beat()
                polled = await self.consumer.getmany(timeout_ms=200)
                if polled:
                    async with self.busy:
                        await self.handle(polled)
                if time.monotonic() - reported > 10:
                    reported = time.monotonic()
                    log.info("recorder totals %s", json.dumps(self.totals))
        finally:
            await self.consumer.stop()
            log.info("recorder totals %s", json.dumps(self.totals))
            await self.broker.stop()

    async def handle(self, polled: dict[TopicPartition, list[Record]]) -> None:
        items: list[Positioned] = []
        self._raw.clear()
        for tp, records in polled.items():
            name = tracking_name(tp.topic, tp.partition)
            done = self.positions.get(name, -1)
            if records[0].offset <= done:
                # Fetched from the group's commit before the seek to the store's
                # position took effect: already recorded, so not even tried.
                log.info("dropping %s below its position %d", name, done)
                self.totals["skipped"] += sum(1 for r in records if r.offset <= done)
            elif done >= 0 and records[0].offset > done + 1:
                # Only retention should cause this: messages expired unrecorded.
                log.warning("%s jumps from %d to %d", name, done, records[0].offset)
            for record in records:
                if record.offset <= done:
                    continue
                tracking = Tracking(name, record.offset)
                self._raw[tracking] = record
                try:
                    items.append(Positioned(tracking, decode_intake(record.value)))
                except PoisonMessage as exc:
                    items.append(Positioned(tracking, None, exc))
        if not items:
            return
        try:
            outcome: BatchOutcome = await anyio.to_thread.run_sync(
                self.batches.record, items, self._park_from_thread
            )
        except RETRYABLE as exc:
            log.warning("cannot record a poll of %d now (%r); retrying", len(items), exc)
            for tp, records in polled.items():
                self.consumer.seek(tp, records[0].offset)
            await asyncio.sleep(RETRY_DELAY_S)
            return
        for item in items:
            name = item.position.application_name
            self.positions[name] = max(item.position.notification_id, self.positions.get(name, -1))
        self.totals["messages"] += len(items)
        self.totals["recorded"] += outcome.recorded
        self.totals["duplicates"] += outcome.duplicates
        self.totals["skipped"] += outcome.skipped
        try:
            await self.consumer.commit({tp: rs[-1].offset + 1 for tp, rs in polled.items()})
        except (CommitFailedError, KafkaError) as exc:
            # The store holds the position; the commit only informs lag monitors.
            log.info("offset commit skipped: %r", exc)

    def _park_from_thread(self, rejected: list[tuple[Positioned, Exception]]) -> None:
        fresh = [(item, exc) for item, exc in rejected if item.tracking not in self._parked]
        if fresh:
            anyio.from_thread.run(self.park, fresh)

    async def park(self, rejected: Sequence[tuple[Positioned, Exception]]) -> None:
        """Publishes the messages to the dead-letter topic and waits for the acks."""
        for item, exc in rejected:
            record = self._raw[item.position]
            log.warning(
                "dead-lettering %s@%d: %s", item.position.application_name, record.offset, exc
            )
            await self.broker.publish(
                record.value or b"",
                self.topics.interactions_dlq,
                key=record.key,
                headers={
                    ERROR_HEADER: f"{type(exc).__name__}: {exc}"[:2000],
                    ORIGIN_TOPIC_HEADER: record.topic,
                    ORIGIN_PARTITION_HEADER: str(record.partition),
                    ORIGIN_OFFSET_HEADER: str(record.offset),
                },
            )
            self._parked.add(item.position)
            self.totals["dead_lettered"] += 1


class SeekToTracked(ConsumerRebalanceListener):
    """Starts every newly assigned partition right after its tracked position."""

    def __init__(self, recorder: KafkaRecorder) -> None:
        self.recorder = recorder

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        # Let the poll in hand finish (and commit) before another member takes over.
        async with self.recorder.busy:
            pass

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        # The store is read WITHOUT yielding to the event loop: the consumer's
        # fetcher must not start a partition from the group's committed offset
        # before the seek below. A record fetched from there could lie beyond
        # the store's position, and writing its offset would skip the records
        # in between. (A few milliseconds of blocking, once per rebalance.)
        consumer = self.recorder.consumer
        for tp in sorted(assigned):
            name = tracking_name(tp.topic, tp.partition)
            try:
                done = self.recorder.store.max_tracking_id(name)
            except TRANSIENT as exc:
                # The committed offset is never ahead of the store (it is written
                # after it), so starting there can only repeat recorded messages.
                log.warning("position of %s unknown (%r): starting at the commit", name, exc)
                continue
            self.recorder.positions[name] = -1 if done is None else done
            if done is None:
                consumer.seek(tp, 0)  # from the earliest message the broker still has
            else:
                consumer.seek(tp, done + 1)
        log.info("assigned %s", json.dumps(sorted(tp.partition for tp in assigned)))
