"""The consoles' live stream over real HTTP: a new case shows within a second, and
a console that lost its connection resumes with Last-Event-ID without a gap."""

from __future__ import annotations

import time
from typing import Any

import httpx

from services.entry.api.live import console_message
from services.wiring.hub import Hub
from tests.support.complaints import customer_id_of, customer_writes
from tests.support.hub import wait_until
from tests.support.sse import SseListener

PHONE = "+4917612345678"


def test_a_console_sees_a_new_case_within_a_second_and_resumes_without_loss(
    hub: Hub, client: httpx.Client, base_url: str, api: Any, agent_token: str
) -> None:
    url = base_url + "/api/v1/stream"
    console = SseListener(url, agent_token)
    assert console.status_code == 200
    try:
        sent_at = time.monotonic()
        customer_writes(client, base_url, 1, PHONE, "Ich möchte das defekte Gerät reklamieren")
        interaction = console.until(lambda e: e.event == "interaction", timeout=5)
        assert interaction.data["direction"] == "inbound" and interaction.data["channel"] == "sms"
        opened = console.until(
            lambda e: e.event == "queue" and e.data["action"] == "opened", timeout=5
        )
        assert opened.at - sent_at < 1.0, f"case shown after {opened.at - sent_at:.2f}s"
        assert opened.data["queue"] == "complaints"
        assert opened.data["case_number"].startswith("R-")
        assert opened.id > interaction.id
        last_seen = opened.id
    finally:
        console.drop()

    # While the console is away: another case, a claim and a new message.
    customer = customer_id_of(api, PHONE)
    second = api.post("/complaints", json={"customer_id": customer, "queue": "billing"}).json()
    api.post(f"/complaints/{second['complaint_id']}/claim")
    customer_writes(client, base_url, 2, "+4915112345678", "Guten Tag")
    wait_until(lambda: hub.store.max_notification_id() > last_seen + 5)
    hub.complaints.intake.catch_up()
    end = hub.store.max_notification_id()
    expected = [
        n for n, event in hub.store.notifications(last_seen, 1000) if console_message(event)
    ]

    resumed = SseListener(url, agent_token, last_event_id=last_seen)
    try:
        received = []
        while not received or received[-1].id < expected[-1]:
            received.append(resumed.next(timeout=5))
        assert [r.id for r in received] == expected
        assert all(r.id <= end for r in received)
        kinds = [(r.event, r.data.get("action")) for r in received]
        assert ("queue", "opened") in kinds and ("queue", "claimed") in kinds
        assert ("interaction", None) in kinds
        opened_again = [r for r in received if r.data.get("action") == "opened"]
        assert [r.data["complaint_id"] for r in opened_again] == [second["complaint_id"]]
    finally:
        resumed.drop()


def test_the_stream_needs_a_token_and_a_numeric_last_event_id(
    hub: Hub, client: httpx.Client, base_url: str, agent_token: str
) -> None:
    assert client.get(base_url + "/api/v1/stream").status_code == 401
    bad = client.get(
        base_url + "/api/v1/stream",
        headers={"Authorization": f"Bearer {agent_token}", "Last-Event-ID": "yesterday"},
    )
    assert bad.status_code == 400 and "Last-Event-ID" in bad.json()["detail"]
