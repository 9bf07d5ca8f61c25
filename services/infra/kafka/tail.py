"""What a topic's partitions end with: the publisher's guard against publishing twice.

The publisher writes its position only after the broker acknowledged a batch, so
a crash (or a store outage) between the two leaves a batch on the topic that
the position does not cover. Reading the last message of every partition tells
how far each got: per partition the publisher's messages are in notification
order (one producer; aiokafka keeps one batch per partition in flight), so the
last message's notification id is that partition's high-water mark.
"""

from __future__ import annotations

import logging

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError

from services.infra.kafka.codec import POSITION_HEADER, header_map
from services.infra.settings import Settings

log = logging.getLogger(__name__)

FETCH_WAIT_MS = 200


async def partition_marks(settings: Settings, topic: str) -> dict[int, int]:
    """The notification id (POSITION_HEADER) of the last message of every partition
    of `topic`; 0 for an empty partition. Raises KafkaError when the broker is away."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap,
        group_id=None,
        enable_auto_commit=False,
        client_id="contacthub-publisher-tail",
        fetch_max_wait_ms=FETCH_WAIT_MS,
        request_timeout_ms=int(settings.kafka_produce_timeout * 1000) + 5_000,
    )
    await consumer.start()
    try:
        partitions = consumer.partitions_for_topic(topic)
        if not partitions:  # the caller's retry asks again
            raise KafkaError(f"no partitions known for {topic}")
        assigned = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(assigned)
        ends = await consumer.end_offsets(assigned)
        marks = dict.fromkeys(partitions, 0)
        for tp in assigned:
            # The end offset may lag the last acknowledged write on some brokers
            # (the test broker's does): start one before it and read to the end.
            consumer.seek(tp, max(0, ends[tp] - 1))
        while True:
            fetched = await consumer.getmany(*assigned, timeout_ms=FETCH_WAIT_MS)
            if not any(fetched.values()):
                break
            for tp, records in fetched.items():
                for record in records:
                    position = header_map(record.headers).get(POSITION_HEADER)
                    if position is not None:
                        marks[tp.partition] = max(marks[tp.partition], int(position))
        return marks
    finally:
        await consumer.stop()
