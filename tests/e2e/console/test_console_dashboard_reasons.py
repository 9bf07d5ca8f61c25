"""The supervisor dashboard's "complaint reasons by product" chart, in a real
browser: the analytics report's SVG inline, with the products' top reasons."""

from __future__ import annotations

import httpx
from playwright.sync_api import Page, expect

from services.infra.auth import Role
from services.wiring.hub import Hub
from tests.e2e.console.conftest import log_in, screenshot
from tests.support.hub import inbound_sms_form, post_signed, wait_until

SENDER = "+4917655500777"


def test_the_dashboard_shows_complaint_reasons_by_product(
    hub: Hub, base_url: str, page: Page, accounts: dict[str, tuple[str, str]]
) -> None:
    token = hub.tokens.create(Role.AGENT, "shop.feed")
    with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"}) as api:
        post_signed(api, base_url, "/webhooks/twilio/sms", inbound_sms_form(1, SENDER, "Hallo"))
        [found] = wait_until(lambda: hub.views.customer360.search(SENDER, SENDER, 5))
        customer = {"customer_id": str(found["customer_id"])}
        for n, sku in enumerate(["K2", "K2", "T9"]):
            ordered = api.post(
                "/api/v1/orders",
                json={
                    "order_id": f"shop-{n}",
                    "customer": customer,
                    "ordered_at": "2026-11-01T10:00:00+00:00",
                    "currency": "EUR",
                    "lines": [
                        {"sku": sku, "name": f"Gerät {sku}", "quantity": 1, "unit_price": "49.90"}
                    ],
                },
            )
            assert ordered.status_code == 201, ordered.text
        for category in ["damaged", "damaged", "late"]:
            opened = api.post(
                "/api/v1/complaints",
                json={**customer, "category": category, "product": "K2"},
            )
            assert opened.status_code == 201, opened.text
    wait_until(lambda: hub.reports.complaints_by_product().rows)

    log_in(page, base_url, accounts["supervisor"])
    page.get_by_role("link", name="Dashboard").click()
    figure = page.locator("#reasons-by-product")
    expect(figure).to_contain_text("Complaint reasons by product")
    # The report's own SVG: one bar for K2 (3 cases / 2 orders), none for T9.
    expect(figure.locator("svg rect[data-label='K2']")).to_have_count(1)
    assert figure.locator("svg rect[data-label='K2']").get_attribute("data-value") == "1.5"
    expect(figure.locator("svg rect[data-label='T9']")).to_have_count(0)
    expect(figure.locator("tbody tr")).to_have_count(1)
    expect(figure.locator("tbody tr")).to_contain_text("damaged")
    screenshot(page, "dashboard-reasons")
