"""The SMS stream: one interaction per message, inbound or outbound.

WhatsApp messages through Twilio share these events with `channel="whatsapp"`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar, Literal
from uuid import UUID

from pydantic import Field

from events.envelope import Event, InboundEvent

MessagingChannel = Literal["sms", "whatsapp"]


class SmsStatus(StrEnum):
    """Twilio's message statuses, plus `requested` before the provider answered."""

    REQUESTED = "requested"
    ACCEPTED = "accepted"
    SCHEDULED = "scheduled"
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    RECEIVING = "receiving"
    RECEIVED = "received"
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    FAILED = "failed"
    READ = "read"
    CANCELED = "canceled"


class SmsReceived(InboundEvent):
    """A customer's message reached us (Twilio inbound webhook)."""

    pii_fields: ClassVar[frozenset[str]] = frozenset({"from_address", "body", "media_urls"})

    type: Literal["SmsReceived"] = "SmsReceived"
    channel: MessagingChannel = "sms"
    provider: Literal["twilio"] = "twilio"
    provider_message_id: str = Field(description="Twilio's MessageSid.")
    from_address: str = Field(description="The customer's number in E.164.")
    to_address: str = Field(description="Our number the message was sent to.")
    body: str = ""
    media_urls: tuple[str, ...] = ()


class SmsSent(Event):
    """An agent (or the hub) sent a message; the provider's answer follows as status."""

    pii_fields: ClassVar[frozenset[str]] = frozenset({"to_address", "body"})

    type: Literal["SmsSent"] = "SmsSent"
    channel: MessagingChannel = "sms"
    provider: Literal["twilio"] = "twilio"
    to_address: str
    from_address: str
    body: str
    sent_by: str | None = Field(default=None, description="The agent who sent it.")
    consent_id: UUID | None = Field(
        default=None,
        description="The ConsentChanged event in force when it was sent; null: the default "
        "service consent (the customer made no decision on the channel).",
    )


class SmsStatusChanged(Event):
    """The provider reported a new status for a message we sent."""

    type: Literal["SmsStatusChanged"] = "SmsStatusChanged"
    status: SmsStatus
    provider_message_id: str | None = None
    error_code: str | None = None
    error_message: str | None = None
