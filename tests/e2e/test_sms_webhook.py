"""Inbound SMS over real HTTP, signed with Twilio's real algorithm, on both stores."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from adapters.sms.verify import twilio_signature
from services.wiring.hub import Hub
from tests.support.hub import AUTH_TOKEN, inbound_sms_form, post_signed, wait_until

PATH = "/webhooks/twilio/sms"


def event_count(hub: Hub) -> int:
    return hub.store.max_notification_id()


def find_customer(api: Any, phone: str) -> dict[str, Any] | None:
    """The one customer owning the number, or None while not yet projected."""
    found = api.get("/customers", params={"q": phone}).json()["items"]
    assert len(found) <= 1, found
    return dict(found[0]) if found else None


def test_signed_webhook_is_answered_with_twiml_and_shows_in_the_360(
    hub: Hub, client: httpx.Client, base_url: str, api: Any
) -> None:
    form = inbound_sms_form(1, "0176 1234 5678", "Hallo, wo bleibt meine Bestellung?")
    response = post_signed(client, base_url, PATH, form)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/xml")
    assert response.text.endswith("<Response/>")

    def in_timeline() -> dict[str, Any] | None:
        items = api.get("/customers", params={"q": "+4917612345678"}).json()["items"]
        if not items:
            return None
        view = api.get(f"/customers/{items[0]['customer_id']}").json()
        return view if view["timeline"]["items"] else None

    view = wait_until(in_timeline, timeout=1.0)
    entry = view["timeline"]["items"][0]
    assert entry["summary"] == "Hallo, wo bleibt meine Bestellung?"
    assert entry["direction"] == "inbound" and entry["channel"] == "sms"
    assert entry["provider_id"] == form["MessageSid"]
    assert view["addresses"] == [
        {"channel": "sms", "address": "+4917612345678", "linked_at": entry["occurred_at"]}
    ]
    assert view["counts"] == [{"channel": "sms", "direction": "inbound", "count": 1}]
    assert view["last_contact_at"] == entry["occurred_at"]


def test_a_known_number_finds_its_customer(
    hub: Hub, client: httpx.Client, base_url: str, api: Any
) -> None:
    for n, sender in enumerate(["+4917612345678", "0176-12345678", "+49 176 12345678"]):
        assert post_signed(client, base_url, PATH, inbound_sms_form(10 + n, sender, f"m{n}"))
    customer = wait_until(
        lambda: (c := find_customer(api, "+4917612345678")) and c["interaction_count"] == 3 and c
    )
    timeline = api.get(f"/customers/{customer['customer_id']}/timeline").json()["items"]
    assert [i["summary"] for i in timeline] == ["m2", "m1", "m0"]
    # Paged: the cursor of the first page leads to the rest, and nothing more.
    first = api.get(f"/customers/{customer['customer_id']}/timeline?limit=2").json()
    rest = api.get(
        f"/customers/{customer['customer_id']}/timeline",
        params={"limit": 2, "before": first["next_before"]},
    ).json()
    assert [i["summary"] for i in first["items"] + rest["items"]] == ["m2", "m1", "m0"]
    assert rest["next_before"] is None
    unknown = api.get("/customers/00000000-0000-4000-8000-000000000000/timeline")
    assert unknown.status_code == 404


def test_the_same_webhook_three_times_concurrently_records_one_message(
    hub: Hub, client: httpx.Client, base_url: str, api: Any
) -> None:
    form = inbound_sms_form(2, "+4915112345678", "Doppelt gesendet")
    with ThreadPoolExecutor(3) as pool:
        responses = list(pool.map(lambda _: post_signed(client, base_url, PATH, form), range(3)))
    assert [r.status_code for r in responses] == [200, 200, 200]
    again = post_signed(client, base_url, PATH, form)
    assert again.status_code == 200

    # One customer registered: customer, address link, claim, message.
    assert event_count(hub) == 4
    customer = wait_until(lambda: find_customer(api, "+4915112345678"))
    assert customer["interaction_count"] == 1


def test_wrong_or_missing_signature_is_403_and_records_nothing(
    hub: Hub, client: httpx.Client, base_url: str
) -> None:
    form = inbound_sms_form(3, "+4915112345678", "Fälschung")
    wrong_token = post_signed(client, base_url, PATH, form, token="not-the-token")
    missing = client.post(base_url + PATH, data=form)
    tampered = post_signed(client, base_url, PATH, form, signature="AAAA" + "=" * 24)
    # Signed for another host: the hub checks against its configured public URL,
    # whatever Host or X-Forwarded-Host the request claims.
    other_host = client.post(
        base_url + PATH,
        data=form,
        headers={
            "X-Twilio-Signature": twilio_signature(AUTH_TOKEN, "https://evil.example" + PATH, form),
            "X-Forwarded-Host": "evil.example",
            "X-Forwarded-Proto": "https",
        },
    )
    for response in (wrong_token, missing, tampered, other_host):
        assert response.status_code == 403, response.text
        assert "X-Twilio-Signature" in response.json()["detail"]
    assert event_count(hub) == 0


def test_malformed_payload_is_422_naming_the_field_and_records_nothing(
    hub: Hub, client: httpx.Client, base_url: str
) -> None:
    bad_sid = inbound_sms_form(4, "+4915112345678", "x") | {"MessageSid": "nonsense"}
    response = post_signed(client, base_url, PATH, bad_sid)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["MessageSid"]

    no_from = inbound_sms_form(5, "+4915112345678", "x")
    del no_from["From"]
    response = post_signed(client, base_url, PATH, no_from)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["From"]

    bad_number = inbound_sms_form(6, "not a number", "x")
    response = post_signed(client, base_url, PATH, bad_number)
    assert response.status_code == 422
    assert "phone number" in response.json()["detail"]

    assert event_count(hub) == 0
