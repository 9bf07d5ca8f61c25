"""What identifies one inbound email: its Message-ID together with its sender
and the content the sender wrote. Senders reuse Message-IDs (and anyone can
copy another's), so the Message-ID alone must never make a message a duplicate;
a redelivery of the same message through another relay must stay a no-op.
Over real SMTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import smtplib
from typing import Any
from uuid import UUID

from events import EmailReceived
from services.wiring.hub import Hub
from tests.support.email_fixtures import OUR_ADDRESS, relay, settings, smtp_port
from tests.support.hub import settle, wait_until

__all__ = ["relay", "settings", "smtp_port"]  # fixtures used by this module


def deliver(port: int, raw: bytes, *, envelope_from: str = "relay@example.net") -> tuple[int, str]:
    """One SMTP transaction; the DATA reply (code, text)."""
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.ehlo()
        client.mail(envelope_from)
        client.rcpt(OUR_ADDRESS)
        code, text = client.data(raw)
        return code, text.decode()


def queued_id(reply: tuple[int, str]) -> UUID:
    """The interaction id a 250 reply names (its last word)."""
    code, text = reply
    assert code == 250, reply
    return UUID(text.split()[-1])


def message(sender: str, body: str, *, message_id: str | None, trace: str = "") -> bytes:
    header = f"Message-ID: <{message_id}>\r\n" if message_id else ""
    return (
        f"{trace}From: {sender}\r\nTo: {OUR_ADDRESS}\r\nSubject: Bestellung\r\n{header}"
        f"Date: Mon, 30 Nov 2026 10:00:00 +0100\r\n\r\n{body}\r\n"
    ).encode()


def recorded(hub: Hub, interaction_id: UUID) -> EmailReceived:
    def found() -> EmailReceived | None:
        stream = hub.store.stream(interaction_id)
        return stream[0] if stream and isinstance(stream[0], EmailReceived) else None

    event: EmailReceived = wait_until(found)
    return event


def test_another_sender_reusing_a_message_id_is_recorded_and_told_only_its_own_id(
    hub: Hub, smtp_port: int
) -> None:
    first = queued_id(deliver(smtp_port, message("anna@example.de", "Erste", message_id="x@y")))
    reply = deliver(smtp_port, message("bernd@example.de", "Zweite", message_id="x@y"))
    second = queued_id(reply)

    assert second != first
    assert reply[1] == f"2.0.0 OK: queued as {second}"  # names nothing of the other's
    assert recorded(hub, first).from_address == "anna@example.de"
    assert recorded(hub, second).from_address == "bernd@example.de"
    assert recorded(hub, second).text.strip() == "Zweite"


def test_one_sender_reusing_a_message_id_for_another_message_loses_nothing(
    hub: Hub, smtp_port: int
) -> None:
    first = queued_id(deliver(smtp_port, message("anna@example.de", "Eins", message_id="r@y")))
    second = queued_id(deliver(smtp_port, message("anna@example.de", "Zwei", message_id="r@y")))
    assert second != first
    assert recorded(hub, first).text.strip() == "Eins"
    assert recorded(hub, second).text.strip() == "Zwei"


def test_the_same_message_through_another_relay_records_nothing_new(
    hub: Hub, smtp_port: int
) -> None:
    original = message("anna@example.de", "Hallo", message_id="same@y")
    first = queued_id(deliver(smtp_port, original))
    recorded(hub, first)
    before = settle(hub)
    relayed = message(
        "anna@example.de",
        "Hallo",
        message_id="same@y",
        trace=(
            "Return-Path: <bounce@relay2.example.net>\r\n"
            "Received: from relay2.example.net by mx.hub.example.de; Mon, 30 Nov 2026\r\n"
            "Delivered-To: service@hub.example.de\r\n"
            "DKIM-Signature: v=1; a=rsa-sha256; d=example.de; b=abc\r\n"
            "ARC-Seal: i=1; a=rsa-sha256; cv=none; b=def\r\n"
            "X-Spam-Score: 0.1\r\n"
        ),
    )
    again = queued_id(deliver(smtp_port, relayed, envelope_from="other-relay@example.org"))
    assert again == first
    assert settle(hub) == before


def test_mails_without_message_id_are_kept_apart_by_content_and_redelivery_is_a_no_op(
    hub: Hub, smtp_port: int
) -> None:
    first = queued_id(deliver(smtp_port, message("anna@example.de", "A", message_id=None)))
    second = queued_id(deliver(smtp_port, message("anna@example.de", "B", message_id=None)))
    assert first != second
    recorded(hub, first)
    recorded(hub, second)
    before = settle(hub)
    trace = "Received: from elsewhere by mx; Tue, 1 Dec 2026\r\n"
    again = queued_id(
        deliver(smtp_port, message("anna@example.de", "A", message_id=None, trace=trace))
    )
    assert again == first
    assert settle(hub) == before


def test_a_reply_threads_to_its_own_senders_message_when_another_sender_reused_the_id(
    hub: Hub, api: Any, smtp_port: int
) -> None:
    theirs = queued_id(deliver(smtp_port, message("bernd@example.de", "X", message_id="t@y")))
    ours = queued_id(deliver(smtp_port, message("anna@example.de", "Start", message_id="t@y")))
    reply = (
        f"From: anna@example.de\r\nTo: {OUR_ADDRESS}\r\nSubject: Ganz anders\r\n"
        "Message-ID: <t2@y>\r\nIn-Reply-To: <t@y>\r\nReferences: <t@y>\r\n\r\nNoch was\r\n"
    ).encode()
    answer = queued_id(deliver(smtp_port, reply))
    assert recorded(hub, answer).conversation_id == recorded(hub, ours).conversation_id
    assert recorded(hub, ours).conversation_id != recorded(hub, theirs).conversation_id
