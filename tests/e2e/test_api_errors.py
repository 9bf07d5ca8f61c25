"""Use-case errors answered once (services/entry/api/errors.py): every route
family says the same for an unknown customer, case or template, and a refused
command is 409 with the reason, over real HTTP on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from events import ConsentChanged
from services.wiring.hub import Hub
from tests.support.complaints import customer_id_of, customer_writes

NOBODY = "00000000-0000-4000-8000-00000000dead"
NO_CASE = "00000000-0000-4000-8000-00000000beef"
PHONE = "+4915112340404"

LETTER = {"channel": "letter", "subject": "Ihr Vertrag", "body": "Hallo"}
ADDRESS = {"name": "Anna Weber", "street": "Hauptstr. 1", "postal_code": "10115", "city": "Berlin"}

CUSTOMER_ROUTES = [
    ("GET", f"/customers/{NOBODY}", None),
    ("GET", f"/customers/{NOBODY}/timeline", None),
    ("GET", f"/customers/{NOBODY}/consent", None),
    ("PUT", f"/customers/{NOBODY}/consent", {"channels": {"sms": False}}),
    ("POST", f"/customers/{NOBODY}/messages", {"channel": "sms", "body": "Hallo"}),
    ("POST", f"/customers/{NOBODY}/messages", LETTER),
    ("POST", f"/customers/{NOBODY}/calls", {"agent_phone": "+4930901820"}),
    ("POST", f"/customers/{NOBODY}/call-notes", {"outcome": "reached", "notes": "x"}),
    ("PUT", f"/customers/{NOBODY}/postal-address", ADDRESS),
    ("POST", "/complaints", {"customer_id": NOBODY}),
    ("POST", "/canned-responses/acknowledgement/render", {"customer_id": NOBODY}),
]


@pytest.mark.parametrize(("method", "path", "body"), CUSTOMER_ROUTES)
def test_an_unknown_customer_is_404_with_the_same_body_on_every_route(
    hub: Hub, api: httpx.Client, method: str, path: str, body: dict[str, Any] | None
) -> None:
    before = hub.store.max_notification_id()
    response = api.request(method, path, json=body)
    assert response.status_code == 404, response.text
    assert response.json() == {"detail": f"no customer {NOBODY}"}
    assert hub.store.max_notification_id() == before  # nothing was recorded


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", f"/complaints/{NO_CASE}", None),
        ("POST", f"/complaints/{NO_CASE}/claim", None),
        ("POST", f"/complaints/{NO_CASE}/resolve", {"resolution": "x"}),
        ("POST", f"/complaints/{NO_CASE}/reply", {"body": "Hallo"}),
        ("POST", "/canned-responses/acknowledgement/render", {"complaint_id": NO_CASE}),
    ],
)
def test_an_unknown_complaint_is_404_with_the_same_body_on_every_route(
    hub: Hub, api: httpx.Client, method: str, path: str, body: dict[str, Any] | None
) -> None:
    response = api.request(method, path, json=body)
    assert response.status_code == 404, response.text
    assert response.json() == {"detail": f"no complaint {NO_CASE}"}


def test_an_unknown_canned_response_is_404_naming_it(api: httpx.Client) -> None:
    response = api.post("/canned-responses/nope/render", json={})
    assert response.status_code == 404
    assert response.json() == {"detail": "no canned response 'nope'"}


def test_a_refused_command_is_409_with_the_reason_and_records_nothing(
    hub: Hub, client: httpx.Client, base_url: str, api: httpx.Client
) -> None:
    customer_writes(client, base_url, 404, PHONE, "Hallo")
    customer = customer_id_of(api, PHONE)
    opted_out = api.put(f"/customers/{customer}/consent", json={"channels": {"sms": False}})
    assert opted_out.status_code == 200, opted_out.text
    assert any(isinstance(e, ConsentChanged) for _, e in hub.store.notifications(0, 100))

    before = hub.store.max_notification_id()
    refused = api.post(f"/customers/{customer}/messages", json={"channel": "sms", "body": "Hi"})
    assert refused.status_code == 409, refused.text
    assert "opted out" in refused.json()["detail"]
    assert hub.store.max_notification_id() == before
