"""Mailgun's inbound-parse webhook over real HTTP, signed with Mailgun's
HMAC-SHA256 over timestamp and token, on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from typing import Any
from uuid import UUID

import httpx

from events import EmailReceived
from services.wiring.hub import Hub
from tests.support.email_fixtures import (
    mail,
    mailgun_fields,
    post_mailgun,
    relay,
    settings,
    smtp_port,
)
from tests.support.hub import wait_until

__all__ = ["relay", "settings", "smtp_port"]  # fixtures used by this module


def parsed_form(sender: str, subject: str, text: str, message_id: str) -> dict[str, str]:
    """The fields Mailgun's route forwarding posts for a parsed message."""
    return {
        "recipient": "service@hub.example.de",
        "sender": sender.split("<")[-1].rstrip(">"),
        "from": sender,
        "subject": subject,
        "body-plain": text,
        "stripped-text": text,
        "body-html": f"<div>{text}<img src=x onerror=alert(1)></div>",
        "Message-Id": f"<{message_id}>",
        "message-headers": "[]",
        **mailgun_fields(),
    }


def recorded(hub: Hub, body: dict[str, Any]) -> EmailReceived:
    [event] = hub.store.stream(UUID(body["interaction_id"]))
    assert isinstance(event, EmailReceived)
    return event


def test_the_parsed_form_with_attachments_is_recorded(
    hub: Hub, client: httpx.Client, base_url: str, api: Any
) -> None:
    form = parsed_form(
        "Klaus Köhler <klaus@example.de>", "Gutschrift für März", "Bitte prüfen", "mg1@example.de"
    )
    form["attachment-count"] = "1"
    files = [("attachment-1", ("Beleg Nr. 5.pdf", b"%PDF beleg", "application/pdf"))]
    response = post_mailgun(client, base_url, form, files)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "recorded"

    event = recorded(hub, response.json())
    assert event.provider == "mailgun"
    assert event.from_name == "Klaus Köhler"
    assert event.subject == "Gutschrift für März"
    assert event.text == "Bitte prüfen"
    assert "onerror" not in event.html and "Bitte prüfen" in event.html
    [attachment] = event.attachments
    assert (attachment.name, attachment.size) == ("Beleg Nr. 5.pdf", len(b"%PDF beleg"))
    assert hub.blobs.get(attachment.sha256) == b"%PDF beleg"

    found = wait_until(
        lambda: api.get("/customers", params={"q": "klaus@example.de"}).json()["items"]
    )
    assert found[0]["display_name"] == "Klaus Köhler"


def test_the_raw_mime_variant_is_recorded_and_threaded(
    hub: Hub, client: httpx.Client, base_url: str
) -> None:
    first = mail("eva@example.de", "Kündigung", "Ich kündige.", message_id="k1@example.de")
    reply = mail(
        "eva@example.de",
        "AW: Kündigung",
        "Zum 31.12.",
        message_id="k2@example.de",
        in_reply_to="<k1@example.de>",
    )
    answers = []
    for message in (first, reply):
        fields = {
            "recipient": "service@hub.example.de",
            "sender": "eva@example.de",
            "body-mime": message.as_string(),
            **mailgun_fields(),
        }
        answers.append(post_mailgun(client, base_url, fields))
    assert [a.status_code for a in answers] == [200, 200]
    one, two = (recorded(hub, a.json()) for a in answers)
    assert one.message_id == "k1@example.de" and one.subject == "Kündigung"
    assert one.raw_sha256 is not None and hub.blobs.get(one.raw_sha256) is not None
    assert two.conversation_id == one.conversation_id is not None


def test_bad_signature_stale_timestamp_and_reused_token_get_403_and_record_nothing(
    hub: Hub, client: httpx.Client, base_url: str
) -> None:
    good = parsed_form("x@example.de", "Hallo", "Hallo", "sig@example.de")
    before = hub.store.max_notification_id()

    wrong_key = {**good, **mailgun_fields(key="not-the-key")}
    stale = {**good, **mailgun_fields(timestamp=int(time.time()) - 3600)}
    unsigned = {k: v for k, v in good.items() if k != "signature"}
    for fields in (wrong_key, stale, unsigned):
        response = post_mailgun(client, base_url, fields)
        assert response.status_code == 403, response.text
    assert hub.store.max_notification_id() == before

    assert post_mailgun(client, base_url, good).status_code == 200
    after_first = hub.store.max_notification_id()
    # A captured request replayed with another message inside the freshness window.
    replay = {**good, "Message-Id": "<other@example.de>", "body-plain": "Überweisen Sie..."}
    response = post_mailgun(client, base_url, replay)
    assert response.status_code == 403
    assert "token" in response.json()["detail"]
    assert hub.store.max_notification_id() == after_first


def test_a_malformed_message_gets_422_and_records_nothing(
    hub: Hub, client: httpx.Client, base_url: str
) -> None:
    before = hub.store.max_notification_id()
    no_sender = {"subject": "x", "body-plain": "y", **mailgun_fields()}
    bad_sender = {**parsed_form("kein-at-zeichen", "x", "y", "b@x"), "sender": "auch-keins"}
    empty_mime = {"body-mime": "", **mailgun_fields()}
    for fields in (no_sender, bad_sender, empty_mime):
        response = post_mailgun(client, base_url, fields)
        assert response.status_code == 422, response.text
        assert response.json()["detail"]
    assert hub.store.max_notification_id() == before


def test_a_redelivery_with_a_fresh_token_records_nothing_new(
    hub: Hub, client: httpx.Client, base_url: str
) -> None:
    form = parsed_form("r@example.de", "Zweimal", "Hallo", "twice@example.de")
    assert post_mailgun(client, base_url, form).status_code == 200
    before = hub.store.max_notification_id()
    again = {**form, **mailgun_fields()}
    response = post_mailgun(client, base_url, again)
    assert response.status_code == 200
    assert hub.store.max_notification_id() == before
