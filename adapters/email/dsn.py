"""Delivery status notifications (RFC 3464) -> delivery events on the original email.

A DSN is a `multipart/report; report-type=delivery-status` message: a human
text, a `message/delivery-status` part (one field block for the message, one
per recipient, each with `Action` and `Status`) and the original message or its
headers, whose Message-ID names the interaction it reports on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage, Message
from email.parser import HeaderParser

from adapters.email import mime
from domain.email_threads import message_ids, normalise_message_id
from events import EmailDeliveryChanged, EmailStatus, email_interaction_id, provider_event_id

# RFC 3464 actions; "relayed" and "expanded" mean our part is done, like delivered.
_ACTIONS = {
    "failed": EmailStatus.BOUNCED,
    "delayed": EmailStatus.DEFERRED,
    "delivered": EmailStatus.DELIVERED,
    "relayed": EmailStatus.DELIVERED,
    "expanded": EmailStatus.DELIVERED,
}
# Worst outcome first when recipients differ.
_SEVERITY = [EmailStatus.BOUNCED, EmailStatus.DEFERRED, EmailStatus.DELIVERED]
_SMTP_CODE = re.compile(r"\b([245]\d\d)\b")


@dataclass(frozen=True)
class DeliveryReport:
    original_message_id: str
    status: EmailStatus
    diagnostic: str | None
    smtp_code: int | None


def is_report(message: Message) -> bool:
    return (
        message.get_content_type() == "multipart/report"
        and (message.get_param("report-type") or "").lower() == "delivery-status"  # type: ignore[union-attr]
    )


def _field_blocks(part: Message) -> list[Message]:
    payload = part.get_payload()
    if isinstance(payload, list):
        return [p for p in payload if isinstance(p, Message)]
    # Some parsers leave the part as text: read its blank-line separated blocks.
    text = mime.part_text(part)
    return [HeaderParser().parsestr(block) for block in re.split(r"\r?\n\r?\n", text) if block]


def _original_message_id(report: Message, original: Message | None) -> str | None:
    if original is not None:
        if original.get_content_type() == "message/rfc822":
            inner = original.get_payload()
            inner_message = inner[0] if isinstance(inner, list) and inner else None
            if isinstance(inner_message, Message):
                return normalise_message_id(mime.header(inner_message, "Message-ID"))
        else:  # text/rfc822-headers
            headers = HeaderParser().parsestr(mime.part_text(original))
            found = normalise_message_id(headers.get("Message-ID"))
            if found:
                return found
    # Some MTAs thread the report to the original instead.
    referenced = message_ids(mime.header(report, "In-Reply-To")) or message_ids(
        mime.header(report, "References")
    )
    return referenced[-1] if referenced else None


def delivery_report(message: EmailMessage) -> DeliveryReport | None:
    """What a DSN reports, or None if the message is not a (readable) DSN."""
    if not is_report(message):
        return None
    parts = list(message.iter_parts())
    status_part = next(
        (p for p in parts if p.get_content_type() == "message/delivery-status"), None
    )
    if status_part is None:
        return None
    original = next(
        (p for p in parts if p.get_content_type() in ("message/rfc822", "text/rfc822-headers")),
        None,
    )
    original_id = _original_message_id(message, original)
    if original_id is None:
        return None
    recipients = [b for b in _field_blocks(status_part)[1:] if b.get("Action")]
    outcomes = [
        (_ACTIONS[str(b["Action"]).strip().lower()], b)
        for b in recipients
        if str(b["Action"]).strip().lower() in _ACTIONS
    ]
    if not outcomes:
        return None
    status, block = min(outcomes, key=lambda o: _SEVERITY.index(o[0]))
    diagnostic = str(block.get("Diagnostic-Code") or block.get("Status") or "").strip() or None
    code = _SMTP_CODE.search(diagnostic or "")
    return DeliveryReport(
        original_message_id=original_id,
        status=status,
        diagnostic=diagnostic,
        smtp_code=int(code.group(1)) if code else None,
    )


def delivery_event(report: DeliveryReport, *, received_at: datetime) -> EmailDeliveryChanged:
    """One id per (original message, outcome): a repeated DSN records nothing."""
    return EmailDeliveryChanged(
        event_id=provider_event_id(
            "email", "delivery", report.original_message_id, report.status.value
        ),
        originator_id=email_interaction_id(report.original_message_id),
        occurred_at=received_at,
        status=report.status,
        source="dsn",
        smtp_code=report.smtp_code,
        diagnostic=report.diagnostic,
    )
