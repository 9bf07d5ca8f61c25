"""Consent with proof, over HTTP: STOP and START by SMS and WhatsApp (answered with
a TwiML <Message>), the RFC 8058 one-click unsubscribe from the hub's emails
(through the real SMTP relay), consent per purpose, and the consent in force
shown on a sent interaction."""

from __future__ import annotations

from typing import Any
from uuid import UUID
from xml.etree import ElementTree

import anyio
import httpx
import pytest

from events import ConsentChanged
from services.app.errors import CommandRefused
from services.infra.settings import Settings
from services.wiring.hub import Hub
from tests.support.email_fixtures import OUR_ADDRESS, relay
from tests.support.hub import (
    inbound_sms_form,
    post_signed,
    settle,
    wait_until,
)
from tests.support.smtp_relay import SmtpRelay
from tests.support.twilio_standin import TwilioStandIn

__all__ = ["relay"]  # the fixture used by this module

WHATSAPP_FROM = "+4930901820777"

PHONE = "+4917690004444"
EMAIL = "mara.stein@example.de"


@pytest.fixture
def settings(settings: Settings, relay: SmtpRelay) -> Settings:
    """The shared hub's settings, with WhatsApp and email out through the relay."""
    return settings.model_copy(
        update={
            "twilio_whatsapp_from": WHATSAPP_FROM,
            "smtp_relay_url": relay.url,
            "email_from": OUR_ADDRESS,
        }
    )


def text_in(client: httpx.Client, base_url: str, n: int, body: str, sender: str = PHONE) -> str:
    """The customer texts us; returns the <Message> of the hub's TwiML answer, or ''."""
    answer = post_signed(
        client, base_url, "/webhooks/twilio/sms", inbound_sms_form(n, sender, body)
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/xml")
    messages = ElementTree.fromstring(answer.text).findall("Message")
    return "".join(m.text or "" for m in messages)


def customer_of(api: Any, phone: str = PHONE) -> str:
    [found] = wait_until(lambda: api.get("/customers", params={"q": phone}).json()["items"])
    return str(found["customer_id"])


def sms(api: Any, customer_id: str, channel: str = "sms") -> httpx.Response:
    return api.post(f"/customers/{customer_id}/messages", json={"channel": channel, "body": "Hi"})


def consents(hub: Hub, customer_id: str) -> list[ConsentChanged]:
    return [e for e in hub.store.stream(UUID(customer_id)) if isinstance(e, ConsentChanged)]


def test_an_sms_after_stop_is_refused_and_goes_out_after_start(
    hub: Hub, client: httpx.Client, base_url: str, api: Any, twilio: TwilioStandIn
) -> None:
    assert text_in(client, base_url, 1, "Hallo") == ""  # no keyword: an empty answer
    customer_id = customer_of(api)
    assert sms(api, customer_id).status_code == 202

    confirmation = text_in(client, base_url, 2, "  stop ")
    assert "START" in confirmation and "unsubscribed" in confirmation
    refused = wait_until(lambda: (r := sms(api, customer_id)).status_code == 409 and r)
    assert refused.json()["detail"] == "the customer opted out of sms"
    assert len(twilio.messages) == 1
    [stop] = consents(hub, customer_id)
    assert (stop.channel, stop.granted, stop.purpose) == ("sms", False, None)
    assert stop.source == "sms-keyword STOP"
    state = api.get(f"/customers/{customer_id}/consent").json()
    assert state["purposes"] == {"sms": {"service": False, "marketing": False}}
    # WhatsApp is another channel: the SMS STOP does not stop it.
    assert sms(api, customer_id, "whatsapp").status_code == 202

    # Twilio redelivers the same STOP: nothing new is recorded, the answer is the same.
    mark = settle(hub)
    assert "START" in text_in(client, base_url, 2, "  stop ")
    assert settle(hub) == mark

    assert "STOP" in text_in(client, base_url, 3, "Start")
    sent = wait_until(lambda: (r := sms(api, customer_id)).status_code == 202 and r)
    assert [m.params["Body"] for m in twilio.messages if m.params["To"] == PHONE] == ["Hi", "Hi"]
    [_, start] = consents(hub, customer_id)
    assert start.granted and start.purpose == "service"

    # The sent message shows the consent it relied on: the START.
    detail = api.get(f"/interactions/{sent.json()['interaction_id']}").json()
    assert detail["consent"] == {
        "id": str(start.event_id),
        "channel": "sms",
        "purpose": "service",
        "granted": True,
        "at": detail["consent"]["at"],
        "source": "sms-keyword START",
        "changed_by": None,
    }
    assert detail["consent"]["at"] is not None
    # START restores service messages, not marketing: a campaign is still refused.
    campaign = hub.messaging.send_sms(
        UUID(customer_id), "Angebot", agent="campaign", purpose="marketing"
    )
    with pytest.raises(CommandRefused, match="opted out of sms"):
        anyio.run(lambda: campaign)


def test_whatsapp_stop_as_the_first_message_registers_and_opts_out(
    hub: Hub, client: httpx.Client, base_url: str, api: Any, twilio: TwilioStandIn
) -> None:
    other = "+4917690005555"
    confirmation = text_in(client, base_url, 9, "ABMELDEN", sender=f"whatsapp:{other}")
    assert "unsubscribed" in confirmation
    customer_id = customer_of(api, other)
    refused = sms(api, customer_id, "whatsapp")
    assert refused.status_code == 409, refused.text
    assert refused.json()["detail"] == "the customer opted out of whatsapp"
    assert twilio.messages == []


def test_a_sentence_with_stop_in_it_is_no_opt_out(
    hub: Hub, client: httpx.Client, base_url: str, api: Any
) -> None:
    assert text_in(client, base_url, 4, "Bitte stoppen Sie die Lieferung") == ""
    customer_id = customer_of(api)
    settle(hub)
    assert consents(hub, customer_id) == []
    assert sms(api, customer_id).status_code == 202


def email(api: Any, customer_id: str) -> httpx.Response:
    return api.post(
        f"/customers/{customer_id}/messages",
        json={"channel": "email", "subject": "Ihr Termin", "body": "Am Montag.", "to": EMAIL},
    )


def test_an_email_after_a_one_click_unsubscribe_is_refused(
    hub: Hub, client: httpx.Client, base_url: str, api: Any, relay: SmtpRelay
) -> None:
    text_in(client, base_url, 5, "Hallo")
    customer_id = customer_of(api)
    first = email(api, customer_id)
    assert first.status_code == 202, first.text
    [relayed] = relay.received
    headers = relayed.message
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = str(headers["List-Unsubscribe"]).strip("<>")
    assert link.startswith(f"{base_url}/unsubscribe/email/{customer_id}/")
    # Before any decision, the email relied on the default service consent.
    shown = api.get(f"/interactions/{first.json()['interaction_id']}").json()["consent"]
    assert shown["id"] is None and shown["source"] == "default" and shown["granted"] is True

    one_click = {"content-type": "application/x-www-form-urlencoded"}
    mark = settle(hub)
    # A forged signature, another customer's link, a body that is not RFC 8058's: refused.
    forged = link[:-4] + ("0000" if not link.endswith("0000") else "1111")
    assert (
        client.post(forged, content="List-Unsubscribe=One-Click", headers=one_click).status_code
        == 403
    )
    stranger = link.replace(customer_id, "00000000-0000-4000-8000-000000000000")
    assert (
        client.post(stranger, content="List-Unsubscribe=One-Click", headers=one_click).status_code
        == 403
    )
    wrong_body = client.post(link, content="unsubscribe=yes", headers=one_click)
    assert wrong_body.status_code == 400
    assert "List-Unsubscribe=One-Click" in wrong_body.json()["detail"]
    assert settle(hub) == mark  # nothing recorded

    done = client.post(link, content="List-Unsubscribe=One-Click", headers=one_click)  # no token
    assert done.status_code == 200, done.text
    assert done.json() == {"customer_id": customer_id, "channel": "email", "granted": False}
    [opt_out] = consents(hub, customer_id)
    assert (opt_out.channel, opt_out.granted, opt_out.source) == (
        "email",
        False,
        "list-unsubscribe",
    )

    refused = email(api, customer_id)
    assert refused.status_code == 409
    assert refused.json()["detail"] == "the customer opted out of email"
    assert len(relay.received) == 1
    # The unsubscribe opts out of email only; a second click records nothing more.
    assert sms(api, customer_id).status_code == 202
    assert (
        client.post(link, content="List-Unsubscribe=One-Click", headers=one_click).status_code
        == 200
    )
    assert len(consents(hub, customer_id)) == 1


def test_marketing_needs_an_opt_in_per_channel_and_the_send_shows_it(
    hub: Hub, client: httpx.Client, base_url: str, api: Any, twilio: TwilioStandIn
) -> None:
    text_in(client, base_url, 6, "Hallo")
    customer_id = UUID(customer_of(api))

    def campaign() -> Any:
        return hub.messaging.send_sms(customer_id, "Angebot", agent="campaign", purpose="marketing")

    with pytest.raises(CommandRefused, match="has not opted in to marketing over sms"):
        anyio.run(campaign)
    opted_in = api.put(
        f"/customers/{customer_id}/consent",
        json={"channels": {"sms": True}, "purpose": "marketing", "source": "web form"},
    )
    assert opted_in.status_code == 200, opted_in.text
    assert opted_in.json()["purposes"] == {"sms": {"service": True, "marketing": True}}
    sent = anyio.run(campaign)
    assert sent.error is None
    assert [m.params["Body"] for m in twilio.messages] == ["Angebot"]
    settle(hub)
    shown = api.get(f"/interactions/{sent.interaction_id}").json()["consent"]
    assert (shown["purpose"], shown["granted"], shown["source"]) == ("marketing", True, "web form")
    assert shown["changed_by"] == "agent.test"
    # An inbound message shows no consent: it was no send.
    [inbound] = [
        i
        for i in api.get(f"/customers/{customer_id}/timeline").json()["items"]
        if i["direction"] == "inbound"
    ]
    assert api.get(f"/interactions/{inbound['interaction_id']}").json()["consent"] is None
