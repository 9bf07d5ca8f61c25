"""An interaction's files through the API: a letter's PDF (sent) and scan
(received) from the hub's blob store, a call's recording fetched from Twilio
(the loopback stand-in serving WAV media with basic auth)."""

from __future__ import annotations

import wave
from io import BytesIO
from pathlib import Path
from typing import Any

import httpx

from services.wiring.hub import Hub
from tests.e2e.test_letters import ADDRESS, SENDER, a_customer, register, scan_pdf
from tests.e2e.test_voice import call_sid, incoming_call, recording_form
from tests.support.hub import post_signed, settle
from tests.support.twilio_standin import TwilioStandIn


def detail(api: Any, interaction_id: str) -> dict[str, Any]:
    response = api.get(f"/interactions/{interaction_id}")
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_a_sent_letter_and_a_received_scan_are_files_of_their_interactions(
    hub: Hub, client: httpx.Client, base_url: str, api: Any
) -> None:
    customer_id = a_customer(client, base_url, api, "+4917655550001")
    assert api.put(f"/customers/{customer_id}/postal-address", json=ADDRESS).status_code == 200
    sent = api.post(
        f"/customers/{customer_id}/messages",
        json={"channel": "letter", "subject": "Ihre Anfrage", "body": "anbei die Unterlagen."},
    ).json()
    outbox = Path(hub.settings.data_dir) / "outbox" / f"{sent['interaction_id']}.pdf"
    [pdf] = detail(api, sent["interaction_id"])["attachments"]
    assert pdf["name"] == "letter.pdf" and pdf["content_type"] == "application/pdf"
    assert pdf["size"] == outbox.stat().st_size
    download = api.get(pdf["url"].removeprefix("/api/v1"))
    assert download.status_code == 200
    assert download.content == outbox.read_bytes()
    assert download.headers["content-type"] == "application/pdf"

    scan = scan_pdf("Sehr geehrte Damen und Herren, bitte senden Sie mir eine Kopie.")
    received = register(api, "scan-files-0001", scan, SENDER)
    assert received.status_code == 201, received.text
    [file] = detail(api, received.json()["interaction_id"])["attachments"]
    assert (file["name"], file["content_type"], file["size"]) == (
        "scan.pdf",
        "application/pdf",
        len(scan),
    )
    assert api.get(file["url"].removeprefix("/api/v1")).content == scan
    assert api.get(file["url"].removeprefix("/api/v1")[:-1] + "1").status_code == 404


def a_recorded_call(client: httpx.Client, base_url: str, n: int) -> None:
    post_signed(client, base_url, "/webhooks/twilio/voice", incoming_call(n))
    answer = post_signed(
        client, base_url, "/webhooks/twilio/voice/recording", recording_form(call_sid(n), n)
    )
    assert answer.status_code == 200, answer.text


def test_a_call_recording_is_fetched_from_twilio_when_it_is_downloaded(
    hub: Hub, client: httpx.Client, base_url: str, api: Any, twilio: TwilioStandIn
) -> None:
    audio = twilio.add_recording(f"RE{31:032x}", seconds=0.5)
    a_recorded_call(client, base_url, 31)
    a_recorded_call(client, base_url, 32)  # its media is not (or no longer) at Twilio
    settle(hub)
    calls = {
        item["provider_id"]: item
        for item in api.get("/customers", params={"q": "+4917698765432"}).json()["items"][:1]
        for item in api.get(f"/customers/{item['customer_id']}/timeline").json()["items"]
    }

    [file] = detail(api, calls[call_sid(31)]["interaction_id"])["attachments"]
    assert file["name"] == f"RE{31:032x}.wav" and file["content_type"] == "audio/wav"
    assert file["size"] is None  # Twilio holds it; the hub has not fetched it
    download = api.get(file["url"].removeprefix("/api/v1"))
    assert download.status_code == 200
    assert download.content == audio
    with wave.open(BytesIO(download.content)) as played:  # a real, playable WAV
        assert played.getframerate() == 8000 and played.getnframes() == 4000

    [gone] = detail(api, calls[call_sid(32)]["interaction_id"])["attachments"]
    assert api.get(gone["url"].removeprefix("/api/v1")).status_code == 404

    twilio.stop()  # Twilio unreachable: the recording is there, only not now
    unavailable = api.get(file["url"].removeprefix("/api/v1"))
    assert unavailable.status_code == 502
    assert "recording could not be fetched" in unavailable.json()["detail"]
