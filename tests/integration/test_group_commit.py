"""The embedded group commit on a real store (SQLite and PostgreSQL): concurrent
publishes share one transaction, each returns only once its event is readable
from another connection, a duplicate inside a batch records once, a poison
event fails only its own publish, and a store fault acknowledges nothing."""

from __future__ import annotations

import asyncio
import os
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

import psycopg
import pytest

from domain.messages import UnknownInteraction
from events import Event, SmsStatus, SmsStatusChanged
from services.app.intake.batch_recorder import BatchRecorder
from services.app.intake.group_commit import GroupCommitBus
from services.app.intake.recorder import Recorded, Recorder
from services.infra.bus import BusUnavailable
from services.infra.eventstore import EventStore, open_event_store
from services.infra.eventstore.store import StoreLocation, store_location
from tests.support.traffic import intake_event

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
SECRET = os.urandom(32)
MASTER_KEY = os.urandom(32)


@pytest.fixture
def location(tmp_path: Path, database_url: str | None) -> StoreLocation:
    return store_location(database_url, tmp_path)


@pytest.fixture
def store(location: StoreLocation) -> Iterator[EventStore]:
    # As `contacthub serve` opens it: the application recorder, no positions.
    yield open_event_store(location, MASTER_KEY)


@pytest.fixture
def fresh(location: StoreLocation) -> EventStore:
    """A second store on the same database: its own connections."""
    return open_event_store(location, MASTER_KEY)


def new_bus(store: EventStore, recorded: list[Recorded] | None = None) -> GroupCommitBus:
    batches = BatchRecorder(store, lambda: NOW, max_attempts=1, single=Recorder(store))
    sink = recorded if recorded is not None else []
    return GroupCommitBus(batches, sink.append)


def sms_ids(store: EventStore) -> list[object]:
    return [e.originator_id for _, e in store.notifications(0, 100_000) if e.type == "SmsReceived"]


async def publish_all(bus: GroupCommitBus, events: list[Event]) -> list[BaseException | None]:
    results = await asyncio.gather(*(bus.publish(e) for e in events), return_exceptions=True)
    await bus.close()
    return [r if isinstance(r, BaseException) else None for r in results]


def test_concurrent_publishes_share_a_transaction_and_return_once_readable_elsewhere(
    store: EventStore, fresh: EventStore
) -> None:
    events: list[Event] = [intake_event(n, SECRET) for n in range(40)]
    seen_after_return: list[bool] = []

    async def publish_then_look(bus: GroupCommitBus, event: Event) -> None:
        await bus.publish(event)
        # Read on another connection (another process would see the same).
        seen_after_return.append(fresh.exists(event.originator_id))

    async def run() -> GroupCommitBus:
        bus = new_bus(store)
        await asyncio.gather(*(publish_then_look(bus, e) for e in events))
        await bus.close()
        return bus

    bus = asyncio.run(run())

    assert seen_after_return == [True] * 40
    # All forty were waiting before the writer ran: one batch, not forty.
    assert bus.batch_sizes[0] == 40
    assert sorted(map(str, sms_ids(fresh))) == sorted(str(e.originator_id) for e in events)


def test_the_same_message_twice_in_one_batch_records_once(store: EventStore) -> None:
    recorded: list[Recorded] = []
    bus = new_bus(store, recorded)
    one = intake_event(7, SECRET)
    again = intake_event(7, SECRET)  # a redelivery: the same MessageSid
    other = intake_event(8, SECRET)

    errors = asyncio.run(publish_all(bus, [one, again, other]))

    assert errors == [None, None, None]
    assert bus.batch_sizes == [3]
    assert sms_ids(store) == [one.originator_id, other.originator_id]
    # The followers were told once, of what the batch appended.
    assert len(recorded) == 1 and len(recorded[0].notification_ids) == len(
        store.notifications(0, 1000)
    )


def test_a_poison_event_fails_only_its_own_publish(store: EventStore) -> None:
    good = [intake_event(n, SECRET) for n in range(3)]
    # A delivery report for a message never sent: the recorder refuses it.
    poison = SmsStatusChanged(
        event_id=uuid4(), originator_id=uuid4(), occurred_at=NOW, status=SmsStatus.DELIVERED
    )
    bus = new_bus(store)

    errors = asyncio.run(publish_all(bus, [good[0], poison, good[1], good[2]]))

    assert isinstance(errors[1], UnknownInteraction)
    assert [errors[0], errors[2], errors[3]] == [None, None, None]
    assert bus.batch_sizes == [4]
    assert sms_ids(store) == [e.originator_id for e in good]


def test_a_store_fault_acknowledges_nothing_and_the_retry_records_each_once(
    store: EventStore, fresh: EventStore, location: StoreLocation, database_url: str | None
) -> None:
    events: list[Event] = [intake_event(n, SECRET) for n in range(5)]
    asyncio.run(publish_all(new_bus(store), [intake_event(100, SECRET)]))  # tables exist
    table = store.recorder.events_table_name  # type: ignore[attr-defined]
    rename_events_table(location, database_url, table, f"{table}_away")
    try:
        errors = asyncio.run(publish_all(new_bus(store), events))
    finally:
        rename_events_table(location, database_url, f"{table}_away", table)

    assert all(isinstance(e, BusUnavailable) for e in errors), errors
    assert len(sms_ids(fresh)) == 1  # only the message of before
    # The provider retries: now each is recorded, once.
    again = asyncio.run(publish_all(new_bus(store), events + events))
    assert again == [None] * 10
    assert len(sms_ids(fresh)) == 6


def rename_events_table(
    location: StoreLocation, database_url: str | None, old: str, new: str
) -> None:
    """Takes the events table away (or brings it back): a store fault, for real."""
    statement = f"ALTER TABLE {old} RENAME TO {new}"
    if database_url is None:
        connection = sqlite3.connect(location.env["SQLITE_DBNAME"], isolation_level=None)
        try:
            connection.execute(statement)
        finally:
            connection.close()
        return
    with psycopg.connect(database_url, autocommit=True) as pg:
        pg.execute(statement.encode())
