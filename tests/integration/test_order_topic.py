"""Orders over Kafka (contacthub.orders.v1) on the tansu broker and PostgreSQL:
each valid order recorded once however often it comes, each invalid one in
the dead-letter topic with its reason, and the partition keeps flowing."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from events import OrderPlaced, order_stream_id
from services.entry.workers.order_consumer import OrderConsumer
from services.infra.kafka.codec import ERROR_HEADER
from services.infra.kafka.topics import Topics, ensure_topics
from services.infra.settings import Settings
from services.wiring.hub import build_hub


def an_order(order_id: str, customer: dict[str, str]) -> bytes:
    body: dict[str, Any] = {
        "order_id": order_id,
        "customer": customer,
        "ordered_at": "2025-05-01T10:00:00+02:00",
        "currency": "EUR",
        "lines": [
            {"sku": "S1", "name": "Tea", "category": "tea", "quantity": 2, "unit_price": "3.50"}
        ],
    }
    return json.dumps(body).encode()


def test_orders_from_the_topic_record_once_and_bad_ones_go_to_the_dlq(
    settings_of_env: Settings,
) -> None:
    settings = settings_of_env
    hub = build_hub(settings, parts=("store", "orders"))
    topics = Topics.of(settings)
    consumer = OrderConsumer(settings, hub.orders)
    messages = [
        an_order("K-1", {"email": "k@example.org"}),
        an_order("K-1", {"email": "k@example.org"}),  # the shop sent it twice
        b"{not json",
        an_order("K-2", {"email": "k@example.org", "phone": "+4917690005555"}),
        an_order("K-3", {"phone": "+4917690005555"}),
    ]

    async def main() -> list[Any]:
        await ensure_topics(settings)
        stop = asyncio.Event()
        running = asyncio.create_task(consumer.run(stop))
        producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks="all")
        await producer.start()
        try:
            for body in messages:
                await producer.send_and_wait(topics.orders, body, key=b"shop")
        finally:
            await producer.stop()
        deadline = time.monotonic() + 60
        while consumer.recorded + consumer.dead < 4 and not running.done():
            assert time.monotonic() < deadline, (consumer.recorded, consumer.dead)
            await asyncio.sleep(0.1)
        stop.set()
        await running
        dlq = AIOKafkaConsumer(
            topics.orders_dlq,
            bootstrap_servers=settings.kafka_bootstrap,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        await dlq.start()
        try:
            found: list[Any] = []
            while len(found) < 2 and time.monotonic() < deadline:
                for records in (await dlq.getmany(timeout_ms=500)).values():
                    found += records
            return found
        finally:
            await dlq.stop()

    dead = asyncio.run(main())
    assert (consumer.recorded, consumer.dead) == (2, 2)
    assert [d.value for d in dead] == [messages[2], messages[3]]
    reasons = [dict(d.headers)[ERROR_HEADER].decode() for d in dead]
    assert "json" in reasons[0].lower()
    assert "customer" in reasons[1] and "extra" in reasons[1].lower()
    for order_id in ("K-1", "K-3"):
        [placed] = hub.store.stream(order_stream_id(order_id))
        assert isinstance(placed, OrderPlaced) and placed.source == "kafka"
    assert hub.store.stream(order_stream_id("K-2")) == []
