"""Done-when test for inbound email: every message of CPython's email test corpus,
sent over SMTP, is either recorded (250) or refused with a clear 5xx, and every
one answered 250 can be read back whole through the agent API. Seven of them
share two Message-IDs: none may be lost. On SQLite and PostgreSQL."""

from __future__ import annotations

import smtplib
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any
from uuid import UUID

from tests.support.email_corpus import as_smtp_data, corpus_files
from tests.support.email_fixtures import OUR_ADDRESS, relay, settings, smtp_port
from tests.support.hub import wait_until

__all__ = ["relay", "settings", "smtp_port"]  # fixtures used by this module

CORPUS_SIZE = 48


def deliver(port: int, raw: bytes) -> tuple[int, str]:
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        client.ehlo()
        client.mail("kunde@example.de")
        client.rcpt(OUR_ADDRESS)
        try:
            code, text = client.data(raw)
        except smtplib.SMTPDataError as exc:
            code, text = exc.smtp_code, exc.smtp_error
        return code, text.decode(errors="replace")


def plain_text(raw: bytes) -> str | None:
    """The text/plain body as the standard library reads it, or None."""
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    try:
        part = message.get_body(preferencelist=("plain",))
        content = part.get_content() if part is not None else None
    except (LookupError, UnicodeError, ValueError, KeyError):
        return None
    return content if isinstance(content, str) else None


def attachment_sizes(raw: bytes) -> list[int]:
    """The decoded size of each attachment, as the standard library finds them."""
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    sizes = []
    for part in message.iter_attachments():
        payload = part.get_payload(decode=True)
        sizes.append(len(payload if isinstance(payload, bytes) else part.as_bytes()))
    return sizes


def lines(text: str) -> str:
    return text.replace("\r\n", "\n").strip()


def test_every_corpus_message_is_recorded_whole_or_refused_with_a_reason(
    hub: Any, api: Any, smtp_port: int
) -> None:
    files = corpus_files()
    assert len(files) == CORPUS_SIZE
    accepted: dict[str, tuple[UUID, bytes]] = {}
    for path in files:
        raw = as_smtp_data(path)
        code, text = deliver(smtp_port, raw)
        assert code == 250 or 500 <= code < 600, (path.name, code, text)
        if code == 250:
            accepted[path.name] = (UUID(text.split()[-1]), raw)
        else:
            assert text.strip(), path.name  # a reason, not a bare code

    ids = [interaction for interaction, _ in accepted.values()]
    assert len(set(ids)) == len(ids), "two accepted messages share one interaction"
    # Odd as some are (no From, mbox lines, broken MIME), every one is recordable.
    assert sorted(accepted) == [f.name for f in files]
    for name, (interaction_id, raw) in accepted.items():
        response = wait_until(
            lambda i=interaction_id: (r := api.get(f"/interactions/{i}")).status_code == 200 and r,
            timeout=15,
        )
        item = response.json()
        assert item["channel"] == "email", name
        expected = plain_text(raw)
        if expected is not None:
            assert lines(item["body"]) == lines(expected), name
        else:
            assert item["body"] is not None, name
        assert [a["size"] for a in item["attachments"]] == attachment_sizes(raw), name
