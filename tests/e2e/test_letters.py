"""Postal letters over real HTTP: a letter out as a DIN 5008 PDF in the outbox,
the provider's signed status reports, scanned letters in (idempotent by scan
id, matched by name and postal address, text found by search)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest
from fpdf import FPDF
from pypdf import PdfReader

from adapters.post.verify import post_signature
from events import LetterReceived
from services.infra.settings import Settings
from services.wiring.hub import Hub
from tests.support.hub import inbound_sms_form, post_signed, wait_until

SECRET = "post-webhook-secret-for-tests"
MM_PER_POINT = 25.4 / 72
A4_HEIGHT = 297.0


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"post_webhook_secret": SECRET})


def a_customer(client: httpx.Client, base_url: str, api: Any, phone: str, n: int = 55) -> str:
    post_signed(client, base_url, "/webhooks/twilio/sms", inbound_sms_form(n, phone, "Hallo"))
    found = wait_until(lambda: api.get("/customers", params={"q": phone}).json()["items"])
    return str(found[0]["customer_id"])


ADDRESS = {
    "name": "Frau Erika Müller",
    "street": "Hauptstraße 5",
    "postal_code": "10115",
    "city": "Berlin",
}


def text_positions(pdf: bytes) -> list[tuple[float, float, str]]:
    """(x mm from the left, y mm from the top, text) of every text run on page 1."""
    found: list[tuple[float, float, str]] = []

    def visit(text: str, cm: Any, tm: Any, font: Any, size: Any) -> None:
        if text.strip():
            found.append((tm[4] * MM_PER_POINT, A4_HEIGHT - tm[5] * MM_PER_POINT, text.strip()))

    PdfReader(io.BytesIO(pdf)).pages[0].extract_text(visitor_text=visit)
    return found


def report(client: httpx.Client, base_url: str, body: dict[str, Any], secret: str = SECRET) -> Any:
    raw = json.dumps(body).encode()
    return client.post(
        base_url + "/webhooks/post/status",
        content=raw,
        headers={
            "Content-Type": "application/json",
            "X-Contacthub-Signature": post_signature(secret, raw),
        },
    )


def test_a_letter_from_the_api_is_a_din_5008_pdf_in_the_outbox_and_in_the_timeline(
    hub: Hub, client: httpx.Client, base_url: str, api: Any
) -> None:
    customer_id = a_customer(client, base_url, api, "+4917611112222")
    no_address = api.post(
        f"/customers/{customer_id}/messages",
        json={"channel": "letter", "subject": "Test", "body": "x"},
    )
    assert no_address.status_code == 409
    assert "postal address" in no_address.json()["detail"]
    assert api.put(f"/customers/{customer_id}/postal-address", json=ADDRESS).status_code == 200

    response = api.post(
        f"/customers/{customer_id}/messages",
        json={
            "channel": "letter",
            "subject": "Ihre Reklamation vom 3. März",
            "body": "wir haben Ihre Reklamation geprüft und erstatten Ihnen 42,00 €.",
        },
    )
    assert response.status_code == 202, response.text
    sent = response.json()
    assert sent["status"] == "submitted"

    pdf_path = Path(hub.settings.data_dir) / "outbox" / f"{sent['interaction_id']}.pdf"
    pdf = pdf_path.read_bytes()
    reader = PdfReader(io.BytesIO(pdf))
    text = reader.pages[0].extract_text()
    assert "Ihre Reklamation vom 3. März" in text
    assert "erstatten Ihnen 42,00 €." in text
    assert "Guten Tag Frau Erika Müller," in text
    # The address block: in order, inside the window of a DIN 5008 form B letter
    # (85 x 45 mm at 20 mm from the left and 45 mm from the top), below the
    # 17.7 mm note zone, which holds the return address.
    runs = text_positions(pdf)
    window = [(x, y, t) for x, y, t in runs if 20 <= x <= 105 and 45 + 17.7 <= y <= 45 + 45]
    assert [t for _, _, t in window] == ["Frau Erika Müller", "Hauptstraße 5", "10115 Berlin"]
    [sender] = [(x, y) for x, y, t in runs if t == hub.settings.letter_sender]
    assert 20 <= sender[0] <= 105 and 45 <= sender[1] <= 45 + 17.7

    entry = api.get(f"/interactions/{sent['interaction_id']}").json()
    assert entry["channel"] == "letter" and entry["direction"] == "outbound"
    assert entry["summary"] == "Ihre Reklamation vom 3. März"
    assert entry["address"] == "Frau Erika Müller, Hauptstraße 5, 10115 Berlin"
    assert entry["status"] == "submitted"

    # The provider's reports: late, repeated; a forged one changes nothing.
    before = hub.store.max_notification_id()
    forged = report(
        client, base_url, {"letter_id": sent["interaction_id"], "status": "returned"}, "wrong"
    )
    assert forged.status_code == 403
    assert hub.store.max_notification_id() == before
    for status in ("posted", "printed", "posted"):
        answer = report(
            client,
            base_url,
            {"letter_id": sent["interaction_id"], "status": status, "reference": "DP-1"},
        )
        assert answer.status_code == 200, answer.text
    assert (
        report(
            client, base_url, {"letter_id": sent["interaction_id"], "status": "lost"}
        ).status_code
        == 422
    )
    unknown = {"letter_id": "00000000-0000-4000-8000-000000000000", "status": "posted"}
    assert report(client, base_url, unknown).status_code == 404
    wait_until(
        lambda: api.get(f"/interactions/{sent['interaction_id']}").json()["status"] == "posted"
    )


def scan_pdf(text: str) -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.multi_cell(0, 6, text)
    return bytes(pdf.output())


SENDER = {
    "sender_name": "Max Mustermann",
    "street": "Musterstr. 12",
    "postal_code": "80331",
    "city": "München",
}


def register(
    api: Any, scan_id: str, data: bytes, fields: dict[str, str], name: str = "scan.pdf"
) -> Any:
    return api.post(
        "/letters/inbound",
        data={"scan_id": scan_id, **fields},
        files={"file": (name, data, "application/octet-stream")},
    )


def test_an_inbound_scan_registered_twice_is_one_letter_found_by_its_text(
    hub: Hub, client: httpx.Client, base_url: str, api: Any
) -> None:
    customer_id = a_customer(client, base_url, api, "+4917633334444")
    known = {
        "name": "Max Mustermann",
        "street": "Musterstraße 12",
        "postal_code": "80331",
        "city": "München",
    }
    assert api.put(f"/customers/{customer_id}/postal-address", json=known).status_code == 200

    scan = scan_pdf("Sehr geehrte Damen und Herren, hiermit widerrufe ich den Vertrag Nr. 4711.")
    first = register(api, "scan-2025-0001", scan, SENDER)
    second = register(api, "scan-2025-0001", scan, SENDER)
    assert first.status_code == 201, first.text
    assert second.status_code == 200
    assert first.json()["interaction_id"] == second.json()["interaction_id"]
    assert second.json()["duplicate"] is True
    assert first.json()["text_extracted"] is True
    # Matched by name and postal address, though the street is spelled differently.
    assert first.json()["customer_id"] == customer_id

    letters = [
        i
        for i in api.get(f"/customers/{customer_id}/timeline").json()["items"]
        if i["channel"] == "letter"
    ]
    [letter] = letters
    assert letter["direction"] == "inbound" and letter["provider_id"] == "scan-2025-0001"
    assert "widerrufe ich den Vertrag Nr. 4711" in letter["text"]
    whole = api.get(f"/interactions/{letter['interaction_id']}").json()
    assert whole["body"] == letter["text"]
    # The scan itself is the letter's file (tests/e2e/test_interaction_files.py).
    assert [a["name"] for a in whole["attachments"]] == ["scan.pdf"]

    found = api.get("/customers", params={"q": "Vertrag Nr. 4711"}).json()["items"]
    assert [c["customer_id"] for c in found] == [customer_id]
    # The scan is in the hub's blob store, as raw emails are: files when embedded,
    # the database on PostgreSQL (no API replica's local disk).
    [received] = hub.store.stream(UUID(first.json()["interaction_id"]))
    assert isinstance(received, LetterReceived)
    assert hub.blobs.get(received.document_sha256) == scan
    if hub.settings.database_url:
        assert not (Path(hub.settings.data_dir) / "blobs").exists()


def test_an_unknown_sender_becomes_a_customer_and_images_have_no_text(hub: Hub, api: Any) -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    fields = {
        "sender_name": "Anna Schmidt",
        "street": "Ringweg 3",
        "postal_code": "50667",
        "city": "Köln",
    }
    answer = register(api, "scan-img-1", png, fields, "scan.png")
    assert answer.status_code == 201, answer.text
    assert answer.json()["text_extracted"] is False
    view = api.get(f"/customers/{answer.json()['customer_id']}").json()
    assert view["source_channel"] == "letter"
    assert view["addresses"][0]["channel"] == "letter"
    assert view["addresses"][0]["address"] == "Ringweg 3, 50667 Köln"
    # Another letter from her, written slightly differently, is hers too.
    again = register(api, "scan-img-2", png, {**fields, "sender_name": "anna  schmidt"}, "scan.png")
    assert again.json()["customer_id"] == answer.json()["customer_id"]


def test_a_bad_scan_is_422_and_records_nothing(hub: Hub, api: Any) -> None:
    before = hub.store.max_notification_id()
    garbage = register(api, "scan-bad-1", b"hello, not a scan", SENDER)
    assert garbage.status_code == 422
    assert "PDF" in garbage.json()["detail"]
    missing = api.post(
        "/letters/inbound",
        data={"scan_id": "scan-bad-2"},
        files={"file": ("a.pdf", scan_pdf("x"), "application/pdf")},
    )
    assert missing.status_code == 422
    assert hub.store.max_notification_id() == before


def test_letter_commands_are_validated(
    hub: Hub, client: httpx.Client, base_url: str, api: Any
) -> None:
    customer_id = a_customer(client, base_url, api, "+4917655556666")
    no_subject = api.post(
        f"/customers/{customer_id}/messages", json={"channel": "letter", "body": "x"}
    )
    assert no_subject.status_code == 422
    too_long_sms = api.post(
        f"/customers/{customer_id}/messages", json={"channel": "sms", "body": "x" * 1601}
    )
    assert too_long_sms.status_code == 422
    bad_address = api.put(f"/customers/{customer_id}/postal-address", json={"name": "x"})
    assert bad_address.status_code == 422


def test_a_new_customer_from_a_letter_has_the_senders_name_and_is_found_by_it(
    hub: Hub, api: Any
) -> None:
    fields = {
        "sender_name": "Thomas Weber",
        "street": "Lindenallee 8",
        "postal_code": "20095",
        "city": "Hamburg",
    }
    png = b"\x89PNG\r\n\x1a\n" + b"\x01" * 64
    answer = register(api, "scan-weber-1", png, fields, "scan.png")
    assert answer.status_code == 201, answer.text
    customer_id = answer.json()["customer_id"]
    assert api.get(f"/customers/{customer_id}").json()["display_name"] == "Thomas Weber"
    found = api.get("/customers", params={"q": "Weber"}).json()["items"]
    assert [c["customer_id"] for c in found] == [customer_id]
    assert found[0]["display_name"] == "Thomas Weber"
