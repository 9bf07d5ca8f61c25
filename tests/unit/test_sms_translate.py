"""Twilio payloads -> events: pure translation."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest
from pydantic import ValidationError

from adapters.sms.translate import (
    TwilioInboundMessage,
    TwilioMessageStatus,
    inbound_message_event,
    status_event,
)

AT = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
FORM = {
    "MessageSid": "SM" + "0" * 31 + "1",
    "AccountSid": "AC" + "1" * 32,
    "From": "whatsapp:+4917612345678",
    "To": "whatsapp:+4930901820",
    "Body": "Grüße",
    "NumMedia": "1",
    "MediaUrl0": "https://api.twilio.com/media/1",
    "SmsStatus": "received",
}


def test_whatsapp_senders_are_their_own_channel_with_media() -> None:
    event = inbound_message_event(
        TwilioInboundMessage.model_validate(FORM), FORM, received_at=AT, address_secret=b"s" * 32
    )
    assert event.channel == "whatsapp"
    assert event.from_address == "+4917612345678"
    assert event.media_urls == ("https://api.twilio.com/media/1",)
    assert event.event_id == event.originator_id


def test_the_same_message_sid_gives_the_same_event_id() -> None:
    model = TwilioInboundMessage.model_validate(FORM)
    one = inbound_message_event(model, FORM, received_at=AT, address_secret=b"s" * 32)
    two = inbound_message_event(
        model, FORM, received_at=datetime.now(UTC), address_secret=b"s" * 32
    )
    assert one.event_id == two.event_id


@pytest.mark.parametrize(
    ("field", "value"),
    [("MessageSid", "SM123"), ("AccountSid", "nope"), ("NumMedia", "eleven"), ("From", "")],
)
def test_malformed_fields_are_named(field: str, value: str) -> None:
    with pytest.raises(ValidationError) as error:
        TwilioInboundMessage.model_validate(FORM | {field: value})
    assert error.value.errors()[0]["loc"] == (field,)


def test_status_event_ids_are_per_sid_and_status() -> None:
    interaction = uuid4()
    delivered = TwilioMessageStatus.model_validate(FORM | {"MessageStatus": "delivered"})
    sent = TwilioMessageStatus.model_validate(FORM | {"MessageStatus": "sent"})
    a = status_event(delivered, interaction_id=interaction, received_at=AT)
    b = status_event(delivered, interaction_id=interaction, received_at=datetime.now(UTC))
    c = status_event(sent, interaction_id=interaction, received_at=AT)
    assert a.event_id == b.event_id != c.event_id
