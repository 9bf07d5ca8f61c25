"""The batch recorder on a real store (SQLite and PostgreSQL): one transaction
per batch with its positions, decisions carried through the batch, duplicates
and conflicts resolved to exactly-once effect."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

import pytest
from eventsourcing.persistence import Tracking

from events import SmsStatus, SmsStatusChanged
from services.batch_recorder import BatchRecorder, Positioned
from services.eventstore import EventStore, open_event_store
from services.eventstore.store import store_location
from services.kafka.codec import PoisonMessage
from services.recorder import Recorder
from tests.support.traffic import intake_event

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
SECRET = os.urandom(32)


@pytest.fixture
def store(tmp_path: Path, database_url: str | None) -> Iterator[EventStore]:
    yield open_event_store(store_location(database_url, tmp_path), os.urandom(32), tracked=True)


def at(offset: int, n: int, partition: int = 0) -> Positioned:
    return Positioned(Tracking(f"intake:{partition}", offset), intake_event(n, SECRET))


def stored_types(store: EventStore) -> list[str]:
    return [event.type for _, event in store.notifications(0, 10_000)]


def test_a_batch_registers_one_customer_per_new_address_and_drops_repeats(
    store: EventStore,
) -> None:
    # Messages 0 and 1000 come from the same sender (traffic.SENDERS = 1000).
    batch = [at(0, 0), at(1, 1000), at(2, 0), at(0, 1, partition=1)]
    outcome = BatchRecorder(store, lambda: NOW).record(batch)

    assert (outcome.recorded, outcome.duplicates) == (3, 1)
    types = stored_types(store)
    assert types.count("SmsReceived") == 3
    assert types.count("CustomerRegistered") == 2
    assert store.max_tracking_id("intake:0") == 2
    assert store.max_tracking_id("intake:1") == 0


def test_a_redelivered_batch_records_nothing_and_keeps_the_positions(store: EventStore) -> None:
    recorder = BatchRecorder(store, lambda: NOW)
    batch = [at(offset, n) for offset, n in enumerate(range(50))]
    recorder.record(batch)
    before = store.max_notification_id()

    again = recorder.record(batch)  # the same offsets: already tracked
    assert again.skipped == 50 and again.recorded == 0
    moved = [at(100 + p.tracking.notification_id, n) for n, p in enumerate(batch)]
    later = recorder.record(moved)  # the same messages at new offsets (re-produced)
    assert later.duplicates == 50 and later.recorded == 0
    assert store.max_notification_id() == before
    assert store.max_tracking_id("intake:0") == 149


def test_a_concurrent_writer_is_resolved_by_deciding_again(store: EventStore) -> None:
    batch = [at(offset, n) for offset, n in enumerate(range(10))]
    single = Recorder(store, clock=lambda: NOW)

    def race(_: object) -> None:
        # Another recorder records message 3 between our decision and our write.
        if not store.exists(batch[3].event.originator_id):  # type: ignore[union-attr]
            single.record(batch[3].event)  # type: ignore[arg-type]

    outcome = BatchRecorder(store, lambda: NOW).record(batch, before_write=race)
    assert (outcome.recorded, outcome.duplicates) == (9, 1)
    assert stored_types(store).count("SmsReceived") == 10
    assert stored_types(store).count("CustomerRegistered") == 10


def test_unrecordable_messages_are_handed_over_before_the_write_and_tracked(
    store: EventStore,
) -> None:
    unknown = SmsStatusChanged(
        event_id=uuid4(), originator_id=uuid4(), occurred_at=NOW, status=SmsStatus.DELIVERED
    )
    batch = [
        at(0, 0),
        Positioned(Tracking("intake:0", 1), None, PoisonMessage("not JSON")),
        Positioned(Tracking("intake:0", 2), unknown),
        at(3, 1),
    ]
    handed: list[tuple[int, str]] = []

    def park(rejected: list[tuple[Positioned, Exception]]) -> None:
        assert store.max_tracking_id("intake:0") is None  # before the write
        handed.extend((item.tracking.notification_id, str(exc)) for item, exc in rejected)

    outcome = BatchRecorder(store, lambda: NOW).record(batch, before_write=park)
    assert outcome.recorded == 2 and outcome.rejected == 2
    assert [offset for offset, _ in handed] == [1, 2]
    assert "not JSON" in handed[0][1] and "no message interaction" in handed[1][1]
    assert store.max_tracking_id("intake:0") == 3
