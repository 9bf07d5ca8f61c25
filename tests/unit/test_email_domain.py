"""Pure email functions: addresses, subjects, message ids, threading decisions,
delivery statuses, Mailgun signatures and DSN reading."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from adapters.email import mime
from adapters.email.dsn import delivery_report
from adapters.email.translate import MalformedEmail, inbound_email_event, reply_headers
from adapters.email.verify import MailgunRejected, check_mailgun, mailgun_signature
from domain import emails
from domain.addresses import InvalidAddress, normalise_email
from domain.email_threads import (
    KnownMessage,
    SubjectUse,
    decide_conversation,
    message_ids,
    normalise_message_id,
    normalise_subject,
)
from events import EmailDeliveryChanged, EmailSent, EmailStatus

NOW = datetime(2025, 5, 1, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Max.Muster@Example.DE", "Max.Muster@example.de"),
        ("  kunde@BEISPIEL.de ", "kunde@beispiel.de"),
        ("jürgen@MÜLLER.de", "jürgen@müller.de"),
    ],
)
def test_email_addresses_have_a_case_insensitive_domain(raw: str, expected: str) -> None:
    assert normalise_email(raw) == expected


@pytest.mark.parametrize("raw", ["", "kein-at", "a@@b.de", "a b@c.de"])
def test_invalid_email_addresses_are_refused(raw: str) -> None:
    with pytest.raises(InvalidAddress):
        normalise_email(raw)


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("AW: Re: WG: Bestellung 123", "bestellung 123"),
        ("Re[2]: Fwd:  Lieferung   offen", "lieferung offen"),
        ("SV: Antw: Rückfrage", "rückfrage"),
        ("RE : Hallo", "hallo"),
        ("Regal defekt", "regal defekt"),  # "Re" inside a word is no prefix
        ("", ""),
    ],
)
def test_subjects_lose_reply_and_forward_prefixes(subject: str, expected: str) -> None:
    assert normalise_subject(subject) == expected


def test_message_ids_are_read_from_headers() -> None:
    assert normalise_message_id(" <abc@x.de>\r\n ") == "abc@x.de"
    assert normalise_message_id("") is None
    assert message_ids("<a@x> <b@x>\r\n <a@x>") == ("a@x", "b@x")
    assert message_ids("a@x b@x") == ("a@x", "b@x")
    assert message_ids(None) == ()


def test_threading_prefers_headers_then_subject_within_the_window() -> None:
    me, other = uuid4(), uuid4()
    by_header, by_subject = uuid4(), uuid4()
    uses = [SubjectUse(by_subject, NOW - timedelta(days=3))]
    common = {"customer_id": me, "message_key": "m@x", "occurred_at": NOW}
    window = timedelta(days=30)

    known = [None, KnownMessage(me, by_header)]
    decided = decide_conversation(
        **common, referenced=known, subject_key="k", subject_uses=uses, window=window
    )
    assert (decided.conversation_id, decided.via) == (by_header, "headers")

    # A reference to another customer's message does not pull this one in.
    foreign = [KnownMessage(other, by_header)]
    decided = decide_conversation(
        **common, referenced=foreign, subject_key="k", subject_uses=uses, window=window
    )
    assert (decided.conversation_id, decided.via) == (by_subject, "subject")

    short = timedelta(days=1)
    decided = decide_conversation(
        **common, referenced=[], subject_key="k", subject_uses=uses, window=short
    )
    assert decided.started and decided.via == "new"
    decided = decide_conversation(
        **common, referenced=[], subject_key="", subject_uses=uses, window=window
    )
    assert decided.started


def test_reply_headers_carry_the_chain() -> None:
    assert reply_headers("p@x", ("r@x", "q@x")) == (("p@x",), ("r@x", "q@x", "p@x"))
    # A parent without Message-ID (identified by its hash) cannot be named.
    assert reply_headers("sha256:ab", ("r@x",)) == ((), ("r@x",))


def test_delivery_statuses_move_forward_only() -> None:
    interaction = uuid4()
    sent = EmailSent(
        event_id=interaction,
        originator_id=interaction,
        customer_id=uuid4(),
        occurred_at=NOW,
        message_id="o@hub",
        from_address="service@hub.de",
        to_address="k@x.de",
        subject="s",
        conversation_id=uuid4(),
    )

    def change(status: EmailStatus, version: int) -> EmailDeliveryChanged:
        return EmailDeliveryChanged(
            event_id=UUID(int=version),
            originator_id=interaction,
            originator_version=version,
            occurred_at=NOW,
            status=status,
            source="dsn",
        )

    history: list[object] = [sent]
    for status in (EmailStatus.ACCEPTED, EmailStatus.BOUNCED):
        state = emails.fold(history)  # type: ignore[arg-type]
        history += emails.decide_delivery_change(state, change(status, len(history) + 1))
    state = emails.fold(history)  # type: ignore[arg-type]
    assert state is not None and state.status == EmailStatus.BOUNCED
    assert emails.decide_delivery_change(state, change(EmailStatus.DEFERRED, 99)) == []
    with pytest.raises(emails.UnknownEmail):
        emails.decide_delivery_change(None, change(EmailStatus.BOUNCED, 2))


def test_mailgun_signatures_are_checked_with_freshness() -> None:
    key, stamp, token = "key-1", "1700000000", "tok"
    good = mailgun_signature(key, stamp, token)
    check_mailgun(key, timestamp=stamp, token=token, signature=good, now=1700000100)
    for signature, now in ((good.upper()[:-1] + "0", 1700000100), (good, 1700000400)):
        with pytest.raises(MailgunRejected):
            check_mailgun(key, timestamp=stamp, token=token, signature=signature, now=now)
    with pytest.raises(MailgunRejected):
        check_mailgun(key, timestamp=None, token=token, signature=good, now=1700000000)


def test_a_dsn_names_the_original_message_and_the_worst_outcome() -> None:
    raw = (
        b"From: MAILER-DAEMON@relay.example.de\r\nTo: s@hub.de\r\nSubject: failure\r\n"
        b"MIME-Version: 1.0\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n'
        b"\r\n--b\r\nContent-Type: text/plain\r\n\r\nsorry\r\n"
        b"\r\n--b\r\nContent-Type: message/delivery-status\r\n\r\n"
        b"Reporting-MTA: dns; relay\r\n\r\n"
        b"Final-Recipient: rfc822; a@x.de\r\nAction: delivered\r\nStatus: 2.0.0\r\n\r\n"
        b"Final-Recipient: rfc822; b@x.de\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        b"Diagnostic-Code: smtp; 550 5.1.1 no such user\r\n"
        b"\r\n--b\r\nContent-Type: message/rfc822\r\n\r\n"
        b"From: s@hub.de\r\nMessage-ID: <orig@hub.de>\r\nSubject: x\r\n\r\nbody\r\n"
        b"\r\n--b--\r\n"
    )
    report = delivery_report(mime.parse(raw))
    assert report is not None
    assert report.original_message_id == "orig@hub.de"
    assert report.status == EmailStatus.BOUNCED
    assert report.smtp_code == 550 and "no such user" in (report.diagnostic or "")
    assert delivery_report(mime.parse(b"From: a@b.de\r\n\r\nplain")) is None


def test_a_message_without_any_usable_sender_is_malformed() -> None:
    raw = b"From: nobody\r\nSubject: x\r\n\r\nbody"
    with pytest.raises(MalformedEmail):
        inbound_email_event(raw, provider="smtp", received_at=NOW, address_secret=b"k")
    # The envelope sender stands in for a broken From header.
    event = inbound_email_event(
        raw, provider="smtp", received_at=NOW, address_secret=b"k", envelope_from="real@x.de"
    )
    assert event.from_address == "real@x.de"
