"""An agent reads one interaction whole (GET /api/v1/interactions/{id}): the full
text of an email or message, an email's sanitised HTML and its attachments,
each downloadable. Over real SMTP and HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
from email.message import EmailMessage
from typing import Any

import httpx

from services.wiring.hub import Hub
from tests.support.email_fixtures import (
    MAILGUN_KEY,
    OUR_ADDRESS,
    mailgun_fields,
    post_mailgun,
    relay,
    settings,
    smtp_port,
    smtp_send,
)
from tests.support.hub import inbound_sms_form, post_signed, wait_until

__all__ = ["relay", "settings", "smtp_port"]  # fixtures used by this module

LONG_TEXT = "\n".join(
    f"Zeile {n}: Die Lieferung ist noch nicht angekommen, bitte prüfen." for n in range(40)
)
PDF = b"%PDF-1.4 Rechnung " + bytes(range(256))


def only_interaction(api: Any, query: str) -> dict[str, Any]:
    [customer] = wait_until(lambda: api.get("/customers", params={"q": query}).json()["items"])
    [entry] = wait_until(
        lambda: api.get(f"/customers/{customer['customer_id']}/timeline").json()["items"]
    )
    response = api.get(f"/interactions/{entry['interaction_id']}")
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_an_email_is_read_whole_with_its_html_and_attachments(
    hub: Hub, api: Any, client: httpx.Client, base_url: str, agent_token: str, smtp_port: int
) -> None:
    message = EmailMessage()
    message["From"] = "Anna Beispiel <anna@example.de>"
    message["To"] = OUR_ADDRESS
    message["Subject"] = "Lieferung"
    message["Message-ID"] = "<detail-1@example.de>"
    message.set_content(LONG_TEXT)
    message.add_alternative(
        '<p onclick="x()">Hallo <b>Welt</b><script>bad()</script></p>', subtype="html"
    )
    message.add_attachment(PDF, maintype="application", subtype="pdf", filename="Rechnung März.pdf")
    message.add_attachment(b"a,b\n1,2\n", maintype="text", subtype="csv", filename="daten.csv")
    smtp_send(smtp_port, message)

    item = only_interaction(api, "anna@example.de")
    assert len(item["summary"]) < len(LONG_TEXT)
    assert item["body"].strip() == LONG_TEXT
    assert "<b>Welt</b>" in item["html"]
    assert "script" not in item["html"] and "onclick" not in item["html"]
    iid = item["interaction_id"]
    assert item["attachments"] == [
        {
            "name": "Rechnung März.pdf",
            "content_type": "application/pdf",
            "size": len(PDF),
            "url": f"/api/v1/interactions/{iid}/attachments/0",
        },
        {
            "name": "daten.csv",
            "content_type": "text/csv",
            "size": len(b"a,b\n1,2\n"),
            "url": f"/api/v1/interactions/{iid}/attachments/1",
        },
    ]

    auth = {"Authorization": f"Bearer {agent_token}"}
    pdf = client.get(base_url + item["attachments"][0]["url"], headers=auth)
    assert pdf.status_code == 200
    assert pdf.content == PDF
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"].startswith("attachment")
    csv = client.get(base_url + item["attachments"][1]["url"], headers=auth)
    assert csv.content == b"a,b\n1,2\n" and csv.headers["content-type"].startswith("text/csv")

    assert client.get(base_url + item["attachments"][0]["url"]).status_code == 401
    for bad in ("2", "-1"):
        missing = client.get(
            base_url + f"/api/v1/interactions/{iid}/attachments/{bad}", headers=auth
        )
        assert missing.status_code == 404, missing.text
    assert api.get(f"/interactions/{iid}/attachments/x").status_code == 422


def test_a_mailgun_email_serves_its_posted_attachment(
    hub: Hub, api: Any, client: httpx.Client, base_url: str
) -> None:
    fields = {
        **mailgun_fields(key=MAILGUN_KEY),
        "from": "Bernd <bernd@example.de>",
        "recipient": OUR_ADDRESS,
        "subject": "Foto",
        "body-plain": LONG_TEXT,
        "Message-Id": "<mg-detail@example.de>",
    }
    image = b"\x89PNG\r\n\x1a\n" + hashlib.sha256(b"x").digest()
    response = post_mailgun(
        client, base_url, fields, files=[("attachment-1", ("foto.png", image, "image/png"))]
    )
    assert response.status_code == 200, response.text

    item = only_interaction(api, "bernd@example.de")
    assert item["body"] == LONG_TEXT
    [attachment] = item["attachments"]
    assert attachment["name"] == "foto.png" and attachment["size"] == len(image)
    served = api.get(attachment["url"].removeprefix("/api/v1"))
    assert served.content == image and served.headers["content-type"] == "image/png"


def test_a_long_sms_is_read_whole(hub: Hub, api: Any, client: httpx.Client, base_url: str) -> None:
    text = ("Mein Router blinkt rot und das Internet geht nicht. " * 12).strip()
    post_signed(
        client, base_url, "/webhooks/twilio/sms", inbound_sms_form(4242, "+4917611112222", text)
    )
    item = only_interaction(api, "+4917611112222")
    assert item["body"] == text
    assert item["html"] is None and item["attachments"] == []
