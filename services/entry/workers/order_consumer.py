"""`contacthub run orders`: the topic contacthub.orders.v1 -> the event store.

Each message is one order, the JSON of `POST /api/v1/orders`. Orders are
idempotent by their `order_id` (ids derive from it), so this consumer may
record at least once: it commits a poll's offsets only after every order of
it was recorded, and a crash before that replays orders that then record
nothing new. A message that is not a valid order (bad JSON, a malformed field,
an unknown customer id, two lines of one sku) goes to contacthub.orders.v1.dlq
with the reason and its origin in headers, and the partition keeps flowing.
If the store is down the process fails without committing: restarted, it
reads the same orders again.
"""

from __future__ import annotations

import asyncio
import logging

import anyio.to_thread
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.structs import ConsumerRecord
from pydantic import ValidationError

from domain.addresses import InvalidAddress
from domain.orders import OrderRefused
from services.app.errors import CommandRefused, CustomerNotFound
from services.app.orders.book import OrderBook
from services.entry.api.order_schemas import OrderIn, command_of
from services.entry.workers.health_server import Heartbeat
from services.infra.kafka.broker import consumer_config, producer_config
from services.infra.kafka.codec import (
    ERROR_HEADER,
    ORIGIN_OFFSET_HEADER,
    ORIGIN_PARTITION_HEADER,
    ORIGIN_TOPIC_HEADER,
)
from services.infra.kafka.topics import Topics, ensure_topics
from services.infra.settings import Settings

log = logging.getLogger(__name__)

# Not an order: to the dead-letter topic. Anything else (the store down) is raised.
NOT_AN_ORDER = (ValidationError, OrderRefused, CommandRefused, CustomerNotFound, InvalidAddress)


def reason_of(exc: Exception) -> str:
    """What is wrong, naming the fields (a union names each alternative it tried)."""
    if isinstance(exc, ValidationError):
        return "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}"
            for e in exc.errors(include_url=False)
        )
    return str(exc) or type(exc).__name__


class OrderConsumer:
    def __init__(self, settings: Settings, book: OrderBook) -> None:
        self.settings = settings
        self.topics = Topics.of(settings)
        self.book = book
        self.recorded = 0
        self.dead = 0
        self.heartbeat = Heartbeat()

    async def run(self, stop: asyncio.Event) -> None:
        await ensure_topics(self.settings)
        consumer = AIOKafkaConsumer(
            self.topics.orders,
            **consumer_config(
                self.settings, group_id=self.topics.orders_group, client_id="contacthub-orders"
            ),
        )
        producer = AIOKafkaProducer(**producer_config(self.settings, client_id="contacthub-orders"))
        await producer.start()
        await consumer.start()
        try:
            while not stop.is_set():
                self.heartbeat.beat()
                polled = await consumer.getmany(timeout_ms=200)
                for records in polled.values():
                    for record in records:
                        await self.handle(record, producer)
                if polled:
                    await consumer.commit()
        finally:
            await consumer.stop()
            await producer.stop()

    async def handle(
        self, record: ConsumerRecord[bytes, bytes], producer: AIOKafkaProducer
    ) -> None:
        try:
            command = command_of(OrderIn.model_validate_json(record.value or b""))
            placed = await anyio.to_thread.run_sync(
                lambda: self.book.place(command, source="kafka")
            )
        except NOT_AN_ORDER as exc:
            reason = reason_of(exc)
            await producer.send_and_wait(
                self.topics.orders_dlq,
                record.value,
                key=record.key,
                headers=[
                    (ERROR_HEADER, reason.encode()[:1000]),
                    (ORIGIN_TOPIC_HEADER, record.topic.encode()),
                    (ORIGIN_PARTITION_HEADER, str(record.partition).encode()),
                    (ORIGIN_OFFSET_HEADER, str(record.offset).encode()),
                ],
            )
            self.dead += 1
            log.warning("order at %s:%s to the DLQ: %s", record.partition, record.offset, reason)
            return
        if placed.created:
            self.recorded += 1
