"""10,000 signed webhooks through gateway, broker, recorder and projectors, each
a separate `contacthub run ...` process: exactly 10,000 events, each in the 360."""

from __future__ import annotations

import asyncio
import subprocess
import time

import httpx

from tests.support.hub import wait_until
from tests.support.ports import free_port
from tests.support.services import CLI, Services
from tests.support.traffic import (
    SENDERS,
    duplicate_messages,
    event_counts,
    post_webhooks,
    query,
    sender_of,
)

MESSAGES = 10_000


def test_ten_thousand_webhooks_become_ten_thousand_events_each_in_the_360(
    services: Services, env: dict[str, str], postgres_url: str, gateway_port: int
) -> None:
    services.start("gateway", port=gateway_port)
    services.start("recorder", ready_log="assigned")
    # Two read models in two processes, each with its own position.
    services.start("projector", "--view", "identity", ready_log="projecting")
    services.start("projector", "--view", "customer360", ready_log="projecting")

    started = time.perf_counter()
    sent = asyncio.run(post_webhooks(f"http://127.0.0.1:{gateway_port}", range(MESSAGES)))
    posted = time.perf_counter() - started
    assert sent["ok"] == MESSAGES

    def timeline_rows() -> int:
        return int(query(postgres_url, "SELECT count(*) FROM c360_timeline")[0][0])

    wait_until(lambda: timeline_rows() >= MESSAGES, timeout=180, interval=0.5)
    projected = time.perf_counter() - started
    print(
        f"\n{MESSAGES} webhooks: posted at {MESSAGES / posted:.0f}/s; "
        f"recorded and projected at {MESSAGES / projected:.0f}/s end to end"
    )

    counts = event_counts(postgres_url)
    assert counts["SmsReceived"] == MESSAGES
    assert duplicate_messages(postgres_url) == 0
    assert counts["CustomerRegistered"] == SENDERS  # one customer per sender address
    assert timeline_rows() == MESSAGES
    # Every stored message is the 360 timeline's row of the same interaction.
    missing = query(
        postgres_url,
        "SELECT count(*) FROM contacthub_events e WHERE e.topic = 'SmsReceived'"
        " AND NOT EXISTS (SELECT 1 FROM c360_timeline t"
        "  WHERE t.interaction_id = e.originator_id::text)",
    )
    assert missing[0][0] == 0
    per_customer = query(postgres_url, "SELECT DISTINCT interaction_count FROM c360_customers")
    assert per_customer == [(MESSAGES // SENDERS,)]

    # The agent API (its own process) shows a customer's history from the views.
    api_port = free_port()
    services.start("api", port=api_port)
    token = (
        subprocess.run(
            [CLI, "token", "create", "--role", "agent"],
            env=env,
            cwd=services.workdir,
            capture_output=True,
            text=True,
            check=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    with httpx.Client(
        base_url=f"http://127.0.0.1:{api_port}/api/v1",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    ) as api:
        found = api.get("/customers", params={"q": sender_of(7)}).json()["items"]
        assert len(found) == 1
        timeline = api.get(f"/customers/{found[0]['customer_id']}/timeline", params={"limit": 50})
        bodies = {item["summary"] for item in timeline.json()["items"]}
        expected = {f"Nachricht {n}: Frage zur Rechnung" for n in range(7, MESSAGES, SENDERS)}
        assert bodies == expected
