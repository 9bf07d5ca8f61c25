"""Downstream systems on `contacthub.events.v1`: a plain aiokafka consumer sees
every stored event once per event id, each customer's in the store's order,
across a SIGKILL of the publisher (a restart neither skips nor floods)."""

from __future__ import annotations

import asyncio
import base64
import time
from collections import defaultdict

import orjson
from aiokafka import AIOKafkaConsumer

from events import event_class
from services.infra.eventstore.keys import derive_key
from services.infra.kafka.codec import EVENT_ID_HEADER, POSITION_HEADER, TYPE_HEADER, header_map
from tests.support.hub import wait_until
from tests.support.services import Services
from tests.support.traffic import SENDERS, as_message, execute, intake_event, produce, query

MESSAGES = 3_000
BATCH = 1000  # services/entry/workers/publisher.py: the most a crash can repeat


async def consume_all(bootstrap: str, topic: str, distinct: int, timeout: float = 60) -> list:  # type: ignore[type-arg]
    """What a downstream system reads from the beginning of the topic: until it
    has seen `distinct` event ids and nothing more arrives for a second."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", group_id=None
    )
    await consumer.start()
    try:
        records: list = []  # type: ignore[type-arg]
        seen: set[str] = set()
        deadline = time.monotonic() + timeout
        quiet_since = time.monotonic()
        while time.monotonic() < deadline:
            polled = await consumer.getmany(timeout_ms=300)
            for batch in polled.values():
                records += batch
                seen.update(header_map(r.headers)[EVENT_ID_HEADER] for r in batch)
            if polled:
                quiet_since = time.monotonic()
            elif len(seen) >= distinct and time.monotonic() - quiet_since > 1:
                break
        return records
    finally:
        await consumer.stop()


def test_a_downstream_consumer_sees_every_event_once_per_id_in_order_per_customer(
    services: Services, env: dict[str, str], postgres_url: str
) -> None:
    prefix = env["CONTACTHUB_KAFKA_TOPIC_PREFIX"]
    bootstrap = env["CONTACTHUB_KAFKA_BOOTSTRAP"]
    intake_topic = prefix + "contacthub.interactions.v1"
    secret = derive_key(base64.b64decode(env["CONTACTHUB_MASTER_KEY"]), "address-key")
    services.start("recorder", ready_log="assigned")
    publisher = services.start("publisher", ready_log="publishing to")
    intake = [as_message(intake_event(n, secret)) for n in range(MESSAGES)]
    asyncio.run(produce(bootstrap, intake_topic, intake[: MESSAGES // 2]))

    # Kill the publisher once it has published part of the log, then restart it.
    wait_until(lambda: published(postgres_url) > 0, timeout=30, interval=0.05)
    publisher.kill()
    asyncio.run(produce(bootstrap, intake_topic, intake[MESSAGES // 2 :]))
    services.start("publisher", ready_log="publishing to")

    # Every message, plus three events per new customer (registered, linked, claimed).
    total = MESSAGES + 3 * min(MESSAGES, SENDERS)
    wait_until(lambda: event_total(postgres_url) == total, timeout=60, interval=0.2)
    wait_until(
        lambda: published(postgres_url) == max_notification(postgres_url), timeout=60, interval=0.2
    )

    records = asyncio.run(consume_all(bootstrap, prefix + "contacthub.events.v1", total))
    first_seen: set[str] = set()
    per_customer: dict[bytes, list[int]] = defaultdict(list)
    for record in records:
        headers = header_map(record.headers)
        payload = orjson.loads(record.value)
        assert headers[EVENT_ID_HEADER] == payload["event_id"]
        assert headers[TYPE_HEADER] == payload["type"]
        # The value is the event itself, valid against its published JSON Schema.
        event = event_class(payload["type"]).model_validate_json(record.value)
        assert record.key == str(event.customer_id).encode()
        if payload["event_id"] in first_seen:
            continue  # a repeat after the crash: consumers drop it by event id
        first_seen.add(payload["event_id"])
        per_customer[record.key].append(int(headers[POSITION_HEADER]))

    stored = query(postgres_url, "SELECT state FROM contacthub_events")
    assert first_seen == {orjson.loads(bytes(state))["event_id"] for (state,) in stored}
    for positions in per_customer.values():
        assert positions == sorted(positions)  # each customer's events in store order
    repeats = len(records) - len(first_seen)
    assert repeats <= BATCH  # the restart repeated at most the unconfirmed batch
    print(f"\n{len(first_seen)} events downstream; {repeats} repeated after the SIGKILL")


def published(url: str) -> int:
    rows = query(url, "SELECT max(notification_id) FROM publisher_tracking")
    return int(rows[0][0] or 0)


def event_total(url: str) -> int:
    return int(query(url, "SELECT count(*) FROM contacthub_events")[0][0])


def max_notification(url: str) -> int:
    return int(query(url, "SELECT max(notification_id) FROM contacthub_events")[0][0] or 0)


def test_a_position_lost_after_the_ack_republishes_nothing(
    services: Services, env: dict[str, str], postgres_url: str
) -> None:
    """The crash between the broker's ack and the position write, made certain:
    the position is deleted; the new publisher finds the events on the topic
    (the last message of each partition) and publishes none of them again."""
    start_s = 120  # start-up on a busy shared machine
    prefix = env["CONTACTHUB_KAFKA_TOPIC_PREFIX"]
    bootstrap = env["CONTACTHUB_KAFKA_BOOTSTRAP"]
    secret = derive_key(base64.b64decode(env["CONTACTHUB_MASTER_KEY"]), "address-key")
    services.start("recorder", ready_log="assigned", timeout=start_s)
    publisher = services.start("publisher", ready_log="publishing to", timeout=start_s)
    messages = 300
    intake = [as_message(intake_event(n, secret)) for n in range(messages)]
    asyncio.run(produce(bootstrap, prefix + "contacthub.interactions.v1", intake))
    total = messages + 3 * min(messages, SENDERS)
    wait_until(lambda: event_total(postgres_url) == total, timeout=60, interval=0.2)
    wait_until(lambda: published(postgres_url) == max_notification(postgres_url), 60, 0.2)
    publisher.stop()
    execute(postgres_url, "DELETE FROM publisher_tracking")

    again = services.start("publisher", ready_log="publishing to", timeout=start_s)
    wait_until(lambda: published(postgres_url) == max_notification(postgres_url), 60, 0.2)
    records = asyncio.run(consume_all(bootstrap, prefix + "contacthub.events.v1", total))
    ids = [header_map(r.headers)[EVENT_ID_HEADER] for r in records]
    assert len(ids) == len(set(ids)) == total
    assert "already on" in again.output()
