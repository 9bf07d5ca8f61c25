"""Outbound email from the agent API through a real SMTP relay on loopback, and
the delivery reports (DSNs) that come back through the hub's SMTP receiver."""

from __future__ import annotations

import base64
from email.message import EmailMessage
from typing import Any
from uuid import UUID

from events import EmailSent
from services.wiring.hub import Hub
from tests.support.email_fixtures import (
    OUR_ADDRESS,
    mail,
    relay,
    settings,
    smtp_port,
    smtp_send,
)
from tests.support.hub import settle, wait_until
from tests.support.smtp_relay import SmtpRelay

__all__ = ["relay", "settings", "smtp_port"]  # fixtures used by this module


def inbound(api: Any, smtp_port: int, sender: str, message_id: str) -> tuple[str, dict[str, Any]]:
    smtp_send(
        smtp_port, mail(sender, "Reklamation Waschmaschine", "Sie leckt.", message_id=message_id)
    )
    address = sender.split("<")[-1].rstrip(">")
    [customer] = wait_until(lambda: api.get("/customers", params={"q": address}).json()["items"])
    [entry] = wait_until(
        lambda: api.get(f"/customers/{customer['customer_id']}/timeline").json()["items"]
    )
    return str(customer["customer_id"]), entry


def dsn(original: EmailMessage, action: str, status: str, diagnostic: str) -> bytes:
    """A delivery status notification as Postfix writes it (RFC 3464)."""
    message_id = original["Message-ID"]
    return (
        "From: Mail Delivery System <MAILER-DAEMON@relay.example.de>\r\n"
        f"To: {OUR_ADDRESS}\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        f"Message-ID: <dsn-{action}-{message_id.strip('<>')}>\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B0"\r\n'
        "\r\n--B0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
        "This is the mail system at host relay.example.de. I'm sorry ...\r\n"
        "\r\n--B0\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; relay.example.de\r\n\r\n"
        f"Final-Recipient: rfc822; {original['To']}\r\n"
        f"Action: {action}\r\nStatus: {status}\r\nDiagnostic-Code: smtp; {diagnostic}\r\n"
        "\r\n--B0\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"From: {original['From']}\r\nTo: {original['To']}\r\n"
        f"Subject: {original['Subject']}\r\nMessage-ID: {message_id}\r\n"
        "\r\n--B0--\r\n"
    ).encode()


def test_a_reply_reaches_the_relay_threaded_and_a_bounce_marks_it_bounced(
    hub: Hub, api: Any, relay: SmtpRelay, smtp_port: int
) -> None:
    customer_id, first = inbound(api, smtp_port, "Olaf Öztürk <olaf@example.de>", "w1@example.de")
    response = api.post(
        f"/customers/{customer_id}/messages",
        json={
            "channel": "email",
            "body": "Wir holen das Gerät ab. Grüße",
            "html": "<p>Wir holen das Gerät <b>ab</b>.</p>",
            "reply_to": first["interaction_id"],
            "attachments": [
                {
                    "name": "Abholschein.pdf",
                    "content_type": "application/pdf",
                    "content_base64": base64.b64encode(b"%PDF schein").decode(),
                }
            ],
        },
    )
    assert response.status_code == 202, response.text
    sent = response.json()
    assert sent["status"] == "accepted"

    [relayed] = relay.received
    assert relayed.rcpt_tos == ["olaf@example.de"]
    message = relayed.message
    assert message["In-Reply-To"] == "<w1@example.de>"
    assert message["References"] == "<w1@example.de>"
    assert message["Subject"] == "Re: Reklamation Waschmaschine"
    assert message["Message-ID"] == f"<{sent['provider_message_id']}>"
    assert message["Message-ID"].endswith("@hub.example.de>")
    assert str(message["From"]) == f"Kundenservice <{OUR_ADDRESS}>"
    plain = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert plain is not None and plain.get_content().strip() == "Wir holen das Gerät ab. Grüße"
    assert html is not None and "<b>ab</b>" in html.get_content()
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "Abholschein.pdf"
    assert attachment.get_content() == b"%PDF schein"

    interaction = api.get(f"/interactions/{sent['interaction_id']}").json()
    assert interaction["status"] == "accepted" and interaction["direction"] == "outbound"
    assert interaction["conversation_id"] == first["conversation_id"]
    assert interaction["channel"] == "email" and interaction["agent"] == "agent.test"

    # The remote server refuses it later: the relay's DSN comes back to our receiver.
    bounce = dsn(message, "failed", "5.1.1", "550 5.1.1 <olaf@example.de>: mailbox unknown")
    before = settle(hub)
    assert smtp_send(smtp_port, bounce) == {}
    bounced = wait_until(
        lambda: (
            (i := api.get(f"/interactions/{sent['interaction_id']}").json())["status"] == "bounced"
            and i
        )
    )
    assert "mailbox unknown" in bounced["error"]
    # The bounce is a status of the interaction, not a new customer or message.
    assert settle(hub) == before + 1
    # A late "delayed" report and the same bounce again change nothing.
    smtp_send(smtp_port, dsn(message, "delayed", "4.4.1", "451 try later"))
    smtp_send(smtp_port, bounce)
    assert settle(hub) == before + 1
    stream = hub.store.stream(UUID(sent["interaction_id"]))
    assert [getattr(e, "status", e.type) for e in stream] == ["EmailSent", "accepted", "bounced"]


def test_the_customers_answer_to_our_email_joins_the_conversation(
    hub: Hub, api: Any, relay: SmtpRelay, smtp_port: int
) -> None:
    customer_id, _ = inbound(api, smtp_port, "ute@example.de", "u0@example.de")
    new = api.post(
        f"/customers/{customer_id}/messages",
        json={"channel": "email", "subject": "Ihr Termin", "body": "Passt Montag?"},
    ).json()
    [relayed] = relay.received
    assert "In-Reply-To" not in relayed.message
    answer = mail(
        "ute@example.de",
        "AW: Ihr Termin",
        "Ja.",
        message_id="u1@example.de",
        in_reply_to=relayed.message["Message-ID"],
        references=relayed.message["Message-ID"],
    )
    smtp_send(smtp_port, answer)
    items = wait_until(
        lambda: (
            i
            if len(i := api.get(f"/customers/{customer_id}/timeline").json()["items"]) == 3
            else None
        )
    )
    by_provider = {i["provider_id"]: i for i in items}
    ours = by_provider[new["provider_message_id"]]
    assert by_provider["u1@example.de"]["conversation_id"] == ours["conversation_id"]
    assert by_provider["u0@example.de"]["conversation_id"] != ours["conversation_id"]
    [sent] = hub.store.stream(UUID(new["interaction_id"]))[:1]
    assert isinstance(sent, EmailSent) and sent.sent_by == "agent.test"


def test_relay_refusals_are_recorded_as_failed_or_deferred(
    hub: Hub, api: Any, relay: SmtpRelay, smtp_port: int
) -> None:
    customer_id, _ = inbound(api, smtp_port, "rita@example.de", "r0@example.de")
    relay.answer_next("554 5.7.1 Rejected by policy")
    relay.answer_next("451 4.7.1 Greylisted, try again")
    command = {"channel": "email", "subject": "Info", "body": "Hallo"}
    failed = api.post(f"/customers/{customer_id}/messages", json=command).json()
    deferred = api.post(f"/customers/{customer_id}/messages", json=command).json()
    assert failed["status"] == "failed" and "554" in failed["error"]
    assert deferred["status"] == "deferred" and "451" in deferred["error"]
    assert api.get(f"/interactions/{failed['interaction_id']}").json()["status"] == "failed"
    assert relay.received == []


def test_email_commands_that_cannot_be_carried_out_are_refused(
    hub: Hub, api: Any, smtp_port: int
) -> None:
    customer_id, _ = inbound(api, smtp_port, "hans@example.de", "h0@example.de")
    no_subject = api.post(
        f"/customers/{customer_id}/messages", json={"channel": "email", "body": "x"}
    )
    assert no_subject.status_code == 409 and "subject" in no_subject.text
    empty = api.post(
        f"/customers/{customer_id}/messages", json={"channel": "email", "subject": "x"}
    )
    assert empty.status_code == 422
    unknown_parent = api.post(
        f"/customers/{customer_id}/messages",
        json={
            "channel": "email",
            "body": "x",
            "reply_to": "00000000-0000-4000-8000-000000000000",
        },
    )
    assert unknown_parent.status_code == 409
    sms_fields = api.post(
        f"/customers/{customer_id}/messages",
        json={"channel": "sms", "body": "x", "subject": "nur für E-Mail"},
    )
    assert sms_fields.status_code == 422
