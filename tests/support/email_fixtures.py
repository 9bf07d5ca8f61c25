"""Fixtures for the email tests: a hub with its SMTP receiver, a real relay,
and helpers that speak SMTP (smtplib) and Mailgun's webhook format.

Test modules import the fixtures they use; `settings` here replaces the
shared one, adding the email configuration to it (`settings_fixture(...)` makes
one with a few settings changed).
"""

from __future__ import annotations

import smtplib
import time
from collections.abc import Iterator, Mapping
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest

from adapters.email.verify import mailgun_signature
from services.infra.settings import Settings
from tests.support.hub import ACCOUNT_SID, AUTH_TOKEN, OUR_NUMBER
from tests.support.ports import free_port
from tests.support.smtp_relay import SmtpRelay
from tests.support.twilio_standin import TwilioStandIn

MAILGUN_KEY = "key-test-0123456789abcdef0123456789abcdef"
OUR_ADDRESS = "service@hub.example.de"
MAX_MESSAGE_BYTES = 200_000
MAX_RECIPIENTS = 3


@pytest.fixture
def relay() -> Iterator[SmtpRelay]:
    with SmtpRelay() as running:
        yield running


@pytest.fixture
def smtp_port() -> int:
    return free_port()


def settings_fixture(**overrides: Any) -> Any:
    """A `settings` fixture of the email hub: SMTP in on `smtp_port`, out through
    `relay`, Mailgun's webhook signed with MAILGUN_KEY, SMS through the Twilio
    stand-in, with `overrides` on top. A module that needs a little more (no
    quiet hours, a faster tick) writes `settings = settings_fixture(quiet_hours="")`
    instead of the whole configuration again."""

    @pytest.fixture
    def settings(
        tmp_path: Path,
        database_url: str | None,
        twilio: TwilioStandIn,
        port: int,
        relay: SmtpRelay,
        smtp_port: int,
    ) -> Settings:
        fields: dict[str, Any] = {
            "data_dir": tmp_path / "data",
            "database_url": database_url,
            "public_url": f"http://127.0.0.1:{port}",
            "twilio_account_sid": ACCOUNT_SID,
            "twilio_auth_token": AUTH_TOKEN,
            "twilio_api_base": twilio.base_url,
            "twilio_from_number": OUR_NUMBER,
            "mailgun_signing_key": MAILGUN_KEY,
            "smtp_relay_url": relay.url,
            "smtp_listen": f"127.0.0.1:{smtp_port}",
            "smtp_max_message_bytes": MAX_MESSAGE_BYTES,
            "smtp_max_recipients": MAX_RECIPIENTS,
            "email_from": OUR_ADDRESS,
            "email_from_name": "Kundenservice",
        }
        return Settings(**(fields | overrides), _env_file=None)  # type: ignore[call-arg]

    return settings


settings = settings_fixture()


def mail(
    sender: str,
    subject: str,
    text: str,
    *,
    message_id: str | None = None,
    in_reply_to: str | None = None,
    references: str | None = None,
    to: str = OUR_ADDRESS,
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    if message_id:
        message["Message-ID"] = f"<{message_id}>"
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    if references:
        message["References"] = references
    message.set_content(text)
    return message


def smtp_send(smtp_port: int, message: EmailMessage | bytes, *, to: list[str] | None = None) -> Any:
    """Delivers with Python's smtplib; returns the refusals (empty when all accepted)."""
    with smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as client:
        if isinstance(message, bytes):
            return client.sendmail("kunde@example.de", to or [OUR_ADDRESS], message)
        return client.send_message(message, to_addrs=to)


def mailgun_fields(
    *, key: str = MAILGUN_KEY, token: str | None = None, timestamp: int | None = None
) -> dict[str, str]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    tok = token or f"tok{time.monotonic_ns():x}"
    return {"timestamp": stamp, "token": tok, "signature": mailgun_signature(key, stamp, tok)}


def post_mailgun(
    client: httpx.Client,
    base_url: str,
    fields: Mapping[str, str],
    files: list[tuple[str, tuple[str, bytes, str]]] | None = None,
) -> httpx.Response:
    """Mailgun posts multipart/form-data (httpx does when files are given); the
    endpoint takes the urlencoded form as well."""
    return client.post(base_url + "/webhooks/email/mailgun", data=dict(fields), files=files)
