"""Teams in the console, in a real browser: an agent of another team does not see
a team's queue or its cases (its page is a 403 that says why), and a claim sent
anyway is refused and changes nothing; the team's own agent claims the case."""

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


def test_an_agent_of_another_team_neither_sees_nor_claims_its_cases(
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
        refusal = "queue billing belongs to team care; ben.b is in team returns-team"

        log_in(page, base_url, OTHER)
        expect(page.locator('a[href="/queues/billing"]')).to_have_count(0)  # not on the start page
        answer = page.goto(base_url + "/queues/billing")
        assert answer is not None and answer.status == 403
        expect(page.locator("main")).to_contain_text(refusal)
        screenshot(page, "console-team-refusal")
        page.goto(f"{base_url}/customers/{customer}")
        expect(page.locator("main")).to_contain_text("Hallo")  # the customer's own history
        expect(page.locator("main")).not_to_contain_text(case["case_number"])
        # A claim sent anyway, with the session's own CSRF token: refused, nothing recorded.
        csrf = page.locator('input[name="csrf"]').first.get_attribute("value")
        sent = page.request.post(
            f"{base_url}/cases/{case['complaint_id']}/claim",
            form={"csrf": csrf or "", "queue": "billing"},
            max_redirects=0,
        )
        assert sent.status == 403 and refusal in sent.text()
        assert hub.store.max_notification_id() == before
        assert api.get(f"/complaints/{case['complaint_id']}").json()["assignee"] is None

        # The team's own agent sees the queue and claims the case from it.
        page.context.clear_cookies()
        log_in(page, base_url, accounts["agent"])
        page.goto(base_url + "/queues/billing")
        row = page.locator(f'tr[data-case="{case["complaint_id"]}"]')
        row.get_by_role("button", name="Claim").click()
        expect(row.locator("td").nth(3)).to_have_text(accounts["agent"][0])
