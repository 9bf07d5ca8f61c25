"""In the distributed setup (recorder and publisher as processes, Kafka, PostgreSQL),
an erasure reaches the hub's events topic as `CustomerErased`, keyed by the
customer, after the customer's earlier events: what downstream consumers act on
(docs/erasure.md)."""

from __future__ import annotations

import asyncio
import base64

import orjson

from services.infra.eventstore.keys import derive_key
from services.infra.kafka.codec import TYPE_HEADER, header_map
from tests.integration.test_publisher import consume_all
from tests.support.cli import run_cli
from tests.support.hub import wait_until
from tests.support.services import Services
from tests.support.traffic import as_message, intake_event, produce, query

REGISTERED = "SELECT originator_id FROM contacthub_events WHERE topic = 'CustomerRegistered'"


def test_the_events_topic_carries_the_erasure_after_the_customers_events(
    services: Services, env: dict[str, str], postgres_url: str
) -> None:
    prefix = env["CONTACTHUB_KAFKA_TOPIC_PREFIX"]
    bootstrap = env["CONTACTHUB_KAFKA_BOOTSTRAP"]
    secret = derive_key(base64.b64decode(env["CONTACTHUB_MASTER_KEY"]), "address-key")
    services.start("recorder", ready_log="assigned")
    services.start("publisher", ready_log="publishing to")
    message = as_message(intake_event(0, secret))
    asyncio.run(produce(bootstrap, prefix + "contacthub.interactions.v1", [message]))
    rows = wait_until(lambda: query(postgres_url, REGISTERED), timeout=30)
    customer = str(rows[0][0])

    erased = run_cli(env, "customer", "erase", customer, "--reason", "ticket 12")
    assert erased.returncode == 0, erased.stderr

    # Registered, linked, claimed, the message; then the release and the erasure.
    records = asyncio.run(consume_all(bootstrap, prefix + "contacthub.events.v1", 6))
    types = [header_map(r.headers)[TYPE_HEADER] for r in records]
    assert types[-2:] == ["AddressReleased", "CustomerErased"], types
    erasure = orjson.loads(records[-1].value)
    assert records[-1].key == customer.encode()
    assert (erasure["customer_id"], erasure["reason"]) == (customer, "ticket 12")
