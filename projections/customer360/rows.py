"""Pure translation: an event -> the timeline row it adds or the change it makes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC
from typing import Any

from domain import emails
from domain.messages import status_rank
from events import (
    EmailDeliveryChanged,
    EmailReceived,
    EmailSent,
    EmailStatus,
    Event,
    SmsReceived,
    SmsSent,
    SmsStatusChanged,
)

# How much of an email's text the timeline shows after its subject.
EMAIL_SUMMARY_CHARS = 200


@dataclass(frozen=True)
class TimelineEntry:
    interaction_id: str
    customer_id: str
    occurred_at: str
    channel: str
    direction: str
    status: str
    status_rank: int
    summary: str
    address: str
    provider_id: str | None
    agent: str | None
    conversation_id: str | None = None

    def as_row(self) -> dict[str, Any]:
        return self.__dict__.copy()


def timeline_entry(event: Event) -> TimelineEntry | None:
    if isinstance(event, SmsReceived):
        return TimelineEntry(
            interaction_id=str(event.originator_id),
            customer_id=str(event.customer_id),
            occurred_at=utc_iso(event),
            channel=event.channel,
            direction="inbound",
            status="received",
            status_rank=status_rank("received"),
            summary=event.body,
            address=event.from_address,
            provider_id=event.provider_message_id,
            agent=None,
        )
    if isinstance(event, SmsSent):
        return TimelineEntry(
            interaction_id=str(event.originator_id),
            customer_id=str(event.customer_id),
            occurred_at=utc_iso(event),
            channel=event.channel,
            direction="outbound",
            status="requested",
            status_rank=status_rank("requested"),
            summary=event.body,
            address=event.to_address,
            provider_id=None,
            agent=event.sent_by,
        )
    if isinstance(event, EmailReceived | EmailSent):
        return email_entry(event)
    return None


def email_summary(subject: str, text: str) -> str:
    """The subject, then the start of the text on one line."""
    start = " ".join(text.split())
    if len(start) > EMAIL_SUMMARY_CHARS:
        start = start[:EMAIL_SUMMARY_CHARS].rstrip() + "…"
    return f"{subject} — {start}" if subject and start else subject or start


def email_entry(event: EmailReceived | EmailSent) -> TimelineEntry:
    inbound = isinstance(event, EmailReceived)
    status = EmailStatus.RECEIVED if inbound else EmailStatus.REQUESTED
    return TimelineEntry(
        interaction_id=str(event.originator_id),
        customer_id=str(event.customer_id),
        occurred_at=utc_iso(event),
        channel="email",
        direction="inbound" if inbound else "outbound",
        status=status.value,
        status_rank=emails.status_rank(status),
        summary=email_summary(event.subject, event.text),
        address=event.from_address if isinstance(event, EmailReceived) else event.to_address,
        provider_id=event.message_id,
        agent=event.sent_by if isinstance(event, EmailSent) else None,
        conversation_id=str(event.conversation_id) if event.conversation_id else None,
    )


def status_update(event: Event) -> dict[str, Any] | None:
    if isinstance(event, SmsStatusChanged):
        return {
            "id": str(event.originator_id),
            "status": event.status.value,
            "rank": status_rank(event.status),
            "provider_id": event.provider_message_id,
            "error": event.error_message or event.error_code,
        }
    if isinstance(event, EmailDeliveryChanged):
        return {
            "id": str(event.originator_id),
            "status": event.status.value,
            "rank": emails.status_rank(event.status),
            "provider_id": None,
            "error": event.diagnostic
            if event.status in (EmailStatus.BOUNCED, EmailStatus.FAILED, EmailStatus.DEFERRED)
            else None,
        }
    return None


def utc_iso(event: Event) -> str:
    # Fixed-width UTC text sorts in time order on both stores.
    return event.occurred_at.astimezone(UTC).isoformat(timespec="microseconds")
