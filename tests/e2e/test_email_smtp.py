"""Inbound email through the hub's own SMTP receiver, with Python's smtplib as
the client, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import smtplib
from email.message import EmailMessage
from typing import Any
from uuid import UUID

import httpx
import pytest
from psycopg import connect

from adapters.email.identity import content_digest
from events import EmailReceived
from services.infra.blobs import FileBlobStore, SqlBlobStore
from services.wiring.hub import Hub
from tests.support.email_fixtures import (
    MAX_MESSAGE_BYTES,
    OUR_ADDRESS,
    mail,
    relay,
    settings,
    smtp_port,
    smtp_send,
)
from tests.support.hub import wait_until

__all__ = ["relay", "settings", "smtp_port"]  # fixtures used by this module


def customer_of(api: Any, address: str) -> dict[str, Any]:
    found = wait_until(lambda: api.get("/customers", params={"q": address}).json()["items"])
    assert len(found) == 1, found
    return dict(found[0])


def timeline(api: Any, customer_id: str, count: int) -> list[dict[str, Any]]:
    def enough() -> list[dict[str, Any]] | None:
        items = api.get(f"/customers/{customer_id}/timeline").json()["items"]
        return items if len(items) >= count else None

    return list(wait_until(enough))


def received(hub: Hub, interaction_id: str) -> EmailReceived:
    [event] = hub.store.stream(UUID(interaction_id))
    assert isinstance(event, EmailReceived)
    return event


def test_a_mail_appears_in_the_timeline_and_the_same_mail_again_records_nothing(
    hub: Hub, api: Any, smtp_port: int
) -> None:
    message = mail(
        "Jürgen Müller <Juergen.Mueller@Example.DE>",
        "Rückfrage zu Bestellung 4711",
        "Guten Tag,\nwo bleibt meine Lieferung?\nGrüße",
        message_id="m1.4711@mail.example.de",
    )
    assert smtp_send(smtp_port, message) == {}

    customer = customer_of(api, "juergen.mueller@example.de")
    assert customer["display_name"] == "Jürgen Müller"
    [entry] = timeline(api, customer["customer_id"], 1)
    assert entry["channel"] == "email" and entry["direction"] == "inbound"
    assert (
        entry["summary"]
        == "Rückfrage zu Bestellung 4711 — Guten Tag, wo bleibt meine Lieferung? Grüße"
    )
    assert entry["address"] == "Juergen.Mueller@example.de"
    assert entry["provider_id"] == "m1.4711@mail.example.de"
    view = api.get(f"/customers/{customer['customer_id']}").json()
    assert view["addresses"][0]["channel"] == "email"

    before = hub.store.max_notification_id()
    assert smtp_send(smtp_port, message) == {}
    assert hub.store.max_notification_id() == before
    assert len(timeline(api, customer["customer_id"], 1)) == 1

    # The raw message is kept once, under its hash, and the event names it.
    event = received(hub, entry["interaction_id"])
    assert event.raw_sha256 is not None
    raw = hub.blobs.get(event.raw_sha256)
    assert raw is not None and hashlib.sha256(raw).hexdigest() == event.raw_sha256
    assert b"Message-ID: <m1.4711@mail.example.de>" in raw


def test_a_mail_without_message_id_gets_a_stable_id_from_its_content(
    hub: Hub, api: Any, smtp_port: int
) -> None:
    raw = (
        b"From: kunde@example.de\r\nTo: service@hub.example.de\r\n"
        b"Subject: ohne Kennung\r\n\r\nHallo\r\n"
    )
    smtp_send(smtp_port, raw)
    customer = customer_of(api, "kunde@example.de")
    [entry] = timeline(api, customer["customer_id"], 1)
    # The digest of what the sender wrote (here: all of it; relays' trace headers
    # would not count), so another relay's redelivery keeps the id.
    assert entry["provider_id"] == "sha256:" + content_digest(raw)
    before = hub.store.max_notification_id()
    smtp_send(smtp_port, raw)
    assert hub.store.max_notification_id() == before


def test_umlauts_in_headers_and_bodies_arrive_intact(hub: Hub, api: Any, smtp_port: int) -> None:
    latin1_qp = (
        "From: =?ISO-8859-1?Q?B=E4rbel_Sch=F6n?= <baerbel@example.de>\r\n"
        "To: service@hub.example.de\r\n"
        "Subject: =?iso-8859-1?q?Beschwerde_=FCber_die_Lieferung?=\r\n"
        "Message-ID: <latin1@example.de>\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=ISO-8859-1\r\n"
        "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
        "Die K=FChlbox war besch=E4digt, Gr=FC=DFe aus M=FCnchen.\r\n"
    ).encode("ascii")
    utf8 = EmailMessage()
    utf8["From"] = "Ömer Güneş <oemer@example.de>"
    utf8["To"] = OUR_ADDRESS
    utf8["Subject"] = "Größenänderung, bitte prüfen"
    utf8["Message-ID"] = "<utf8@example.de>"
    utf8.set_content("Straße, Übergröße, ÄÖÜ äöü ß €", charset="utf-8", cte="base64")
    utf8.add_alternative(
        '<p onclick="steal()">Hallo <b>Größe</b><script>alert(1)</script></p>', subtype="html"
    )
    utf8.add_attachment(
        b"%PDF-1.4 Rechnung", maintype="application", subtype="pdf", filename="Rechnung März.pdf"
    )
    smtp_send(smtp_port, latin1_qp, to=[OUR_ADDRESS])
    smtp_send(smtp_port, utf8)

    baerbel = customer_of(api, "baerbel@example.de")
    [entry] = timeline(api, baerbel["customer_id"], 1)
    event = received(hub, entry["interaction_id"])
    assert event.from_name == "Bärbel Schön"
    assert event.subject == "Beschwerde über die Lieferung"
    assert event.text.strip() == "Die Kühlbox war beschädigt, Grüße aus München."

    oemer = customer_of(api, "oemer@example.de")
    [entry] = timeline(api, oemer["customer_id"], 1)
    event = received(hub, entry["interaction_id"])
    assert event.from_name == "Ömer Güneş"
    assert event.subject == "Größenänderung, bitte prüfen"
    assert event.text.strip() == "Straße, Übergröße, ÄÖÜ äöü ß €"
    assert "Größe" in event.html
    assert "script" not in event.html and "onclick" not in event.html
    [attachment] = event.attachments
    assert attachment.name == "Rechnung März.pdf"
    assert attachment.content_type == "application/pdf"
    assert attachment.size == len(b"%PDF-1.4 Rechnung")
    assert attachment.sha256 == hashlib.sha256(b"%PDF-1.4 Rechnung").hexdigest()


def test_replies_join_their_conversation_and_an_unrelated_mail_starts_a_new_one(
    hub: Hub, api: Any, smtp_port: int
) -> None:
    sender = "Anna Beispiel <anna@example.de>"
    smtp_send(
        smtp_port, mail(sender, "Defekter Toaster", "Er toastet nicht.", message_id="a1@x.de")
    )
    smtp_send(
        smtp_port,
        mail(
            sender,
            "Re: Defekter Toaster",
            "Noch eine Frage.",
            message_id="a2@x.de",
            in_reply_to="<a1@x.de>",
            references="<a1@x.de>",
        ),
    )
    # Headers stripped by the customer's client; the subject is kept.
    smtp_send(smtp_port, mail(sender, "AW: WG: defekter toaster", "Und?", message_id="a3@x.de"))
    smtp_send(smtp_port, mail(sender, "Neue Adresse", "Ich bin umgezogen.", message_id="b1@x.de"))

    customer = customer_of(api, "anna@example.de")
    items = timeline(api, customer["customer_id"], 4)
    by_id = {i["provider_id"]: i["conversation_id"] for i in items}
    assert by_id["a1@x.de"] == by_id["a2@x.de"] == by_id["a3@x.de"]
    assert by_id["b1@x.de"] != by_id["a1@x.de"]
    assert None not in by_id.values()


def test_oversized_messages_and_too_many_recipients_get_smtp_errors_and_store_nothing(
    hub: Hub, smtp_port: int
) -> None:
    before = hub.store.max_notification_id()
    big = mail(
        "gross@example.de",
        "Anhang",
        ("x" * 70 + "\n") * (MAX_MESSAGE_BYTES // 70 + 10),
        message_id="big@x",
    )
    with pytest.raises((smtplib.SMTPSenderRefused, smtplib.SMTPDataError)) as refused:
        smtp_send(smtp_port, big)
    assert refused.value.smtp_code == 552

    # Without the SIZE parameter the limit is enforced on the data itself.
    with smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as client:
        client.ehlo()
        client.mail("gross@example.de")
        client.rcpt(OUR_ADDRESS)
        code, _ = client.data(big.as_bytes(policy=big.policy.clone(linesep="\r\n")))
        assert code == 552

    with smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as client:
        client.ehlo()
        client.mail("viele@example.de")
        codes = [client.rcpt(f"r{n}@hub.example.de")[0] for n in range(4)]
        assert codes == [250, 250, 250, 452]

    assert hub.store.max_notification_id() == before
    blobs = hub.blobs
    if isinstance(blobs, FileBlobStore):
        assert not blobs.folder.exists() or not any(blobs.folder.iterdir())
    else:
        assert isinstance(blobs, SqlBlobStore) and blobs.count() == 0


def test_451_when_the_message_cannot_be_stored_and_the_retry_is_recorded(
    hub: Hub, api: Any, smtp_port: int, settings: Any
) -> None:
    blobs = hub.blobs
    if isinstance(blobs, FileBlobStore):
        blobs.folder.parent.mkdir(parents=True, exist_ok=True)
        blobs.folder.write_text("not a folder")  # the disk "fails"

        def repair() -> None:
            blobs.folder.unlink()
    else:
        assert settings.database_url
        with connect(settings.database_url, autocommit=True) as conn:
            conn.execute("ALTER TABLE contacthub_blobs RENAME TO contacthub_blobs_away")

        def repair() -> None:
            with connect(settings.database_url, autocommit=True) as conn:
                conn.execute("ALTER TABLE contacthub_blobs_away RENAME TO contacthub_blobs")

    message = mail("retry@example.de", "Später", "Bitte erneut", message_id="retry@x")
    before = hub.store.max_notification_id()
    with pytest.raises(smtplib.SMTPDataError) as refused:
        smtp_send(smtp_port, message)
    assert refused.value.smtp_code == 451
    assert hub.store.max_notification_id() == before

    repair()
    assert smtp_send(smtp_port, message) == {}
    customer_of(api, "retry@example.de")


def test_search_finds_the_customer_by_any_part_of_the_email_address(
    hub: Hub, api: Any, client: httpx.Client, smtp_port: int
) -> None:
    smtp_send(smtp_port, mail("Petra Pan <petra.pan@neverland.example.de>", "Hallo", "Hi"))
    assert customer_of(api, "Petra.Pan@Neverland.example.de")["display_name"] == "Petra Pan"
    assert customer_of(api, "neverland")["display_name"] == "Petra Pan"
