"""The recorder under SIGKILL, in a consumer group, and re-consuming the topic:
the event store holds every message exactly once whatever happens to it."""

from __future__ import annotations

import asyncio
import base64
import json
import random
import time

from services.infra.eventstore.keys import derive_key
from tests.support.hub import wait_until
from tests.support.services import Service, Services
from tests.support.traffic import (
    as_message,
    duplicate_messages,
    event_counts,
    execute,
    intake_event,
    produce,
    query,
    tracked_offsets,
)

MESSAGES = 10_000
REDELIVERED = 500  # webhooks the provider sent twice: the same MessageSid again


def messages_for(
    env: dict[str, str], numbers: range, redelivered: int = 0
) -> list[tuple[bytes, bytes, dict[str, str]]]:
    secret = derive_key(base64.b64decode(env["CONTACTHUB_MASTER_KEY"]), "address-key")
    events = [intake_event(n, secret) for n in numbers]
    messages = [as_message(e) for e in events]
    rng = random.Random(4)
    for n in rng.sample(range(len(messages)), redelivered):
        messages.insert(min(len(messages), n + rng.randrange(1, 300)), messages[n])
    return messages


def wait_until_all_tracked(
    env: dict[str, str], postgres_url: str, produced: dict[int, int], timeout: float = 120
) -> None:
    """Until the store's positions reach the last produced offset of every partition."""
    topic = interactions_topic(env)
    wait_until(lambda: tracked_offsets(postgres_url, topic) == produced, timeout, interval=0.25)


def merge(into: dict[int, int], produced: dict[int, int]) -> None:
    for partition, offset in produced.items():
        into[partition] = max(offset, into.get(partition, -1))


def interactions_topic(env: dict[str, str]) -> str:
    return env["CONTACTHUB_KAFKA_TOPIC_PREFIX"] + "contacthub.interactions.v1"


def assert_exactly_once(postgres_url: str, messages: int) -> None:
    counts = event_counts(postgres_url)
    assert counts["SmsReceived"] == messages
    assert duplicate_messages(postgres_url) == 0
    assert counts["CustomerRegistered"] == counts["AddressClaimed"] == min(messages, 1000)


def test_sigkill_at_random_moments_records_each_message_exactly_once(
    services: Services, env: dict[str, str], postgres_url: str
) -> None:
    messages = messages_for(env, range(MESSAGES), REDELIVERED)
    topic = interactions_topic(env)
    # Small polls: a wave takes several transactions, so a kill can fall between them.
    env["CONTACTHUB_KAFKA_MAX_POLL_RECORDS"] = "200"
    recorder = services.start("recorder", ready_log="assigned")

    def stored() -> int:
        return event_counts(postgres_url).get("SmsReceived", 0)

    # The messages flow in twelve waves; the recorder is killed during each, at a
    # random moment after it has visibly made progress in its new life.
    produced: dict[int, int] = {}
    rng = random.Random(7)
    waves = 12
    size = -(-len(messages) // waves)
    stored_at_kill: list[int] = []
    for wave in range(waves):
        before = stored()
        chunk = messages[wave * size : (wave + 1) * size]
        merge(produced, asyncio.run(produce(env["CONTACTHUB_KAFKA_BOOTSTRAP"], topic, chunk)))
        wait_until(lambda before=before: stored() > before, timeout=60, interval=0.01)
        time.sleep(rng.uniform(0.0, 0.3))
        recorder.kill()
        stored_at_kill.append(stored())
        recorder = services.start("recorder", ready_log="assigned")
    wait_until_all_tracked(env, postgres_url, produced)

    kills = len(stored_at_kill)
    # Each kill fell while messages were still to be recorded.
    assert sum(1 for count in stored_at_kill if 0 < count < MESSAGES) >= 10
    assert_exactly_once(postgres_url, MESSAGES)
    print(f"\n{kills} SIGKILLs; recorded counts at each: {stored_at_kill}")


def last_totals(service: Service) -> dict[str, int]:
    lines = [line for line in service.output().splitlines() if "recorder totals" in line]
    assert lines, service.output()[-2000:]
    totals: dict[str, int] = json.loads(lines[-1].split("recorder totals ", 1)[1])
    return totals


def assigned_sets(service: Service) -> list[set[int]]:
    found = []
    for line in service.output().splitlines():
        if " assigned [" in line:
            found.append(set(json.loads(line.split(" assigned ", 1)[1])))
    return found


def test_two_recorders_share_the_partitions_and_hand_over_without_loss(
    services: Services, env: dict[str, str], postgres_url: str
) -> None:
    total = 6_000
    messages = messages_for(env, range(total), 200)
    topic = interactions_topic(env)
    first = services.start("recorder", ready_log="assigned")
    second = services.start("recorder", ready_log="assigned")
    # Both members hold a share of the six partitions once the group settled.
    wait_until(
        lambda: (
            assigned_sets(first)[-1]
            and assigned_sets(second)[-1]
            and assigned_sets(first)[-1] | assigned_sets(second)[-1] == set(range(6))
        ),
        timeout=30,
        interval=0.2,
    )
    assert not assigned_sets(first)[-1] & assigned_sets(second)[-1]

    bootstrap = env["CONTACTHUB_KAFKA_BOOTSTRAP"]
    produced = asyncio.run(produce(bootstrap, topic, messages[: len(messages) // 2]))
    wait_until(lambda: event_counts(postgres_url).get("SmsReceived", 0) > 0, timeout=30)
    first.stop()  # SIGTERM: it finishes its poll, leaves the group, hands over
    merge(produced, asyncio.run(produce(bootstrap, topic, messages[len(messages) // 2 :])))
    wait_until(lambda: assigned_sets(second)[-1] == set(range(6)), timeout=30, interval=0.2)
    wait_until_all_tracked(env, postgres_url, produced)

    assert_exactly_once(postgres_url, total)
    assert last_totals(first)["messages"] > 0  # both did part of the work
    second.stop()
    assert last_totals(second)["messages"] > 0


def test_reconsuming_the_whole_topic_from_the_earliest_offset_records_nothing_new(
    services: Services, env: dict[str, str], postgres_url: str
) -> None:
    total = 3_000
    topic = interactions_topic(env)
    messages = messages_for(env, range(total))
    produced = asyncio.run(produce(env["CONTACTHUB_KAFKA_BOOTSTRAP"], topic, messages))
    recorder = services.start("recorder", ready_log="assigned")
    wait_until_all_tracked(env, postgres_url, produced)
    recorder.stop()
    before = query(postgres_url, "SELECT max(notification_id), count(*) FROM contacthub_events")

    # Forget the positions: the next recorder starts every partition at offset 0
    # (the group's committed offsets are ignored; the store is the truth).
    execute(
        postgres_url,
        "DELETE FROM contacthub_tracking WHERE application_name LIKE %s",
        (topic + ":%",),
    )
    again = services.start("recorder", ready_log="assigned")
    wait_until_all_tracked(env, postgres_url, produced)
    again.stop()

    assert (
        query(postgres_url, "SELECT max(notification_id), count(*) FROM contacthub_events")
        == before
    )
    totals = last_totals(again)
    assert totals["messages"] == total and totals["duplicates"] == total
    assert_exactly_once(postgres_url, total)
