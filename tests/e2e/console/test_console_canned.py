"""A canned response in the email answer form, in a real browser: picked, it
fills the reply text, rendered for this customer exactly as the API renders it,
and the reply sent is that text."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import Page, expect

from services.wiring.hub import Hub
from tests.e2e.console.conftest import log_in
from tests.e2e.console.test_console_agent_day import send_email
from tests.support.hub import wait_until
from tests.support.smtp_relay import SmtpRelay


def test_a_canned_response_fills_the_email_reply(
    hub: Hub,
    base_url: str,
    page: Page,
    accounts: dict[str, tuple[str, str]],
    smtp_port: int,
    relay: SmtpRelay,
) -> None:
    send_email(smtp_port)
    [row] = wait_until(lambda: hub.views.customer360.search("felix.mueller@example.de", None, 5))
    customer_id = str(row["customer_id"])
    _, token = hub.tokens.create_for_user(accounts["agent"][0])
    rendered = httpx.post(
        f"{base_url}/api/v1/canned-responses/need_details/render",
        json={"customer_id": customer_id},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert rendered.status_code == 200, rendered.text
    expected = rendered.json()["text"]
    assert "Felix Müller" in expected and accounts["agent"][0] in expected

    log_in(page, base_url, accounts["agent"])
    page.goto(f"{base_url}/customers/{customer_id}")
    page.locator("#timeline .entry").first.locator("summary").click()
    page.locator("#timeline .entry").first.get_by_role("link", name="Open").click()
    page.wait_for_url(re.compile(r"/interactions/"))
    page.get_by_label("Canned response").select_option(label="Asking for details and a photo")
    expect(page.get_by_label("Message")).to_have_value(expected)

    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("status")).to_have_text("Sent.")
    [relayed] = wait_until(lambda: relay.received)
    body = relayed.message.get_body(("plain",))
    assert body is not None and expected in body.get_content()
