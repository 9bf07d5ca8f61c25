"""Pure translation: an event -> the timeline row it adds or the change it makes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC
from typing import Any

from domain.messages import status_rank
from events import Event, SmsReceived, SmsSent, SmsStatusChanged


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
    return None


def status_update(event: Event) -> dict[str, Any] | None:
    if isinstance(event, SmsStatusChanged):
        return {
            "id": str(event.originator_id),
            "status": event.status.value,
            "rank": status_rank(event.status),
            "provider_id": event.provider_message_id,
            "error": event.error_message or event.error_code,
        }
    return None


def utc_iso(event: Event) -> str:
    # Fixed-width UTC text sorts in time order on both stores.
    return event.occurred_at.astimezone(UTC).isoformat(timespec="microseconds")
