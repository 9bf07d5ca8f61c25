"""Pure translation between Twilio's messaging webhooks and our events.

The payload models validate what Twilio sends (and refuse what it never would),
so a malformed request gets a 422 that names the field, before anything is
recorded. Twilio adds fields over time; unknown ones are ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from domain.addresses import address_key, normalise_phone, sibling_address_keys
from events import SmsReceived, SmsStatus, SmsStatusChanged, provider_event_id
from events.sms import MessagingChannel

SID = r"^[A-Z]{2}[0-9a-fA-F]{32}$"
WHATSAPP = "whatsapp:"


class TwilioInboundMessage(BaseModel):
    """The form Twilio posts for an incoming SMS or WhatsApp message."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    MessageSid: str = Field(pattern=r"^(SM|MM)[0-9a-fA-F]{32}$")
    AccountSid: str = Field(pattern=r"^AC[0-9a-fA-F]{32}$")
    From: str = Field(min_length=1, max_length=64)
    To: str = Field(min_length=1, max_length=64)
    Body: str = Field(default="", max_length=10_000)
    NumMedia: int = Field(default=0, ge=0, le=10)


class TwilioMessageStatus(BaseModel):
    """The form Twilio posts to a message's StatusCallback."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    MessageSid: str = Field(pattern=r"^(SM|MM)[0-9a-fA-F]{32}$")
    AccountSid: str = Field(pattern=r"^AC[0-9a-fA-F]{32}$")
    MessageStatus: SmsStatus
    ErrorCode: str | None = Field(default=None, max_length=16)
    ErrorMessage: str | None = Field(default=None, max_length=1000)


def split_address(raw: str, default_region: str) -> tuple[MessagingChannel, str]:
    """('whatsapp', '+49...') for `whatsapp:+49...`, ('sms', E.164) otherwise."""
    if raw.startswith(WHATSAPP):
        return "whatsapp", normalise_phone(raw[len(WHATSAPP) :], default_region)
    return "sms", normalise_phone(raw, default_region)


def media_urls(form: Mapping[str, str], count: int) -> tuple[str, ...]:
    return tuple(form[f"MediaUrl{i}"] for i in range(count) if f"MediaUrl{i}" in form)


def inbound_message_event(
    message: TwilioInboundMessage,
    form: Mapping[str, str],
    *,
    received_at: datetime,
    address_secret: bytes,
    default_region: str = "DE",
) -> SmsReceived:
    """The intake event for an inbound message; its id is Twilio's MessageSid's."""
    channel, sender = split_address(message.From, default_region)
    _, recipient = split_address(message.To, default_region)
    event_id = provider_event_id("twilio", "message", message.MessageSid)
    return SmsReceived(
        event_id=event_id,
        originator_id=event_id,
        occurred_at=received_at,
        channel=channel,
        provider_message_id=message.MessageSid,
        from_address=sender,
        to_address=recipient,
        address_key=address_key(address_secret, channel, sender),
        sibling_address_keys=sibling_address_keys(address_secret, channel, sender),
        body=message.Body,
        media_urls=media_urls(form, message.NumMedia),
    )


def status_event(
    status: TwilioMessageStatus, *, interaction_id: UUID, received_at: datetime
) -> SmsStatusChanged:
    """The intake event for a status callback; one id per (MessageSid, status)."""
    return SmsStatusChanged(
        event_id=provider_event_id(
            "twilio", "message-status", status.MessageSid, status.MessageStatus.value
        ),
        originator_id=interaction_id,
        occurred_at=received_at,
        status=status.MessageStatus,
        provider_message_id=status.MessageSid,
        error_code=status.ErrorCode,
        error_message=status.ErrorMessage,
    )


def status_from_send(
    *, interaction_id: UUID, sid: str, status: str, at: datetime
) -> SmsStatusChanged:
    """The status Twilio's REST answer reported; same id as that status's callback."""
    return SmsStatusChanged(
        event_id=provider_event_id("twilio", "message-status", sid, status),
        originator_id=interaction_id,
        occurred_at=at,
        status=SmsStatus(status),
        provider_message_id=sid,
    )


def send_failed(
    *, interaction_id: UUID, code: int | None, message: str, at: datetime
) -> SmsStatusChanged:
    return SmsStatusChanged(
        event_id=provider_event_id("contacthub", "send-failed", str(interaction_id)),
        originator_id=interaction_id,
        occurred_at=at,
        status=SmsStatus.FAILED,
        error_code=str(code) if code is not None else None,
        error_message=message,
    )
