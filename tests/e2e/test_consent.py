"""Consent per channel and quiet hours, over HTTP: nothing reaches Twilio or the
outbox for a channel the customer opted out of, nor a call or text in quiet hours
(except an agent's reply within 24 hours of the customer's own message)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import anyio
import httpx
import pytest

from services.app.errors import CommandRefused
from services.infra.settings import Settings
from services.wiring.hub import Hub
from tests.support.hub import inbound_sms_form, post_signed, running_hub, wait_until
from tests.support.twilio_standin import TwilioStandIn

PHONE = "+4917690001111"
ADDRESS = {"name": "Jan Berg", "street": "Am Markt 1", "postal_code": "20095", "city": "Hamburg"}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={"voice_agent_number": "+4930901820999", "twilio_whatsapp_from": "+4930901820777"}
    )


def a_customer(client: httpx.Client, base_url: str, api: Any) -> str:
    post_signed(client, base_url, "/webhooks/twilio/sms", inbound_sms_form(1, PHONE, "Hallo"))
    [found] = wait_until(lambda: api.get("/customers", params={"q": PHONE}).json()["items"])
    customer_id = str(found["customer_id"])
    assert api.put(f"/customers/{customer_id}/postal-address", json=ADDRESS).status_code == 200
    return customer_id


def attempts(api: Any, customer_id: str) -> dict[str, httpx.Response]:
    return {
        "sms": api.post(f"/customers/{customer_id}/messages", json={"channel": "sms", "body": "x"}),
        "whatsapp": api.post(
            f"/customers/{customer_id}/messages", json={"channel": "whatsapp", "body": "x"}
        ),
        "voice": api.post(f"/customers/{customer_id}/calls", json={}),
        "letter": api.post(
            f"/customers/{customer_id}/messages",
            json={"channel": "letter", "subject": "Info", "body": "x"},
        ),
    }


def outbox(hub: Hub) -> list[Path]:
    folder = Path(hub.settings.data_dir) / "outbox"
    return sorted(folder.glob("*.pdf")) if folder.exists() else []


def test_opted_out_channels_are_refused_and_nothing_is_sent(
    hub: Hub, client: httpx.Client, base_url: str, api: Any, twilio: TwilioStandIn
) -> None:
    customer_id = a_customer(client, base_url, api)
    changed = api.put(
        f"/customers/{customer_id}/consent",
        json={"channels": {"sms": False, "voice": False, "letter": False}, "source": "phone"},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["channels"] == {"sms": False, "voice": False, "letter": False}
    before = hub.store.max_notification_id()

    answers = attempts(api, customer_id)
    for channel in ("sms", "voice", "letter"):
        assert answers[channel].status_code == 409, (channel, answers[channel].text)
        assert f"opted out of {channel}" in answers[channel].json()["detail"]
    assert answers["whatsapp"].status_code == 202  # no decision on WhatsApp: allowed
    assert [m.params["To"] for m in twilio.messages] == [f"whatsapp:{PHONE}"]
    assert twilio.calls == [] and outbox(hub) == []
    # Only the WhatsApp message was recorded (its intent and Twilio's answer).
    assert hub.store.max_notification_id() == before + 2

    # Opting in again lets SMS through; repeating a decision records nothing.
    again = api.put(f"/customers/{customer_id}/consent", json={"channels": {"sms": True}})
    assert again.json()["channels"]["sms"] is True
    mark = hub.store.max_notification_id()
    api.put(f"/customers/{customer_id}/consent", json={"channels": {"sms": True}})
    assert hub.store.max_notification_id() == mark
    sent = api.post(f"/customers/{customer_id}/messages", json={"channel": "sms", "body": "ok"})
    assert sent.status_code == 202
    assert api.get(f"/customers/{customer_id}/consent").json()["channels"]["sms"] is True


def test_consent_input_is_validated(
    hub: Hub, client: httpx.Client, base_url: str, api: Any
) -> None:
    customer_id = a_customer(client, base_url, api)
    assert (
        api.put(f"/customers/{customer_id}/consent", json={"channels": {"fax": False}}).status_code
        == 422
    )
    assert api.put(f"/customers/{customer_id}/consent", json={"channels": {}}).status_code == 422
    unknown = "00000000-0000-4000-8000-000000000000"
    assert (
        api.put(f"/customers/{unknown}/consent", json={"channels": {"sms": False}}).status_code
        == 404
    )


def quiet_now() -> str:
    """A quiet-hours window around the present moment in Berlin."""
    now = datetime.now(ZoneInfo("Europe/Berlin"))
    start, end = now - timedelta(hours=1), now + timedelta(hours=1)
    return f"{start:%H:%M}-{end:%H:%M}"


class ShiftedClock:
    """The hub's clock, shifted while a test sets the scene (a message of yesterday)."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


class TestQuietHours:
    @pytest.fixture
    def settings(self, settings: Settings) -> Settings:
        return settings.model_copy(update={"quiet_hours": quiet_now()})

    @pytest.fixture
    def clock(self) -> ShiftedClock:
        return ShiftedClock()

    @pytest.fixture
    def hub(self, settings: Settings, port: int, clock: ShiftedClock) -> Iterator[Hub]:
        with running_hub(settings, port, clock=clock) as running:
            yield running

    def test_calls_and_texts_wait_for_morning_but_letters_go(
        self,
        hub: Hub,
        client: httpx.Client,
        base_url: str,
        api: Any,
        twilio: TwilioStandIn,
        clock: ShiftedClock,
    ) -> None:
        # The customer last wrote 25 hours ago: an agent's text now is no reply to it.
        clock.offset = -timedelta(hours=25)
        customer_id = a_customer(client, base_url, api)
        clock.offset = timedelta(0)
        answers = attempts(api, customer_id)
        for channel in ("sms", "whatsapp", "voice"):
            assert answers[channel].status_code == 409, (channel, answers[channel].text)
            assert "quiet hours" in answers[channel].json()["detail"]
            assert "Europe/Berlin" in answers[channel].json()["detail"]
        assert answers["letter"].status_code == 202
        assert twilio.requests == []
        assert len(outbox(hub)) == 1

    def test_a_reply_within_a_day_of_the_customers_own_message_is_not_held_back(
        self, hub: Hub, client: httpx.Client, base_url: str, api: Any, twilio: TwilioStandIn
    ) -> None:
        customer_id = a_customer(client, base_url, api)  # the customer texted just now
        answers = attempts(api, customer_id)
        assert answers["sms"].status_code == 202, answers["sms"].text
        assert [m.params["To"] for m in twilio.messages] == [PHONE]
        # They did not write on WhatsApp, and a call always interrupts: both wait.
        for channel in ("whatsapp", "voice"):
            assert answers[channel].status_code == 409, (channel, answers[channel].text)
            assert "quiet hours" in answers[channel].json()["detail"]
        assert twilio.calls == []
        # A reminder the hub itself initiates is no reply: it waits for morning too.
        reminder = partial(
            hub.messaging.send_sms,
            UUID(customer_id),
            "Erinnerung: Ihr Termin morgen",
            agent="reminders",
            initiated_by="hub",
        )
        with pytest.raises(CommandRefused, match="quiet hours"):
            anyio.run(reminder)
        assert len(twilio.messages) == 1
