"""Authentication, roles, OpenAPI, health and metrics over real HTTP."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.infra.auth import Role
from services.wiring.hub import Hub
from tests.support.hub import inbound_sms_form, post_signed, settle, wait_until

CUSTOMER = "00000000-0000-4000-8000-000000000000"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/customers?q=anna"),
        ("GET", f"/api/v1/customers/{CUSTOMER}"),
        ("GET", f"/api/v1/customers/{CUSTOMER}/timeline"),
        ("GET", f"/api/v1/interactions/{CUSTOMER}"),
        ("GET", f"/api/v1/interactions/{CUSTOMER}/attachments/0"),
        ("POST", f"/api/v1/customers/{CUSTOMER}/messages"),
    ],
)
def test_every_api_call_without_a_valid_token_is_401(
    client: httpx.Client, base_url: str, method: str, path: str
) -> None:
    for headers in ({}, {"Authorization": "Bearer chub_wrong"}, {"Authorization": "Basic x"}):
        response = client.request(method, base_url + path, headers=headers, json={})
        assert response.status_code == 401, (headers, response.text)
        assert response.headers["www-authenticate"] == "Bearer"


def test_an_auditor_may_read_but_not_send(client: httpx.Client, base_url: str, hub: Hub) -> None:
    token = hub.tokens.create(Role.AUDITOR, "auditor.test")
    headers = {"Authorization": f"Bearer {token}"}
    read = client.get(base_url + "/api/v1/customers", params={"q": "anna"}, headers=headers)
    assert read.status_code == 200
    send = client.post(
        base_url + f"/api/v1/customers/{CUSTOMER}/messages",
        json={"channel": "sms", "body": "x"},
        headers=headers,
    )
    assert send.status_code == 403


def test_malformed_commands_are_422_naming_the_field(api: httpx.Client) -> None:
    response = api.post(f"/customers/{CUSTOMER}/messages", json={"channel": "fax", "body": "x"})
    assert response.status_code == 422
    assert [tuple(e["loc"]) for e in response.json()["detail"]] == [("body", "channel")]
    empty = api.post(f"/customers/{CUSTOMER}/messages", json={"channel": "sms", "body": ""})
    assert empty.status_code == 422
    assert "1 to 1600 characters" in empty.json()["detail"][0]["msg"]
    assert api.get("/customers/not-a-uuid").status_code == 422


def test_openapi_documents_the_public_routes(client: httpx.Client, base_url: str) -> None:
    document = client.get(base_url + "/openapi.json").json()
    paths = document["paths"]
    for path in (
        "/webhooks/twilio/sms",
        "/webhooks/twilio/sms/status",
        "/api/v1/customers",
        "/api/v1/customers/{customer_id}",
        "/api/v1/customers/{customer_id}/timeline",
        "/api/v1/customers/{customer_id}/messages",
        "/api/v1/interactions/{interaction_id}",
        "/api/v1/interactions/{interaction_id}/attachments/{n}",
        "/healthz",
        "/readyz",
        "/metrics",
    ):
        assert path in paths, path
    assert "HTTPBearer" in document["components"]["securitySchemes"]


def test_health_readiness_and_metrics(client: httpx.Client, base_url: str) -> None:
    assert client.get(base_url + "/healthz").json() == {"status": "ok"}
    ready = client.get(base_url + "/readyz")
    assert ready.status_code == 200 and ready.json()["store"] == "ok"
    metrics = client.get(base_url + "/metrics")
    assert metrics.headers["content-type"].startswith("text/plain")
    assert "contacthub_store_position" in metrics.text


def recorded_events_metric(client: httpx.Client, base_url: str) -> float:
    lines = client.get(base_url + "/metrics").text.splitlines()
    [value] = [
        line.split()[1]
        for line in lines
        if line.startswith("contacthub_recorded_events_")
        and line.split()[0] == "contacthub_recorded_events_total"
    ]
    return float(value)


def test_the_recorded_events_metric_counts_every_event_appended(
    hub: Hub, client: httpx.Client, base_url: str, api: Any
) -> None:
    start = settle(hub)
    counted = recorded_events_metric(client, base_url)
    # A first SMS registers a customer (4 events); a reply to it appends more.
    form = inbound_sms_form(301, "+4917612345679", "Hallo")
    assert post_signed(client, base_url, "/webhooks/twilio/sms", form).status_code == 200
    [customer] = wait_until(
        lambda: api.get("/customers", params={"q": "+4917612345679"}).json()["items"]
    )
    note = api.post(
        f"/customers/{customer['customer_id']}/call-notes",
        json={"outcome": "answered", "notes": "ruft zurück"},
    )
    assert note.status_code == 201, note.text
    end = settle(hub)
    appended = len(hub.store.notifications(start, end - start + 100))
    assert appended >= 5
    assert recorded_events_metric(client, base_url) - counted == appended


def test_schema_command_writes_a_json_schema_per_event(tmp_path: Path) -> None:
    cli = str(Path(sys.executable).parent / "contacthub")
    subprocess.run([cli, "schema", "--out", str(tmp_path)], check=True, capture_output=True)
    written = {p.name for p in tmp_path.glob("*.json")}
    assert {"SmsReceived.v1.json", "CustomerRegistered.v1.json"} <= written
    schema = json.loads((tmp_path / "SmsReceived.v1.json").read_text())
    assert "body" in schema["x-personal-data"]
    assert {"event_id", "occurred_at", "schema_version"} <= set(schema["properties"])
