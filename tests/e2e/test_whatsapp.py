"""WhatsApp through Twilio, in and out, in the same customer's timeline as their SMS;
and a call from the same number joins that customer too."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from services.infra.settings import Settings
from services.wiring.hub import Hub
from tests.support.hub import ACCOUNT_SID, OUR_NUMBER, inbound_sms_form, post_signed, wait_until
from tests.support.twilio_standin import TwilioStandIn, message_status_params

WHATSAPP_FROM = "+4930901820777"
PHONE = "+4917612340000"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"twilio_whatsapp_from": f"whatsapp:{WHATSAPP_FROM}"})


def whatsapp_form(n: int, body: str) -> dict[str, str]:
    form = inbound_sms_form(n, f"whatsapp:{PHONE}", body)
    form["To"] = f"whatsapp:{WHATSAPP_FROM}"
    return form


def test_whatsapp_in_and_out_shows_in_the_timeline_of_the_sms_customer(
    hub: Hub, client: httpx.Client, base_url: str, api: Any, twilio: TwilioStandIn
) -> None:
    sms = inbound_sms_form(1, PHONE, "Per SMS: wo ist mein Paket?")
    assert post_signed(client, base_url, "/webhooks/twilio/sms", sms).status_code == 200
    [customer] = wait_until(lambda: api.get("/customers", params={"q": PHONE}).json()["items"])
    customer_id = customer["customer_id"]

    out = api.post(
        f"/customers/{customer_id}/messages",
        json={"channel": "whatsapp", "body": "Ihr Paket kommt morgen."},
    )
    assert out.status_code == 202, out.text
    [request] = twilio.messages
    assert request.params["To"] == f"whatsapp:{PHONE}"
    assert request.params["From"] == f"whatsapp:{WHATSAPP_FROM}"
    callback = request.params["StatusCallback"]
    assert (
        twilio.send_status_callback(callback, message_status_params(request, "read")).status_code
        == 200
    )

    reply = whatsapp_form(2, "Danke per WhatsApp!")
    assert post_signed(client, base_url, "/webhooks/twilio/sms", reply).status_code == 200

    def timeline() -> list[dict[str, Any]] | None:
        items = api.get(f"/customers/{customer_id}/timeline").json()["items"]
        return items if len(items) == 3 and items[1]["status"] == "read" else None

    items = wait_until(timeline)
    assert [(i["channel"], i["direction"], i["summary"]) for i in items] == [
        ("whatsapp", "inbound", "Danke per WhatsApp!"),
        ("whatsapp", "outbound", "Ihr Paket kommt morgen."),
        ("sms", "inbound", "Per SMS: wo ist mein Paket?"),
    ]
    assert items[0]["address"] == PHONE
    # Still one customer, now with the number on both channels.
    assert len(api.get("/customers", params={"q": PHONE}).json()["items"]) == 1
    view = api.get(f"/customers/{customer_id}").json()
    assert sorted(a["channel"] for a in view["addresses"]) == ["sms", "whatsapp"]

    # A call from the same number is theirs too.
    call = {
        "CallSid": "CA" + "5" * 32,
        "AccountSid": ACCOUNT_SID,
        "From": PHONE,
        "To": OUR_NUMBER,
        "CallStatus": "ringing",
    }
    assert post_signed(client, base_url, "/webhooks/twilio/voice", call).status_code == 200
    wait_until(
        lambda: (
            api.get(f"/customers/{customer_id}/timeline").json()["items"][0]["channel"] == "voice"
        )
    )
    assert len(api.get("/customers", params={"q": PHONE}).json()["items"]) == 1


def test_a_first_whatsapp_message_from_a_new_number_is_a_new_whatsapp_customer(
    hub: Hub, client: httpx.Client, base_url: str, api: Any
) -> None:
    assert (
        post_signed(client, base_url, "/webhooks/twilio/sms", whatsapp_form(3, "Hi")).status_code
        == 200
    )
    [customer] = wait_until(lambda: api.get("/customers", params={"q": PHONE}).json()["items"])
    view = api.get(f"/customers/{customer['customer_id']}").json()
    assert view["source_channel"] == "whatsapp"
    assert [a["channel"] for a in view["addresses"]] == ["whatsapp"]
    # An SMS answer to that customer goes to the same number.
    sent = api.post(
        f"/customers/{customer['customer_id']}/messages", json={"channel": "sms", "body": "Hallo"}
    )
    assert sent.status_code == 202, sent.text


def test_whatsapp_without_a_sender_number_is_refused(
    hub: Hub, client: httpx.Client, base_url: str, api: Any
) -> None:
    hub.messaging.whatsapp_from = ""  # as if CONTACTHUB_TWILIO_WHATSAPP_FROM were unset
    post_signed(client, base_url, "/webhooks/twilio/sms", inbound_sms_form(4, PHONE, "x"))
    [customer] = wait_until(lambda: api.get("/customers", params={"q": PHONE}).json()["items"])
    refused = api.post(
        f"/customers/{customer['customer_id']}/messages", json={"channel": "whatsapp", "body": "x"}
    )
    assert refused.status_code == 409
    assert "CONTACTHUB_TWILIO_WHATSAPP_FROM" in refused.json()["detail"]
