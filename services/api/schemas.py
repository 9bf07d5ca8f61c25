"""The agent API's JSON shapes (documented in /openapi.json)."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field, model_validator


class ChannelAddress(BaseModel):
    channel: str
    address: str
    linked_at: str


class ChannelCount(BaseModel):
    channel: str
    direction: Literal["inbound", "outbound"]
    count: int


class TimelineItem(BaseModel):
    interaction_id: UUID
    occurred_at: str = Field(description="ISO 8601, UTC")
    channel: str
    direction: Literal["inbound", "outbound"]
    status: str
    summary: str
    address: str = Field(description="The customer's address used")
    provider_id: str | None
    agent: str | None
    error: str | None
    conversation_id: UUID | None = Field(
        default=None, description="The email conversation (thread) it belongs to."
    )


class TimelinePage(BaseModel):
    items: list[TimelineItem]
    next_before: str | None = Field(
        description="Pass as `before` for the next (older) page; null on the last page."
    )


class CustomerSummary(BaseModel):
    customer_id: UUID
    display_name: str
    created_at: str
    last_contact_at: str | None
    interaction_count: int


class Customer360(CustomerSummary):
    language: str | None
    source_channel: str | None
    addresses: list[ChannelAddress]
    counts: list[ChannelCount]
    timeline: TimelinePage


class SearchResult(BaseModel):
    items: list[CustomerSummary]


class AttachmentIn(BaseModel):
    name: str = Field(min_length=1, max_length=255)
    content_type: str = Field(default="application/octet-stream", pattern=r"^[\w.+-]+/[\w.+-]+$")
    content_base64: str = Field(description="The file's bytes, base64-encoded.")


class SendMessage(BaseModel):
    channel: Literal["sms", "email"] = Field(description="`sms` or `email`.")
    body: str = Field(
        default="",
        max_length=500_000,
        description="The text: at most 1600 characters for SMS; the plain-text part of an email.",
    )
    to: str | None = Field(
        default=None,
        description="Override the customer's address (phone number for SMS, email address).",
    )
    subject: str | None = Field(
        default=None,
        max_length=998,
        description="Email only. Defaults to `Re: <subject>` of the email in `reply_to`.",
    )
    html: str | None = Field(
        default=None, max_length=2_000_000, description="Email only: an HTML alternative."
    )
    reply_to: UUID | None = Field(
        default=None,
        description="Email only: the interaction this answers; the reply carries In-Reply-To "
        "and References and joins its conversation.",
    )
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=20)

    @model_validator(mode="after")
    def _fits_channel(self) -> SendMessage:
        if self.channel == "sms":
            if not 1 <= len(self.body) <= 1600:
                raise ValueError("an SMS body must be 1 to 1600 characters")
            if self.subject or self.html or self.reply_to or self.attachments:
                raise ValueError("subject, html, reply_to and attachments are for email only")
        elif not (self.body or self.html):
            raise ValueError("an email needs a body or html")
        return self


class MessageAccepted(BaseModel):
    interaction_id: UUID
    status: str
    provider_message_id: str | None = Field(
        description="Twilio's MessageSid for SMS; the Message-ID for email."
    )
    error: str | None
