"""The supervisor dashboard's customer satisfaction card, in a real browser:
after a resolved SMS case's survey is answered "4" by SMS, the card shows CSAT
100 % from one answer and the case's queue in its CSAT-per-queue chart."""

from __future__ import annotations

from uuid import UUID

import httpx
import pytest
from playwright.sync_api import Page, expect

from events import SurveyAnswered, survey_id_for_case
from services.infra.auth import Role
from services.infra.settings import Settings
from services.wiring.hub import Hub
from tests.e2e.console.conftest import log_in, screenshot
from tests.support.complaints import cases_of, customer_id_of, customer_writes
from tests.support.hub import settle, wait_until
from tests.support.twilio_standin import TwilioStandIn

SENDER = "+4917655500888"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The console's settings, with the survey sent as soon as the case is resolved."""
    return settings.model_copy(update={"survey_delay_seconds": 0.0, "survey_tick_seconds": 0.05})


def test_the_dashboard_shows_satisfaction(
    hub: Hub,
    base_url: str,
    page: Page,
    accounts: dict[str, tuple[str, str]],
    twilio: TwilioStandIn,
) -> None:
    token = hub.tokens.create(Role.AGENT, "satisfaction.feed")
    with (
        httpx.Client(timeout=10) as client,
        httpx.Client(
            base_url=base_url + "/api/v1", headers={"Authorization": f"Bearer {token}"}
        ) as api,
    ):
        customer_writes(client, base_url, 1, SENDER, "Das Paket kam beschädigt an")
        customer = customer_id_of(api, SENDER)
        [case] = wait_until(lambda: cases_of(api, customer))
        cid = case["complaint_id"]
        assert api.post(f"/complaints/{cid}/claim").status_code == 200
        assert api.post(f"/complaints/{cid}/resolve", json={}).status_code == 200
        wait_until(lambda: [m for m in twilio.messages if "Reply 1" in m.params["Body"]])
        settle(hub)
        customer_writes(client, base_url, 2, SENDER, "4")
        survey = survey_id_for_case(UUID(cid))
        wait_until(lambda: [e for e in hub.store.stream(survey) if isinstance(e, SurveyAnswered)])
        wait_until(lambda: hub.views.satisfaction.answers())

    log_in(page, base_url, accounts["supervisor"])
    page.get_by_role("link", name="Dashboard").click()
    card = page.locator("#satisfaction")
    expect(card).to_contain_text("Customer satisfaction")
    expect(card.locator("#csat")).to_have_text("100.0 %")
    expect(card).to_contain_text("1 answers")
    expect(card.locator("svg > title")).to_contain_text("CSAT per queue")
    expect(card.locator("svg rect.bar-csat")).to_have_count(1)
    expect(card.locator("svg rect.bar-csat title")).to_have_text(f"{case['queue']}: 100 %")
    screenshot(page, "dashboard-satisfaction")
