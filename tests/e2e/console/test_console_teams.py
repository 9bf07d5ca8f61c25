"""Teams in the console, in a real browser: an agent of another team sees a team's
queue but cannot claim its cases; the page says why and the case stays as it was."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Page, expect

from services.infra.auth import Role
from services.infra.settings import Settings
from services.wiring.hub import Hub
from tests.e2e.console.conftest import log_in, screenshot
from tests.support.complaints import agent_client, customer_id_of, customer_writes

OTHER = ("ben.b", "Ben-Passwort-1")


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"queue_teams": {"billing": "care"}})


def test_an_agent_of_another_team_cannot_claim_from_the_queue_page(
    hub: Hub, base_url: str, page: Page, accounts: dict[str, tuple[str, str]]
) -> None:
    hub.users.create(OTHER[0], Role.AGENT, OTHER[1], team="returns-team")
    with httpx.Client(timeout=10) as client, agent_client(hub, base_url, "root", Role.ADMIN) as api:
        customer_writes(client, base_url, 1, "+4917633334444", "Hallo")
        customer = customer_id_of(api, "+4917633334444")
        opened = api.post("/complaints", json={"customer_id": customer, "queue": "billing"})
        assert opened.status_code == 201, opened.text
        case = opened.json()
        before = hub.store.max_notification_id()

        log_in(page, base_url, OTHER)
        page.goto(base_url + "/queues/billing")
        row = page.locator(f'tr[data-case="{case["complaint_id"]}"]')
        row.get_by_role("button", name="Claim").click()
        expect(page.locator("#refusal")).to_contain_text(
            "queue billing belongs to team care; ben.b is in team returns-team"
        )
        expect(row.locator("td").nth(3)).to_have_text("\u2013")  # the dash of "no one"
        screenshot(page, "console-team-refusal")
        assert hub.store.max_notification_id() == before
        assert api.get(f"/complaints/{case['complaint_id']}").json()["assignee"] is None
