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
    duration_seconds: int | None = Field(default=None, description="Calls: seconds talked.")
    outcome: str | None = Field(
        default=None, description="Calls: the agent's outcome, or `voicemail`."
    )
    notes: str | None = Field(default=None, description="Calls: the agent's notes.")
    recording_url: str | None = Field(default=None, description="Calls: the recording.")
    transcript: str | None = Field(default=None, description="Calls: the recording's text.")
    text: str | None = Field(default=None, description="Letters: the text (extracted from scans).")


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


class SendMessage(BaseModel):
    channel: Literal["sms", "whatsapp", "letter"] = Field(
        description="`sms`, `whatsapp` (Twilio) or `letter` (PDF to the print-and-mail provider)."
    )
    body: str = Field(min_length=1, max_length=20_000)
    to: str | None = Field(
        default=None,
        description="sms/whatsapp: override the customer's number (E.164 or national).",
    )
    subject: str | None = Field(
        default=None, max_length=200, description="letter: the subject line (required)."
    )

    @model_validator(mode="after")
    def _fits_the_channel(self) -> SendMessage:
        if self.channel == "letter" and not (self.subject and self.subject.strip()):
            raise ValueError("a letter needs a `subject`")
        if self.channel != "letter" and len(self.body) > TEXT_MESSAGE_MAX:
            raise ValueError(f"an {self.channel} body has at most {TEXT_MESSAGE_MAX} characters")
        return self


TEXT_MESSAGE_MAX = 1600


class MessageAccepted(BaseModel):
    interaction_id: UUID
    status: str
    provider_message_id: str | None = Field(
        description="Twilio's MessageSid; for a letter, the provider's reference."
    )
    error: str | None
