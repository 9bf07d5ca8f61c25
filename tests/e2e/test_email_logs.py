"""The SMTP receiver logs no envelope or header address at INFO (personal data
in logs): ids only. Over real SMTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import logging
import smtplib

import pytest

from services.wiring.hub import Hub
from tests.support.email_fixtures import OUR_ADDRESS, mail, relay, settings, smtp_port
from tests.support.hub import settle

__all__ = ["relay", "settings", "smtp_port"]  # fixtures used by this module


def test_no_address_reaches_the_log_at_info(
    hub: Hub, smtp_port: int, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    message = mail("Privat Person <privat.person@example.de>", "Hallo", "Text", message_id="p@x")
    with smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as client:
        client.send_message(
            message, from_addr="envelope.sender@example.org", to_addrs=[OUR_ADDRESS]
        )
        client.mail("kein-absender")  # refused: no usable sender
        client.rcpt(OUR_ADDRESS)
        code, _ = client.data(b"Subject: ohne Absender\r\n\r\nText\r\n")
        assert code == 550
    settle(hub)

    logged = "\n".join(record.getMessage() for record in caplog.records)
    for address in ("privat.person", "envelope.sender", "kein-absender", OUR_ADDRESS):
        assert address not in logged.lower(), address
    assert "queued as" in logged  # the receiver did log, with ids
