"""A letter's scan and a call's recording in the console, in a real browser:
the letter opens as its PDF in the browser, the recording plays in an audio
player (Chromium decodes the WAV the Twilio stand-in serves) beside its
transcript."""

from __future__ import annotations

from typing import Any

import httpx
from playwright.sync_api import Page, expect

from services.infra.auth import Role
from services.wiring.hub import Hub
from tests.e2e.console.conftest import log_in
from tests.e2e.test_letters import SENDER, scan_pdf
from tests.e2e.test_voice import call_sid, incoming_call, recording_form, transcription_form
from tests.support.hub import post_signed, settle
from tests.support.twilio_standin import TwilioStandIn

TRANSCRIPT = "Guten Tag, ich rufe wegen meiner Rechnung 2024-17 an."


def test_an_agent_opens_a_letter_pdf_and_plays_a_call_recording(
    hub: Hub,
    base_url: str,
    page: Page,
    accounts: dict[str, tuple[str, str]],
    twilio: TwilioStandIn,
) -> None:
    token = hub.tokens.create(Role.AGENT, "files-setup")
    headers = {"Authorization": f"Bearer {token}"}
    scan = scan_pdf("Sehr geehrte Damen und Herren, ich widerspreche der Rechnung.")
    letter = httpx.post(
        base_url + "/api/v1/letters/inbound",
        data={"scan_id": "scan-console-1", **SENDER},
        files={"file": ("scan.pdf", scan, "application/octet-stream")},
        headers=headers,
        timeout=10,
    )
    assert letter.status_code == 201, letter.text
    audio = twilio.add_recording(f"RE{41:032x}", seconds=1.0)
    with httpx.Client(timeout=10) as client:
        post_signed(client, base_url, "/webhooks/twilio/voice", incoming_call(41))
        for form in (
            recording_form(call_sid(41), 41),
            transcription_form(call_sid(41), 41, TRANSCRIPT),
        ):
            assert (
                post_signed(client, base_url, "/webhooks/twilio/voice/recording", form).status_code
                == 200
            )
    settle(hub)
    call = next(
        item
        for found in httpx.get(
            base_url + "/api/v1/customers", params={"q": "+4917698765432"}, headers=headers
        ).json()["items"]
        for item in httpx.get(
            base_url + f"/api/v1/customers/{found['customer_id']}/timeline", headers=headers
        ).json()["items"]
        if item["provider_id"] == call_sid(41)
    )

    log_in(page, base_url, accounts["agent"])

    page.goto(f"{base_url}/interactions/{letter.json()['interaction_id']}")
    expect(page.locator(".fulltext")).to_contain_text("ich widerspreche der Rechnung")
    pdf_link = page.get_by_role("link", name="scan.pdf").first
    expect(pdf_link).to_be_visible()
    shown: Any = page.request.get(base_url + str(pdf_link.get_attribute("href")))
    assert shown.status == 200 and shown.body() == scan
    assert shown.headers["content-type"] == "application/pdf"
    assert shown.headers["content-disposition"].startswith("inline")

    page.goto(f"{base_url}/interactions/{call['interaction_id']}")
    expect(page.locator(".fulltext")).to_contain_text(TRANSCRIPT)
    player = page.locator("audio")
    expect(player).to_have_count(1)
    # Load it as a listener would: Chromium fetches the media through the
    # console (the session cookie) and decodes the WAV to its duration.
    duration = player.evaluate(
        """audio => new Promise((resolve, reject) => {
            audio.addEventListener('loadedmetadata', () => resolve(audio.duration));
            audio.addEventListener('error', () => reject(new Error('code ' + audio.error?.code)));
            audio.load();
        })"""
    )
    assert abs(duration - 1.0) < 0.05
    assert len(audio) > 16_000  # one second at 8 kHz, 16 bit
