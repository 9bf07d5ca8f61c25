"""The hub's topics, and their creation when a fresh cluster lacks them.

Topics are created explicitly with their partitions: a broker's auto-created
topic gets one partition, which would cap the recorder group at one member.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaConnectionError, TopicAlreadyExistsError, for_code

from services.infra.settings import Settings

log = logging.getLogger(__name__)

INTERACTIONS = "contacthub.interactions.v1"
EVENTS = "contacthub.events.v1"
# Orders from a shop or ERP, the JSON of POST /api/v1/orders (docs/analytics.md).
ORDERS = "contacthub.orders.v1"
ORDERS_GROUP = "contacthub-orders"
DLQ_SUFFIX = ".dlq"
RECORDER_GROUP = "contacthub-recorder"
# A service (re)started while the broker is away waits for it this long before
# it gives up: a restart during a broker restart is no reason to exit.
BROKER_WAIT_SECONDS = 120.0


@dataclass(frozen=True)
class Topics:
    """Topic and group names, with the configured prefix applied."""

    interactions: str
    interactions_dlq: str
    events: str
    recorder_group: str
    orders: str
    orders_dlq: str
    orders_group: str

    @classmethod
    def of(cls, settings: Settings) -> Topics:
        prefix = settings.kafka_topic_prefix
        return cls(
            interactions=prefix + INTERACTIONS,
            interactions_dlq=prefix + INTERACTIONS + DLQ_SUFFIX,
            events=prefix + EVENTS,
            recorder_group=prefix + RECORDER_GROUP,
            orders=prefix + ORDERS,
            orders_dlq=prefix + ORDERS + DLQ_SUFFIX,
            orders_group=prefix + ORDERS_GROUP,
        )

    @property
    def all(self) -> tuple[str, ...]:
        return (
            self.interactions,
            self.interactions_dlq,
            self.events,
            self.orders,
            self.orders_dlq,
        )


def tracking_name(topic: str, partition: int) -> str:
    """The recorder's position in one partition, as kept in the event store."""
    return f"{topic}:{partition}"


async def ensure_topics(settings: Settings) -> list[str]:
    """Creates the hub's topics that are missing; returns the names it created."""
    assert settings.kafka_bootstrap, "CONTACTHUB_KAFKA_BOOTSTRAP is not set"
    topics = Topics.of(settings)
    admin = await _admin_client(settings.kafka_bootstrap)
    try:
        existing = set(await admin.list_topics())
        missing = [name for name in topics.all if name not in existing]
        if not missing:
            return []
        response = await admin.create_topics(
            [
                NewTopic(name, settings.kafka_partitions, settings.kafka_replication)
                for name in missing
            ]
        )
        created: list[str] = []
        for result in response.to_object()["topic_errors"]:
            topic, code = result["topic"], result["error_code"]
            if code == 0:
                created.append(topic)
                continue
            error = for_code(code)(result.get("error_message") or f"error code {code}")
            # Another service created it between our list and create: fine.
            if not isinstance(error, TopicAlreadyExistsError):
                raise error
        if created:
            log.info("created topics %s with %d partitions", created, settings.kafka_partitions)
        return created
    finally:
        await admin.close()


async def _admin_client(bootstrap: str) -> AIOKafkaAdminClient:
    """A started admin client; waits for an unreachable broker up to
    BROKER_WAIT_SECONDS, with a growing pause, then raises."""
    deadline = time.monotonic() + BROKER_WAIT_SECONDS
    pause = 0.5
    while True:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="contacthub-admin")
        try:
            await admin.start()
            return admin
        except KafkaConnectionError:
            await admin.close()
            if time.monotonic() + pause > deadline:
                raise
            log.warning("broker %s unreachable; retrying in %.1f s", bootstrap, pause)
            await asyncio.sleep(pause)
            pause = min(pause * 2, 5.0)
