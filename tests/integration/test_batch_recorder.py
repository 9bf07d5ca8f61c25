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

from adapters.email.translate import inbound_email_event
from adapters.sms.translate import TwilioInboundMessage, inbound_message_event
from domain.erasure import plan_erasure
from events import (
    ConsentChanged,
    EmailReceived,
    Event,
    SmsReceived,
    SmsStatus,
    SmsStatusChanged,
    address_claim_id,
    customer_id_for_address,
)
from services.app.intake.batch_recorder import BatchRecorder, Positioned
from services.app.intake.recorder import Recorder
from services.infra.eventstore import EventStore, open_event_store
from services.infra.eventstore.store import store_location
from services.infra.kafka.codec import PoisonMessage
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


def sms_from(number: str, n: int, *, whatsapp: bool = False, body: str | None = None) -> Event:
    prefix = "whatsapp:" if whatsapp else ""
    form = {
        "MessageSid": f"SM{n:032x}",
        "AccountSid": "AC" + "1" * 32,
        "From": prefix + number,
        "To": prefix + "+4930901820",
        "Body": f"Nachricht {n}" if body is None else body,
    }
    return inbound_message_event(
        TwilioInboundMessage.model_validate(form), form, received_at=NOW, address_secret=SECRET
    )


def email(message_id: str, subject: str, in_reply_to: str | None = None) -> Event:
    headers = f"From: Anna <anna@example.de>\r\nTo: service@hub.example\r\nSubject: {subject}\r\n"
    headers += f"Message-ID: <{message_id}>\r\n"
    if in_reply_to:
        headers += f"In-Reply-To: <{in_reply_to}>\r\nReferences: <{in_reply_to}>\r\n"
    raw = (headers + "\r\nHallo\r\n").encode()
    return inbound_email_event(raw, provider="smtp", received_at=NOW, address_secret=SECRET)


def test_intakes_the_batch_cannot_decide_go_through_the_single_recorder_in_order(
    store: EventStore,
) -> None:
    """An email thread and a WhatsApp first contact from an SMS customer's number
    amid plain SMS: one batch, every decision as the single-event recorder makes it."""
    items = [
        sms_from("+4917611112222", 1),
        email("a1@example.de", "Bestellung 4711"),
        email("a2@example.de", "Re: Bestellung 4711", in_reply_to="a1@example.de"),
        sms_from("+4917611112222", 2, whatsapp=True),
        sms_from("+4917633334444", 3),
    ]
    batch = [Positioned(Tracking("intake:0", offset), e) for offset, e in enumerate(items)]
    recorder = BatchRecorder(store, lambda: NOW, single=Recorder(store, lambda: NOW))

    outcome = recorder.record(batch)

    assert (outcome.recorded, outcome.duplicates, outcome.rejected) == (5, 0, 0)
    assert store.max_tracking_id("intake:0") == 4
    streams = {
        e.originator_id: e
        for _, e in store.notifications(0, 1000)
        if isinstance(e, EmailReceived | SmsReceived)
    }
    first, reply = (streams[items[1].originator_id], streams[items[2].originator_id])
    assert isinstance(first, EmailReceived) and isinstance(reply, EmailReceived)
    assert first.conversation_id is not None and reply.conversation_id == first.conversation_id
    # The WhatsApp number joined the SMS customer who owns it.
    sms, whatsapp = streams[items[0].originator_id], streams[items[3].originator_id]
    assert whatsapp.customer_id == sms.customer_id
    assert streams[items[4].originator_id].customer_id != sms.customer_id
    # The same batch again records nothing and keeps the position.
    before = store.max_notification_id()
    again = recorder.record(batch)
    assert again.recorded == 0 and store.max_notification_id() == before


def test_stop_and_start_in_a_batch_record_the_consent_with_the_message_in_order(
    store: EventStore,
) -> None:
    """A STOP amid plain SMS, then START: each consent change is on the sender's
    customer stream, in the order sent, and a redelivery records none again."""
    number = "+4917655556666"
    items = [
        sms_from(number, 1),
        sms_from(number, 2, body=" stop"),
        sms_from("+4917677778888", 3),
        sms_from(number, 4, body="START"),
    ]
    batch = [Positioned(Tracking("intake:0", offset), e) for offset, e in enumerate(items)]
    recorder = BatchRecorder(store, lambda: NOW, single=Recorder(store, lambda: NOW))

    outcome = recorder.record(batch)

    assert (outcome.recorded, outcome.rejected) == (4, 0)
    assert store.max_tracking_id("intake:0") == 3
    changes = [e for _, e in store.notifications(0, 1000) if isinstance(e, ConsentChanged)]
    assert [(c.channel, c.granted, c.purpose) for c in changes] == [
        ("sms", False, None),
        ("sms", True, "service"),
    ]
    [sender] = {c.customer_id for c in changes}
    [first, *_] = [
        e for _, e in store.notifications(0, 1000) if e.originator_id == items[0].originator_id
    ]
    assert first.customer_id == sender
    before = store.max_notification_id()
    assert recorder.record(batch).recorded == 0 and store.max_notification_id() == before


def test_a_contact_after_an_erasure_makes_a_new_customer(store: EventStore) -> None:
    # The Kafka recorder's batch path hands a released address to the single
    # recorder, which claims its next version for a new customer.
    first = intake_event(0, SECRET)
    assert isinstance(first, SmsReceived)
    BatchRecorder(store, lambda: NOW).record([at(0, 0)])
    [erased] = [e.customer_id for _, e in store.notifications(0, 10) if e.type == "SmsReceived"]
    assert erased is not None
    claim_id = address_claim_id(first.address_key)
    decided = plan_erasure(
        erased,
        store.stream(erased),
        store.streams([claim_id]),
        reason="ticket 1",
        erased_by="root",
        now=NOW,
    )
    store.append(decided)
    store.keys.destroy(erased, NOW.isoformat())

    outcome = BatchRecorder(store, lambda: NOW).record([at(1, 1000)])  # the same sender

    assert outcome.recorded == 1
    [again] = [
        e.customer_id
        for _, e in store.notifications(0, 100)
        if e.type == "SmsReceived" and e.customer_id != erased
    ]
    assert again == customer_id_for_address(first.address_key, 1)
    assert [e.type for e in store.stream(claim_id)] == [
        "AddressClaimed",
        "AddressReleased",
        "AddressClaimed",
    ]
    assert store.max_tracking_id("intake:0") == 1
