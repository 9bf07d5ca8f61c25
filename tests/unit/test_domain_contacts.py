"""First contact: who is this, and which events record it."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest

from domain.addresses import InvalidAddress, address_key, normalise_phone
from domain.contacts import plan_inbound
from events import (
    AddressClaimed,
    ChannelAddressLinked,
    CustomerRegistered,
    LetterReceived,
    SmsReceived,
    address_claim_id,
    provider_event_id,
)

AT = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
SECRET = b"k" * 32


def message(sid: str = "SM" + "1" * 32) -> SmsReceived:
    event_id = provider_event_id("twilio", "message", sid)
    return SmsReceived(
        event_id=event_id,
        originator_id=event_id,
        occurred_at=AT,
        provider_message_id=sid,
        from_address="+4917612345678",
        to_address="+4930901820",
        address_key=address_key(SECRET, "sms", "+4917612345678"),
        body="Hallo",
    )


@pytest.mark.parametrize(
    "raw", ["+49 176 12345678", "0176 12345678", "0176-1234-5678", "+4917612345678"]
)
def test_german_numbers_normalise_to_e164(raw: str) -> None:
    assert normalise_phone(raw, "DE") == "+4917612345678"


@pytest.mark.parametrize(
    "raw", ["", "hello", "+49", "+49 1234567890123456789", "+49 0000", "+49 00000000", "0000"]
)
def test_impossible_numbers_are_refused_with_the_reason(raw: str) -> None:
    with pytest.raises(InvalidAddress, match="phone number"):
        normalise_phone(raw, "DE")


def test_address_keys_are_keyed_and_channel_specific() -> None:
    sms = address_key(SECRET, "sms", "+4917612345678")
    assert "4917612345678" not in sms
    assert sms != address_key(SECRET, "whatsapp", "+4917612345678")
    assert sms != address_key(b"x" * 32, "sms", "+4917612345678")


def test_an_unknown_sender_becomes_a_customer_who_claims_the_address() -> None:
    plan = plan_inbound(message(), claimed_by=None, already_recorded=False, now=AT)
    assert plan is not None
    registered, linked, claimed, received = plan.events
    assert isinstance(registered, CustomerRegistered)
    assert isinstance(linked, ChannelAddressLinked) and linked.address == "+4917612345678"
    assert isinstance(claimed, AddressClaimed)
    assert claimed.originator_id == address_claim_id(message().address_key)
    assert isinstance(received, SmsReceived)
    assert {e.customer_id for e in plan.events} == {plan.customer_id}
    assert received.recorded_at == AT


def test_two_first_contacts_from_one_number_converge_on_one_customer() -> None:
    first = plan_inbound(message(), claimed_by=None, already_recorded=False, now=AT)
    second = plan_inbound(message("SM" + "2" * 32), claimed_by=None, already_recorded=False, now=AT)
    assert first is not None and second is not None
    assert first.customer_id == second.customer_id
    # Same streams at the same versions: the store lets only one of them in.
    assert [(e.originator_id, e.originator_version) for e in first.events[:3]] == [
        (e.originator_id, e.originator_version) for e in second.events[:3]
    ]


def test_a_known_sender_adds_only_the_message() -> None:
    owner = uuid4()
    plan = plan_inbound(message(), claimed_by=owner, already_recorded=False, now=AT)
    assert plan is not None and plan.customer_id == owner
    assert [e.type for e in plan.events] == ["SmsReceived"]


def test_a_recorded_message_plans_nothing() -> None:
    assert plan_inbound(message(), claimed_by=None, already_recorded=True, now=AT) is None


def test_a_first_letter_registers_the_customer_under_the_senders_name() -> None:
    scan_id = "scan-name-1"
    event_id = provider_event_id("post", "scan", scan_id)
    letter = LetterReceived(
        event_id=event_id,
        originator_id=event_id,
        occurred_at=AT,
        scan_id=scan_id,
        sender_name=" Thomas Weber ",
        from_address="Lindenallee 8, 20095 Hamburg",
        address_key=address_key(SECRET, "letter", "thomas weber|lindenallee 8|20095"),
        content_type="image/png",
        document_sha256="0" * 64,
    )
    plan = plan_inbound(letter, claimed_by=None, already_recorded=False, now=AT)
    assert plan is not None
    [registered] = [e for e in plan.events if isinstance(e, CustomerRegistered)]
    assert registered.display_name == "Thomas Weber"
    # An SMS tells no name: the customer stays unnamed until an agent names them.
    sms = plan_inbound(message(), claimed_by=None, already_recorded=False, now=AT)
    assert sms is not None
    assert [e.display_name for e in sms.events if isinstance(e, CustomerRegistered)] == [""]
