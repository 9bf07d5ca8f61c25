"""An agent's day in the console, in a real browser: log in, find a customer by
part of the name, read an inbound email whole with its attachment, answer by
SMS and see the answer in the timeline, claim a case and resolve it."""

from __future__ import annotations

import re
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Page, expect

from services.infra.auth import Role
from services.wiring.hub import Hub
from tests.e2e.console.conftest import log_in, screenshot
from tests.support.email_fixtures import OUR_ADDRESS, smtp_send
from tests.support.hub import wait_until
from tests.support.smtp_relay import SmtpRelay

LONG_TEXT = "\n".join(
    f"Absatz {n}: Meine Bestellung 4711 ist beschädigt angekommen." for n in range(30)
)
PDF = b"%PDF-1.4 Lieferschein " + bytes(range(256))
CUSTOMER_PHONE = "+4917612345678"


def send_email(smtp_port: int) -> None:
    message = EmailMessage()
    message["From"] = "Felix Müller <felix.mueller@example.de>"
    message["To"] = OUR_ADDRESS
    message["Subject"] = "Beschädigte Lieferung"
    message["Message-ID"] = "<console-day-1@example.de>"
    message.set_content(LONG_TEXT)
    message.add_alternative("<p>Hallo, <b>bitte</b> um Ersatz.</p>", subtype="html")
    message.add_attachment(PDF, maintype="application", subtype="pdf", filename="Lieferschein.pdf")
    smtp_send(smtp_port, message)


def open_case(base_url: str, token: str, customer_id: str) -> dict[str, Any]:
    response = httpx.post(
        base_url + "/api/v1/complaints",
        json={"customer_id": customer_id, "subject": "Beschädigte Lieferung"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_an_agent_reads_an_email_answers_by_sms_and_resolves_the_case(
    hub: Hub,
    base_url: str,
    page: Page,
    accounts: dict[str, tuple[str, str]],
    smtp_port: int,
    twilio: Any,
    relay: SmtpRelay,
) -> None:
    send_email(smtp_port)
    [row] = wait_until(lambda: hub.views.customer360.search("felix.mueller@example.de", None, 5))
    customer_id = str(row["customer_id"])
    case = open_case(base_url, hub.tokens.create(Role.AGENT, "case.opener"), customer_id)

    page.goto(base_url + "/login")
    screenshot(page, "login")
    log_in(page, base_url, accounts["agent"])

    # Find by part of the name, as typed: results come while typing (htmx).
    page.get_by_role("link", name="Customers").click()
    page.get_by_label("Find a customer").press_sequentially("Müll", delay=40)
    expect(page.locator("#match-count")).to_have_text("1 found")
    screenshot(page, "search")
    page.get_by_role("link", name="Felix Müller").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Felix Müller")

    # The email's entry opens to its whole content in place, then on its own page.
    entry = page.locator("#timeline .entry").first
    entry.locator("summary").click()
    expect(entry.locator(".fulltext")).to_contain_text("Absatz 29:")
    screenshot(page, "customer")
    entry.get_by_role("link", name="Open").click()
    page.wait_for_url(re.compile(r"/interactions/"))
    full = page.locator(".fulltext").inner_text()
    assert full.strip() == LONG_TEXT
    frame = page.locator("iframe.email-frame")
    assert frame.get_attribute("sandbox") == ""
    expect(page.frame_locator("iframe.email-frame").locator("b")).to_have_text("bitte")
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("Lieferschein.pdf")).click()
    assert download.value.suggested_filename == "Lieferschein.pdf"
    assert Path(download.value.path()).read_bytes() == PDF
    screenshot(page, "email")

    # Reply by email from there: threaded under the customer's message.
    page.get_by_label("Message").fill("Danke, der Ersatz ist unterwegs.")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("status")).to_have_text("Sent.")
    [relayed] = wait_until(lambda: relay.received)
    assert relayed.message["In-Reply-To"] == "<console-day-1@example.de>"
    body = relayed.message.get_body(("plain",))
    assert body is not None and "Danke, der Ersatz ist unterwegs." in body.get_content()
    expect(page.locator("#timeline .entry").first).to_contain_text("Danke, der Ersatz")

    # Answer by SMS (the Twilio stand-in takes it); the answer is in the timeline.
    page.get_by_label("sms", exact=True).check()
    page.get_by_label(re.compile("^To")).fill(CUSTOMER_PHONE)
    page.get_by_label("Message").fill("Wir schicken Ihnen sofort Ersatz.")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("status")).to_have_text("Sent.")
    expect(page.locator("#timeline .entry").first).to_contain_text("Wir schicken Ihnen sofort")
    [sms] = twilio.messages
    assert sms.params["To"] == CUSTOMER_PHONE
    assert sms.params["Body"] == "Wir schicken Ihnen sofort Ersatz."

    # Claim the case in its queue, then resolve it.
    page.get_by_role("link", name="Queues").click()
    page.locator(".tile", has_text=case["queue"]).click()
    row_of_case = page.locator(f'tr[data-case="{case["complaint_id"]}"]')
    row_of_case.get_by_role("button", name="Claim").click()
    expect(page.locator(f'tr[data-case="{case["complaint_id"]}"] td').nth(3)).to_have_text(
        accounts["agent"][0]
    )
    # Categorise it: reason and product, as the supervisor's figures count them.
    case_row = page.locator(f'tr[data-case="{case["complaint_id"]}"]')
    case_row.locator("details.categorise summary").click()
    case_row.get_by_label("Category").fill("damaged")
    case_row.get_by_label("Product").fill("Kaffeemaschine K2")
    case_row.get_by_role("button", name="Categorise").click()
    expect(
        page.locator(f'tr[data-case="{case["complaint_id"]}"] details.categorise summary')
    ).to_have_text("damaged · Kaffeemaschine K2")
    found = hub.views.complaints.case(case["complaint_id"])
    assert (found["category"], found["product"]) == ("damaged", "Kaffeemaschine K2")
    screenshot(page, "queue")
    assert hub.views.complaints.case(case["complaint_id"])["assignee"] == accounts["agent"][0]
    page.locator(f'tr[data-case="{case["complaint_id"]}"]').get_by_role(
        "button", name="Resolve"
    ).click()
    expect(page.locator(f'tr[data-case="{case["complaint_id"]}"]')).to_have_count(0)
    assert hub.views.complaints.case(case["complaint_id"])["state"] == "resolved"

    # Usable at tablet width: one column, nothing wider than the screen.
    page.set_viewport_size({"width": 820, "height": 1180})
    page.goto(f"{base_url}/customers/{customer_id}")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, "customer-tablet")
