"""Erasure by crypto-shredding (POST /api/v1/customers/{id}/erase), end to end on
SQLite and PostgreSQL: after it, the canary values of the erased customer (a
name, an email address, a phone number, a sentence of an email, a word of an
attachment) are gone from the API, from every byte of the data folder (SQLite
files with their WAL, blobs, outbox) and from `pg_dump`; the history stays."""

from __future__ import annotations

import subprocess
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx

from events import AddressReleased, CustomerErased
from services.infra.auth import Role
from services.wiring.hub import Hub
from tests.support.email_fixtures import OUR_ADDRESS, relay, settings_fixture, smtp_port, smtp_send
from tests.support.hub import inbound_sms_form, post_signed, wait_until

__all__ = ["relay", "smtp_port"]  # fixtures used by this module


# The email hub's settings, without quiet hours: the test sends at any hour.
settings = settings_fixture(quiet_hours="")


NAME = "Carla Kanarienfeld"
EMAIL = "carla.kanarie@example.de"
PHONE = "+4917655501234"
SENTENCE = "Der Kanarienvogel singt um Mitternacht im Treppenhaus"
WORD = "Zauberkesselwort"
STREET = "Kanarienweg 7"
CANARIES = (NAME, EMAIL, PHONE, SENTENCE, WORD, STREET)
# Another customer's message: it must survive the erasure (and shows that the
# byte search finds what is there).
KEPT = "Kontrollsatz des anderen Kunden bleibt erhalten"


def canary_mail(message_id: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = f"{NAME} <{EMAIL}>"
    message["To"] = OUR_ADDRESS
    message["Subject"] = "Meine Bestellung"
    message["Message-ID"] = f"<{message_id}>"
    message.set_content(f"Guten Tag,\n{SENTENCE}.\nGruss")
    # Quoted-printable text, so the word is in the raw message's bytes as is.
    message.add_attachment(
        f"Notiz: {WORD}\n", subtype="plain", filename="notiz.txt", cte="quoted-printable"
    )
    return message


def found_in_data_folder(folder: Path, needle: str) -> list[str]:
    """The files (SQLite databases, their WAL, blobs, outbox...) holding the bytes."""
    raw = needle.encode()
    return [
        str(path.relative_to(folder))
        for path in sorted(folder.rglob("*"))
        if path.is_file() and raw in path.read_bytes()
    ]


def pg_dump(database_url: str | None) -> bytes:
    if database_url is None:
        return b""
    done = subprocess.run(
        ["pg_dump", "--no-owner", database_url], capture_output=True, check=True, timeout=120
    )
    return done.stdout


def everywhere(hub: Hub, needle: str) -> list[str]:
    places = found_in_data_folder(hub.settings.data_dir, needle)
    dump = pg_dump(hub.settings.database_url)
    # bytea columns (the blobs, the keys) are dumped in hex.
    if needle.encode() in dump or needle.encode().hex().encode() in dump:
        places.append("pg_dump")
    return places


def test_erasure_leaves_no_byte_of_the_customer_and_keeps_the_history(
    hub: Hub,
    api: Any,
    client: httpx.Client,
    base_url: str,
    smtp_port: int,
) -> None:
    smtp_send(smtp_port, canary_mail("canary-1@example.de"))
    [customer] = wait_until(lambda: api.get("/customers", params={"q": EMAIL}).json()["items"])
    customer_id = customer["customer_id"]
    sent = api.post(
        f"/customers/{customer_id}/messages",
        json={"channel": "sms", "to": PHONE, "body": "Wir rufen Sie morgen an"},
    )
    assert sent.status_code == 202, sent.text
    address = {"name": NAME, "street": STREET, "postal_code": "10115", "city": "Berlin"}
    assert api.put(f"/customers/{customer_id}/postal-address", json=address).status_code == 200
    letter = api.post(
        f"/customers/{customer_id}/messages",
        json={"channel": "letter", "subject": "Ihre Bestellung", "body": "Anbei die Rechnung."},
    )
    assert letter.status_code == 202, letter.text
    outbox = hub.settings.data_dir / "outbox" / f"{letter.json()['interaction_id']}.json"
    assert outbox.exists()  # the embedded print provider's copy, with the address lines
    response = post_signed(
        client, base_url, "/webhooks/twilio/sms", inbound_sms_form(1, "+4917699988877", KEPT)
    )
    assert response.status_code == 200, response.text
    wait_until(lambda: api.get("/customers", params={"q": "+4917699988877"}).json()["items"])
    before = api.get(f"/customers/{customer_id}").json()
    assert before["display_name"] == NAME
    timeline = wait_until(
        lambda: (
            items
            if len(items := api.get(f"/customers/{customer_id}/timeline").json()["items"]) == 3
            else None
        )
    )
    # The search finds what is there: each canary is stored somewhere before.
    for canary in CANARIES:
        assert everywhere(hub, canary), canary
    events_before = hub.store.max_notification_id()

    with httpx.Client(
        base_url=base_url + "/api/v1",
        headers={"Authorization": f"Bearer {hub.tokens.create(Role.ADMIN, 'root')}"},
        timeout=30,
    ) as admin:
        refused = api.post(f"/customers/{customer_id}/erase", json={"reason": "ticket 4711"})
        assert refused.status_code == 403, refused.text
        for bad in ({}, {"reason": ""}, {"reason": "   "}):
            malformed = admin.post(f"/customers/{customer_id}/erase", json=bad)
            assert malformed.status_code == 422, (bad, malformed.text)
        assert api.get(f"/customers/{customer_id}").json()["display_name"] == NAME
        erased = admin.post(f"/customers/{customer_id}/erase", json={"reason": "ticket 4711"})
        assert erased.status_code == 200, erased.text
        report = erased.json()
        assert report["erased"] is True
        assert report["addresses_released"] == 2  # the email and the postal address
        assert report["blobs_deleted"] >= 1  # the raw message
        assert report["files_deleted"] == 2  # the letter's PDF and note in the outbox
        again = admin.post(f"/customers/{customer_id}/erase", json={"reason": "ticket 4711"})
        assert again.status_code == 200 and again.json()["erased"] is False

    # The history stays: one erasure event and two address releases were added,
    # every earlier event is still there.
    assert hub.store.max_notification_id() == events_before + 3
    tail = [e for _, e in hub.store.notifications(events_before, 10)]
    assert [type(e) for e in tail] == [AddressReleased, AddressReleased, CustomerErased]
    assert not outbox.exists()

    # The API: the customer exists with no personal data; the timeline keeps
    # that both interactions happened, with no content.
    after = api.get(f"/customers/{customer_id}").json()
    assert after["display_name"] == "" and after["addresses"] == []
    items = api.get(f"/customers/{customer_id}/timeline").json()["items"]
    assert [
        (i["interaction_id"], i["channel"], i["direction"], i["occurred_at"]) for i in items
    ] == [(i["interaction_id"], i["channel"], i["direction"], i["occurred_at"]) for i in timeline]
    assert [i["status"] for i in items] == [i["status"] for i in timeline]
    assert all(i["summary"] == "" and i["address"] == "" for i in items)
    for item in items:
        detail = api.get(f"/interactions/{item['interaction_id']}")
        assert detail.status_code == 200, detail.text
        text = detail.text
        assert not [c for c in CANARIES if c in text], text
    for canary in (NAME, EMAIL, PHONE, "Kanarienvogel", WORD):
        assert api.get("/customers", params={"q": canary}).json()["items"] == [], canary

    # No byte of it anywhere; the other customer's data is still there.
    for canary in CANARIES:
        assert everywhere(hub, canary) == [], canary
    assert everywhere(hub, KEPT)

    # Nothing more goes to the erased customer, on any channel.
    for body in (
        {"channel": "sms", "to": PHONE, "body": "Hallo"},
        {"channel": "email", "body": "Hallo"},
    ):
        blocked = api.post(f"/customers/{customer_id}/messages", json=body)
        assert blocked.status_code == 409, blocked.text
        assert "erased" in blocked.json()["detail"]

    # Until a new contact comes in: it makes a new customer, not the erased one.
    smtp_send(smtp_port, canary_mail("canary-2@example.de"))
    [newcomer] = wait_until(lambda: api.get("/customers", params={"q": EMAIL}).json()["items"])
    assert newcomer["customer_id"] != customer_id
    assert newcomer["display_name"] == NAME
    assert api.get(f"/customers/{customer_id}").json()["display_name"] == ""
