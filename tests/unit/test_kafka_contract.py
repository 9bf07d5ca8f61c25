"""What travels on the topics: intake decoding, keys, and the AsyncAPI document
that `contacthub schema` writes for downstream teams."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

import pytest

from events import EVENT_TYPES, CustomerRegistered
from services.infra.kafka.codec import PoisonMessage, decode_intake, intake_key
from tests.support.traffic import intake_event

SECRET = b"k" * 32


def test_an_intake_event_survives_the_topic_and_is_keyed_by_the_address_hash() -> None:
    event = intake_event(42, SECRET)
    assert decode_intake(event.model_dump_json().encode()) == event
    key = intake_key(event)
    assert key == event.address_key.encode()
    assert event.from_address.encode() not in key  # never the plain number


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (b"", "empty"),
        (b"\xff\xfe", "not JSON"),
        (b"[1, 2]", "no `type`"),
        (b'{"type": "SmsTeleported"}', "unknown event type"),
        (b'{"type": "SmsReceived", "event_id": "x"}', "invalid SmsReceived"),
    ],
)
def test_undecodable_intake_is_poison_with_the_reason(value: bytes, reason: str) -> None:
    with pytest.raises(PoisonMessage, match=reason):
        decode_intake(value)


def test_a_domain_event_is_not_intake() -> None:
    foreign = CustomerRegistered(
        event_id=uuid4(), originator_id=uuid4(), occurred_at=datetime.now(UTC)
    )
    with pytest.raises(PoisonMessage, match="not an intake event"):
        decode_intake(foreign.model_dump_json().encode())


def test_contacthub_schema_writes_the_asyncapi_document_of_both_topics(tmp_path: Path) -> None:
    cli = str(Path(sys.executable).parent / "contacthub")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONTACTHUB_")}
    subprocess.run(
        [cli, "schema", "--out", str(tmp_path)], env=env, check=True, capture_output=True
    )

    document = json.loads((tmp_path / "asyncapi.json").read_text())
    assert document["asyncapi"].startswith("3.")
    channels = document["channels"]
    assert {"contacthub.interactions.v1", "contacthub.events.v1"} <= set(channels)
    schemas = document["components"]["schemas"]
    events_payload = schemas["contacthub.events.v1:Message:Payload"]
    referenced = {ref["$ref"].rsplit("/", 1)[1] for ref in events_payload["oneOf"]}
    assert referenced == set(EVENT_TYPES)  # every event type a consumer may meet
    assert "event_id" in schemas["SmsReceived"]["properties"]
    assert "key" in channels["contacthub.events.v1"]["description"].lower()


def test_the_gateway_partitioner_is_kafkas_default_for_keys() -> None:
    """Same partition as aiokafka's (and Java's) default, so one address keeps one partition."""
    from aiokafka.partitioner import DefaultPartitioner

    from services.infra.kafka.broker import keyed_partitioner

    default = DefaultPartitioner()
    for n in range(2000):
        key = f"{n:040x}".encode()
        for count in (1, 6, 7):
            partitions = list(range(count))
            expected = default(key, partitions, partitions)
            assert keyed_partitioner(key, partitions, partitions) == expected
            assert keyed_partitioner(key, partitions, partitions) == expected  # cached
    assert keyed_partitioner(None, [0, 1], [1]) == 1
