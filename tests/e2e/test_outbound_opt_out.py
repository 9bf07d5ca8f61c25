"""An opt-out stops every channel's sends, over HTTP: the send answers 409 with
the reason, nothing is recorded, and the provider (the Twilio stand-in, a real
SMTP relay, the letter outbox) receives nothing. Opting in again lets the same
send through, so the provider would have seen it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest

from events import CallPlaced, ConsentChanged, EmailSent, LetterSent, SmsSent
from services.infra.settings import Settings
from services.wiring.hub import Hub
from tests.support.email_fixtures import OUR_ADDRESS, relay
from tests.support.hub import (
    inbound_sms_form,
    post_signed,
    wait_until,
)
from tests.support.smtp_relay import SmtpRelay
from tests.support.twilio_standin import TwilioStandIn

__all__ = ["relay"]  # the fixture used by this module

WHATSAPP_FROM = "+4930901820777"

PHONE = "+4917690002222"
EMAIL = "jan.berg@example.de"
ADDRESS = {"name": "Jan Berg", "street": "Am Markt 1", "postal_code": "20095", "city": "Hamburg"}

# What each channel's send is: the consent channel it needs, the API call.
SENDS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "sms": ("sms", "messages", {"channel": "sms", "body": "Ihr Termin"}),
    "whatsapp": ("whatsapp", "messages", {"channel": "whatsapp", "body": "Ihr Termin"}),
    "email": (
        "email",
        "messages",
        {"channel": "email", "subject": "Ihr Termin", "body": "Am Montag.", "to": EMAIL},
    ),
    "call": ("voice", "calls", {}),
    "letter": ("letter", "messages", {"channel": "letter", "subject": "Termin", "body": "x"}),
}


@pytest.fixture
def settings(settings: Settings, relay: SmtpRelay) -> Settings:
    """Every channel configured: Twilio (SMS, WhatsApp, calls), the SMTP relay, the outbox."""
    return settings.model_copy(
        update={
            "twilio_whatsapp_from": WHATSAPP_FROM,
            "voice_agent_number": "+4930901820999",
            "smtp_relay_url": relay.url,
            "email_from": OUR_ADDRESS,
        }
    )


def received_by_provider(
    hub: Hub, twilio: TwilioStandIn, relay: SmtpRelay
) -> dict[str, Callable[[], list[Any]]]:
    outbox = Path(hub.settings.data_dir) / "outbox"
    return {
        "sms": lambda: [m for m in twilio.messages if m.params["To"] == PHONE],
        "whatsapp": lambda: [m for m in twilio.messages if m.params["To"] == f"whatsapp:{PHONE}"],
        "email": lambda: relay.received,
        "call": lambda: twilio.calls,
        "letter": lambda: sorted(outbox.glob("*.pdf")) if outbox.exists() else [],
    }


@pytest.mark.parametrize("send", list(SENDS))
def test_a_send_over_an_opted_out_channel_is_refused_and_reaches_no_provider(
    send: str,
    hub: Hub,
    client: httpx.Client,
    base_url: str,
    api: Any,
    twilio: TwilioStandIn,
    relay: SmtpRelay,
) -> None:
    consent_channel, path, command = SENDS[send]
    post_signed(client, base_url, "/webhooks/twilio/sms", inbound_sms_form(7, PHONE, "Hallo"))
    [found] = wait_until(lambda: api.get("/customers", params={"q": PHONE}).json()["items"])
    customer_id = found["customer_id"]
    assert api.put(f"/customers/{customer_id}/postal-address", json=ADDRESS).status_code == 200
    opted_out = api.put(
        f"/customers/{customer_id}/consent",
        json={"channels": {consent_channel: False}, "source": "phone"},
    )
    assert opted_out.status_code == 200, opted_out.text
    received = received_by_provider(hub, twilio, relay)[send]
    before = hub.store.max_notification_id()

    refused = api.post(f"/customers/{customer_id}/{path}", json=command)

    assert refused.status_code == 409, refused.text
    assert refused.json()["detail"] == f"the customer opted out of {consent_channel}"
    assert received() == []
    assert hub.store.max_notification_id() == before  # refused: nothing recorded

    # Opted in again, the very same send goes out: the provider was listening.
    api.put(f"/customers/{customer_id}/consent", json={"channels": {consent_channel: True}})
    sent = api.post(f"/customers/{customer_id}/{path}", json=command)
    assert sent.status_code == 202, sent.text
    assert len(received()) == 1
    # The send names the consent it relied on: the opt-in just recorded.
    [*_, opted_in] = [
        e
        for e in hub.store.stream(UUID(customer_id))
        if isinstance(e, ConsentChanged) and e.channel == consent_channel
    ]
    assert opted_in.granted
    intent = hub.store.stream(UUID(sent.json()["interaction_id"]))[0]
    assert isinstance(intent, SmsSent | EmailSent | CallPlaced | LetterSent)
    assert intent.consent_id == opted_in.event_id
