"""The content digest that, with Message-ID and sender, identifies an inbound
email, and the index that lets replies find emails by Message-ID."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from adapters.email.identity import content_digest
from adapters.email.translate import inbound_email_event
from domain.email_intake import plan_inbound_email
from events import EmailMessageIndexed, EmailReceived, email_message_index_id

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)

MESSAGE = (
    b"From: anna@example.de\r\nTo: service@hub.example.de\r\nSubject: Frage\r\n"
    b"Message-ID: <a@x>\r\n\r\nHallo\r\nGruss\r\n"
)


def test_trace_headers_added_in_transit_do_not_change_the_digest() -> None:
    relayed = (
        b"Return-Path: <b@relay>\r\nReceived: from a by b;\r\n\tMon, 30 Nov 2026\r\n"
        b"Delivered-To: service@hub.example.de\r\nDKIM-Signature: v=1; b=x\r\n"
        b"ARC-Seal: i=1\r\nAuthentication-Results: mx; spf=pass\r\nX-Spam: no\r\n"
    ) + MESSAGE
    assert content_digest(relayed) == content_digest(MESSAGE)
    assert content_digest(MESSAGE.replace(b"\r\n", b"\n")) == content_digest(MESSAGE)


def test_what_the_sender_wrote_changes_the_digest() -> None:
    assert content_digest(MESSAGE.replace(b"Hallo", b"Hallo!")) != content_digest(MESSAGE)
    assert content_digest(MESSAGE.replace(b"Frage", b"Antwort")) != content_digest(MESSAGE)
    assert content_digest(MESSAGE.replace(b"anna@", b"bernd@")) != content_digest(MESSAGE)


def inbound(raw: bytes) -> EmailReceived:
    return inbound_email_event(raw, provider="smtp", received_at=NOW, address_secret=b"k" * 32)


def test_the_message_id_is_indexed_so_replies_find_every_email_carrying_it() -> None:
    message = inbound(MESSAGE)
    other_sender = inbound(MESSAGE.replace(b"anna@", b"bernd@"))
    assert message.originator_id != other_sender.originator_id  # one Message-ID, two emails
    assert message.message_id == other_sender.message_id == "a@x"

    plan = plan_inbound_email(
        message,
        claimed_by=None,
        already_recorded=False,
        referenced=[],
        subject_stream=[],
        index_version=3,
        window=timedelta(days=30),
        now=NOW,
    )
    assert plan is not None
    [indexed] = [e for e in plan.events if isinstance(e, EmailMessageIndexed)]
    assert indexed.originator_id == email_message_index_id("a@x")
    assert indexed.originator_version == 4  # after the three emails indexed before
    assert indexed.interaction_id == message.originator_id
    assert indexed.customer_id == plan.customer_id


def test_an_email_without_message_id_is_not_indexed() -> None:
    message = inbound(MESSAGE.replace(b"Message-ID: <a@x>\r\n", b""))
    assert message.content_sha256 is not None
    assert message.message_id == "sha256:" + message.content_sha256
    plan = plan_inbound_email(
        message,
        claimed_by=None,
        already_recorded=False,
        referenced=[],
        subject_stream=[],
        window=timedelta(days=30),
        now=NOW,
    )
    assert plan is not None
    assert not [e for e in plan.events if isinstance(e, EmailMessageIndexed)]
