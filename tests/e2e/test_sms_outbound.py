"""Outbound SMS from the agent API through the loopback Twilio stand-in, and the
status callbacks that come back (late, repeated, out of order)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import httpx

from services.wiring.hub import Hub
from tests.support.hub import inbound_sms_form, post_signed, settle, wait_until
from tests.support.twilio_standin import TwilioStandIn, message_status_params


def a_customer(client: httpx.Client, base_url: str, api: Any, phone: str) -> str:
    post_signed(client, base_url, "/webhooks/twilio/sms", inbound_sms_form(99, phone, "Hallo"))
    found = wait_until(lambda: api.get("/customers", params={"q": phone}).json()["items"])
    return str(found[0]["customer_id"])


def test_sent_sms_reaches_twilio_and_callbacks_move_it_forward_monotonically(
    hub: Hub, client: httpx.Client, base_url: str, api: Any, twilio: TwilioStandIn
) -> None:
    customer_id = a_customer(client, base_url, api, "+4917612345678")

    response = api.post(
        f"/customers/{customer_id}/messages",
        json={"channel": "sms", "body": "Ihre Rückerstattung ist unterwegs."},
    )
    assert response.status_code == 202, response.text
    sent = response.json()
    assert sent["status"] == "queued"

    [request] = twilio.messages
    assert request.params["To"] == "+4917612345678"
    assert request.params["From"] == hub.settings.twilio_from_number
    assert request.params["Body"] == "Ihre Rückerstattung ist unterwegs."
    callback = request.params["StatusCallback"]
    assert callback.startswith(base_url + "/webhooks/twilio/sms/status?interaction=")
    assert sent["provider_message_id"] == request.sid

    # Twilio's callbacks: delivered overtakes sent, and both come twice.
    for status in ("delivered", "sent", "delivered", "sent"):
        answer = twilio.send_status_callback(callback, message_status_params(request, status))
        assert answer.status_code == 200, answer.text

    interaction = wait_until(
        lambda: (
            (i := api.get(f"/interactions/{sent['interaction_id']}").json()).get("status")
            == "delivered"
            and i
        )
    )
    assert interaction["direction"] == "outbound"
    assert interaction["agent"] == "agent.test"
    assert interaction["summary"] == "Ihre Rückerstattung ist unterwegs."
    # Stream: SmsSent, queued (from the REST answer), delivered; the late `sent`
    # and the repeats recorded nothing.
    stream = hub.store.stream(UUID(sent["interaction_id"]))
    assert [getattr(e, "status", e.type) for e in stream] == ["SmsSent", "queued", "delivered"]


def test_a_failed_send_is_recorded_as_failed_with_twilios_error(
    hub: Hub, client: httpx.Client, base_url: str, api: Any, twilio: TwilioStandIn
) -> None:
    customer_id = a_customer(client, base_url, api, "+4917612345679")
    twilio.fail_next(400, 21610, "Attempt to send to unsubscribed recipient")
    response = api.post(
        f"/customers/{customer_id}/messages", json={"channel": "sms", "body": "Hallo"}
    )
    assert response.status_code == 202
    assert response.json()["status"] == "failed"
    assert "unsubscribed" in response.json()["error"]
    interaction = api.get(f"/interactions/{response.json()['interaction_id']}").json()
    assert interaction["status"] == "failed"
    assert "unsubscribed" in interaction["error"]


def test_the_same_send_command_twice_sends_once(
    hub: Hub, client: httpx.Client, base_url: str, api: Any, twilio: TwilioStandIn
) -> None:
    customer_id = a_customer(client, base_url, api, "+4917612345670")
    command = {"channel": "sms", "body": "Einmal bitte"}
    headers = {"Idempotency-Key": "ticket-42-reply-1"}
    first = api.post(f"/customers/{customer_id}/messages", json=command, headers=headers)
    second = api.post(f"/customers/{customer_id}/messages", json=command, headers=headers)
    assert first.status_code == second.status_code == 202
    assert first.json()["interaction_id"] == second.json()["interaction_id"]
    assert len(twilio.messages) == 1


def test_status_callbacks_that_are_forged_or_malformed_change_nothing(
    hub: Hub, client: httpx.Client, base_url: str, api: Any, twilio: TwilioStandIn
) -> None:
    customer_id = a_customer(client, base_url, api, "+4917612345671")
    sent = api.post(f"/customers/{customer_id}/messages", json={"channel": "sms", "body": "x"})
    [request] = twilio.messages
    callback = request.params["StatusCallback"]
    before = hub.store.max_notification_id()

    forged = client.post(callback, data=message_status_params(request, "delivered"))
    assert forged.status_code == 403
    bad_status = twilio.send_status_callback(callback, message_status_params(request, "exploded"))
    assert bad_status.status_code == 422
    assert bad_status.json()["detail"][0]["loc"] == ["MessageStatus"]
    no_interaction = twilio.send_status_callback(
        callback.split("?")[0], message_status_params(request, "delivered")
    )
    assert no_interaction.status_code == 422
    unknown = twilio.send_status_callback(
        callback.split("=")[0] + "=00000000-0000-4000-8000-000000000000",
        message_status_params(request, "delivered"),
    )
    assert unknown.status_code == 404

    assert hub.store.max_notification_id() == before
    assert api.get(f"/interactions/{sent.json()['interaction_id']}").json()["status"] == "queued"


def test_sending_to_an_unknown_customer_is_404(api: Any) -> None:
    response = api.post(
        "/customers/00000000-0000-4000-8000-000000000000/messages",
        json={"channel": "sms", "body": "x"},
    )
    assert response.status_code == 404


def test_a_number_that_is_not_in_any_numbering_plan_is_422_and_changes_nothing(
    hub: Hub, client: httpx.Client, base_url: str, api: Any, twilio: TwilioStandIn
) -> None:
    # "+49 0000" has a possible length but no German number looks like it.
    customer_id = a_customer(client, base_url, api, "+4917612345670")
    before = settle(hub)
    message = api.post(
        f"/customers/{customer_id}/messages",
        json={"channel": "sms", "body": "Hallo", "to": "+49 0000"},
    )
    assert message.status_code == 422, message.text
    assert "+49 0000" in message.json()["detail"]
    call = api.post(f"/customers/{customer_id}/calls", json={"agent_phone": "+49 0000"})
    assert call.status_code == 422, call.text
    assert "+49 0000" in call.json()["detail"]
    inbound = post_signed(
        client, base_url, "/webhooks/twilio/sms", inbound_sms_form(98, "+49 0000", "Hallo")
    )
    assert inbound.status_code == 422
    assert hub.store.max_notification_id() == before
    assert twilio.messages == [] and twilio.calls == []
