"""Rate limits, page-size caps and search-term caps (issue 18, item 2).

A real hub on loopback with low limits set for the test (the defaults are
generous: docs/api.md). Over the budget: 429 with Retry-After and a JSON
reason, and nothing recorded; other tokens and the health probes unaffected.
Every page size and search term the API takes has a ceiling in the document,
and a value beyond it is a 422 naming the parameter.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from services.infra.auth import Role
from services.infra.settings import Settings
from services.wiring.hub import Hub
from tests.support.hub import inbound_sms_form, post_signed, settle

API_BUDGET = 5
WEBHOOK_BUDGET = 3


@pytest.fixture
def database_url() -> None:
    """The budgets are kept in the process's memory, not in a store: SQLite only."""
    return None


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "rate_limit_api": f"{API_BUDGET}/minute",
            "rate_limit_webhooks": f"{WEBHOOK_BUDGET}/minute",
        }
    )


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_throttled(response: httpx.Response) -> None:
    assert response.status_code == 429, response.text
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert "too many requests" in response.json()["detail"]


def test_a_token_over_its_budget_gets_429_and_other_tokens_do_not(
    hub: Hub, base_url: str, client: httpx.Client
) -> None:
    first = hub.tokens.create(Role.AGENT, "agent.one")
    second = hub.tokens.create(Role.AGENT, "agent.two")
    url = base_url + "/api/v1/complaints"
    for _ in range(API_BUDGET):
        assert client.get(url, headers=bearer(first)).status_code == 200
    assert_throttled(client.get(url, headers=bearer(first)))
    # A write over the budget changes nothing.
    before = hub.store.max_notification_id()
    refused = client.post(
        url,
        headers=bearer(first),
        json={"customer_id": "00000000-0000-0000-0000-000000000001", "subject": "x"},
    )
    assert_throttled(refused)
    assert hub.store.max_notification_id() == before
    assert client.get(url, headers=bearer(second)).status_code == 200
    for _ in range(API_BUDGET + 2):
        assert client.get(base_url + "/healthz").status_code == 200


def test_guessing_tokens_from_one_address_is_throttled_too(
    hub: Hub, base_url: str, client: httpx.Client
) -> None:
    url = base_url + "/api/v1/customers?q=ab"
    answers = [client.get(url).status_code for _ in range(API_BUDGET)]
    assert answers == [401] * API_BUDGET
    assert_throttled(client.get(url))


def test_a_webhook_source_over_its_budget_gets_429_and_nothing_is_recorded(
    hub: Hub, base_url: str, client: httpx.Client
) -> None:
    for n in range(WEBHOOK_BUDGET):
        form = inbound_sms_form(n, "+4917612345670", f"Nachricht {n}")
        assert post_signed(client, base_url, "/webhooks/twilio/sms", form).is_success
    settle(hub)
    before = hub.store.max_notification_id()
    form = inbound_sms_form(99, "+4917612345671", "zu viel")
    assert_throttled(post_signed(client, base_url, "/webhooks/twilio/sms", form))
    assert settle(hub) == before
    # The agent API has its own budget: still answered.
    agent = hub.tokens.create(Role.AGENT, "agent.three")
    assert client.get(base_url + "/api/v1/complaints", headers=bearer(agent)).is_success


# --- caps on page sizes and search terms ------------------------------------

PAGE_PARAMETERS = {"limit"}
# Strings whose length a pattern, enum or format already bounds need no maxLength.
BOUNDED_OTHERWISE = ("enum", "format", "pattern", "const")


def query_parameters(document: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path, item in document["paths"].items():
        for operation in item.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "query":
                    found.append((path, parameter))
    return found


def schemas_of(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """The schema itself, or the members of an anyOf (an optional parameter)."""
    return [s for s in schema.get("anyOf", [schema]) if s.get("type") != "null"]


def test_every_page_size_and_search_term_has_a_ceiling(hub: Hub, base_url: str) -> None:
    document = httpx.get(base_url + "/openapi.json", timeout=10).json()
    unbounded = []
    for path, parameter in query_parameters(document):
        for schema in schemas_of(parameter["schema"]):
            if parameter["name"] in PAGE_PARAMETERS and "maximum" not in schema:
                unbounded.append((path, parameter["name"]))
            if schema.get("type") == "string" and not any(
                key in schema for key in ("maxLength", *BOUNDED_OTHERWISE)
            ):
                unbounded.append((path, parameter["name"]))
    assert not unbounded, unbounded


def test_a_page_or_search_term_beyond_its_ceiling_is_422(api: Any) -> None:
    for path in (
        "/customers?q=" + "a" * 201,
        "/customers?q=ab&limit=101",
        "/complaints?limit=501",
        "/knowledge?q=" + "w" * 501,
    ):
        response = api.get(path)
        assert response.status_code == 422, (path, response.text)
        assert response.json()["detail"][0]["loc"][0] == "query", path
