"""Group commit behind real HTTP (`contacthub serve`'s app), on both stores: many
concurrent signed webhooks, some of them redeliveries, are each answered 200
only once their message is readable from another connection, and each is
recorded exactly once; a poison callback among them gets its own error only."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from uuid import uuid4

import httpx

from events import provider_event_id
from services.infra.eventstore import open_event_store
from services.infra.eventstore.store import store_location
from services.infra.settings import Settings
from services.wiring.hub import Hub
from tests.support.hub import inbound_sms_form, post_signed, settle

SMS = "/webhooks/twilio/sms"
STATUS = "/webhooks/twilio/sms/status"
DISTINCT = 24


def test_concurrent_webhooks_are_answered_once_durable_and_recorded_once(
    hub: Hub, settings: Settings, base_url: str
) -> None:
    # Another connection to the same database; reading ids needs no key.
    location = store_location(settings.database_url, settings.data_dir)
    fresh = open_event_store(location, os.urandom(32))
    forms = [inbound_sms_form(n, f"+49151{30_000_000 + n % 6}", f"m{n}") for n in range(DISTINCT)]
    sent = forms + forms[::3]  # a third of them redelivered, concurrently
    unknown_status = {
        "MessageSid": "SM" + "e" * 32,
        "AccountSid": forms[0]["AccountSid"],
        "MessageStatus": "delivered",
    }

    def post(form: dict[str, str]) -> tuple[int, bool]:
        with httpx.Client(timeout=30) as client:
            if "MessageStatus" in form:
                path = f"{STATUS}?interaction={uuid4()}"
                return post_signed(client, base_url, path, form).status_code, False
            response = post_signed(client, base_url, SMS, form)
        message_id = provider_event_id("twilio", "message", form["MessageSid"])
        return response.status_code, fresh.exists(message_id)

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(post, [*sent[:10], unknown_status, *sent[10:]]))

    status_answer = results.pop(10)
    assert status_answer == (404, False)  # nothing of ours to update: refused alone
    assert results == [(200, True)] * len(sent)
    settle(hub)
    recorded = [
        e.provider_message_id
        for _, e in hub.store.notifications(0, 10_000)
        if e.type == "SmsReceived"
    ]
    assert sorted(recorded) == sorted(f["MessageSid"] for f in forms)
    assert [e.type for _, e in hub.store.notifications(0, 10_000)].count("CustomerRegistered") == 6
