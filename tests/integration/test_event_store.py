"""The event store on SQLite and PostgreSQL: encryption at rest, erasure, duplicates."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

import pytest
from eventsourcing.persistence import IntegrityError, MapperDeserialisationError, StoredEvent

from events import ERASED, SmsReceived, provider_event_id
from services.infra.eventstore import EventStore, master_key_from, open_event_store
from services.infra.eventstore.store import store_location

AT = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path, database_url: str | None) -> Iterator[EventStore]:
    location = store_location(database_url, tmp_path)
    yield open_event_store(location, master_key_from(None, tmp_path))


def message(customer: object, sid: str = "SM" + "9" * 32) -> SmsReceived:
    event_id = provider_event_id("twilio", "message", sid)
    return SmsReceived(
        event_id=event_id,
        originator_id=event_id,
        customer_id=customer,
        occurred_at=AT,
        recorded_at=AT,
        provider_message_id=sid,
        from_address="+4917699887766",
        to_address="+4930901820",
        address_key="k1",
        body="Meine Waschmaschine ist kaputt",
    )


def test_personal_data_never_reaches_the_stored_event(store: EventStore) -> None:
    event = message(uuid4())
    store.append([event])
    [stored] = store.recorder.select_events(event.originator_id)
    assert b"4917699887766" not in stored.state
    assert b"Waschmaschine" not in stored.state
    assert b'"provider_message_id":"SM' in stored.state  # not personal: stays readable
    assert store.stream(event.originator_id) == [event]


def test_erasing_the_key_keeps_the_history_without_the_personal_data(store: EventStore) -> None:
    customer = uuid4()
    event = message(customer)
    store.append([event])
    store.keys.destroy(customer, AT.isoformat())
    [after] = store.stream(event.originator_id)
    assert after.from_address == ERASED and after.body == ERASED  # type: ignore[attr-defined]
    assert after.provider_message_id == event.provider_message_id  # type: ignore[attr-defined]
    with pytest.raises(LookupError):
        store.append([message(customer, "SM" + "8" * 32)])


def test_tampered_personal_data_is_detected(store: EventStore) -> None:
    event = message(uuid4())
    stored = store.mapper.to_stored_event(event)
    other = store.mapper.to_stored_event(message(event.customer_id, "SM" + "7" * 32))
    import orjson

    swapped = orjson.loads(stored.state) | {"pii": orjson.loads(other.state)["pii"]}
    forged = StoredEvent(stored.originator_id, 1, stored.topic, orjson.dumps(swapped))
    with pytest.raises(MapperDeserialisationError, match="tampered"):
        store.mapper.to_domain_event(forged)


def test_the_same_stream_version_twice_is_refused_and_writes_nothing(store: EventStore) -> None:
    first = message(uuid4())
    store.append([first])
    second = message(uuid4(), "SM" + "6" * 32)
    with pytest.raises(IntegrityError):
        store.append([second, first])
    assert not store.exists(second.originator_id)
    assert store.max_notification_id() == 1
