"""The content digest that, with Message-ID and sender, identifies an inbound email."""

from __future__ import annotations

from adapters.email.identity import content_digest

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
