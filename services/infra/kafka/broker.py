"""The one place that configures the Kafka clients (one module owns the broker).

Producers go through FastStream's `KafkaBroker` with `acks="all"`: a send
returns only once every in-sync replica has the message. The idempotent
producer stays off: the exactly-once effect comes from deterministic event ids
and the recorder's tracked offsets, not from the broker (docs/ARCHITECTURE.md, guarantees),
and brokers without it (the test broker) still work.

The gateway's producer is aiokafka's, configured here too (`producer_config`):
FastStream's publish path costs more CPU per message than the rest of a webhook's
Kafka work, and the gateway sends thousands per second.

The recorder's consumer is aiokafka's, configured here too: FastStream's batch
subscriber has no way to seek a partition back after a failed database write,
and the recorder must commit only after its own transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from aiokafka.partitioner import DefaultPartitioner, murmur2
from faststream.kafka import KafkaBroker

from services.infra.settings import Settings

log = logging.getLogger(__name__)


def bootstrap_of(settings: Settings) -> str:
    if not settings.kafka_bootstrap:
        raise ValueError("set CONTACTHUB_KAFKA_BOOTSTRAP to run the distributed services")
    return settings.kafka_bootstrap


def new_broker(settings: Settings, *, client_id: str) -> KafkaBroker:
    """A FastStream broker whose producer waits for acks=all, within the produce timeout."""
    timeout_ms = int(settings.kafka_produce_timeout * 1000)
    return KafkaBroker(
        bootstrap_of(settings),
        client_id=client_id,
        acks="all",
        enable_idempotence=False,
        request_timeout_ms=timeout_ms,
        # A short linger lets concurrent webhooks share one produce request.
        linger_ms=2,
        allow_auto_create_topics=False,
        logger=log,
        log_level=logging.DEBUG,
    )


_default_partitioner = DefaultPartitioner()


@lru_cache(maxsize=65_536)
def _key_hash(key: bytes) -> int:
    return int(murmur2(key)) & 0x7FFFFFFF


def keyed_partitioner(
    key: bytes | None, partitions: Sequence[int], available: Sequence[int]
) -> int:
    """aiokafka's (and Java's) default partitioner for keyed messages, with the
    pure-Python murmur2 of recent keys cached: intake keys are senders' address
    keys, which repeat."""
    if key is None:
        return int(_default_partitioner(key, partitions, available))
    return partitions[_key_hash(key) % len(partitions)]


def producer_config(settings: Settings, *, client_id: str) -> dict[str, Any]:
    """aiokafka producer settings for the gateway's hot path (services/infra/kafka/bus.py):
    the same guarantees as new_broker's producer (acks=all, the produce timeout)."""
    return {
        "bootstrap_servers": bootstrap_of(settings),
        "client_id": client_id,
        "acks": "all",
        "enable_idempotence": False,
        "request_timeout_ms": int(settings.kafka_produce_timeout * 1000),
        # Webhooks arrive concurrently: a few ms of linger puts the messages of
        # many requests into one produce request (one round trip, one ack).
        "linger_ms": 0,
        "max_batch_size": 256 * 1024,
        "partitioner": keyed_partitioner,
    }


def consumer_config(settings: Settings, *, group_id: str, client_id: str) -> dict[str, Any]:
    """aiokafka consumer settings for a group member that commits by hand."""
    session = settings.kafka_session_timeout_ms
    return {
        "bootstrap_servers": bootstrap_of(settings),
        "group_id": group_id,
        "client_id": client_id,
        "enable_auto_commit": False,
        # Only used when a partition has no tracked position and no committed offset.
        "auto_offset_reset": "earliest",
        "session_timeout_ms": session,
        "heartbeat_interval_ms": max(100, session // 5),
        "max_poll_interval_ms": max(60_000, session * 6),
        "rebalance_timeout_ms": max(10_000, session * 2),
        "max_poll_records": settings.kafka_max_poll_records,
        # Under a steady trickle the broker answers a fetch as soon as it has data;
        # this caps the wait when a partition is idle (projection lag, not load).
        "fetch_max_wait_ms": 50,
        "fetch_max_bytes": 52_428_800,
        "max_partition_fetch_bytes": 4 * 1_048_576,
    }
