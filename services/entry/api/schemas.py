"""The agent API's JSON shapes (documented in /openapi.json)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, JsonValue, model_validator

from services.entry.api.analytics_schemas import (
    BuyingBehaviour,
    Classification,
    SuggestionList,
)


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
    conversation_id: UUID | None = Field(
        default=None, description="The email conversation (thread) it belongs to."
    )


class AttachmentOut(BaseModel):
    """A file of the interaction: an email's attachment, a letter's PDF or
    scan, a call's recording."""

    name: str = Field(description="The file name the sender gave (or ours), or empty.")
    content_type: str
    size: int | None = Field(
        description="Decoded size in bytes; null for a call recording, which Twilio holds "
        "and the hub fetches when it is downloaded."
    )
    url: str = Field(description="GET it (bearer auth) for the bytes.")


class ConsentInForce(BaseModel):
    """The consent an outbound message relied on when it was sent."""

    id: UUID | None = Field(
        description="The ConsentChanged event; null: the customer had made no decision on "
        "the channel, so the default service consent applied."
    )
    channel: str
    purpose: str | None = Field(description="service or marketing; null: every purpose.")
    granted: bool
    at: datetime | None = Field(description="When the decision was recorded.")
    source: str = Field(description="How the customer told us, e.g. sms-keyword START.")
    changed_by: str | None = Field(default=None, description="The agent who recorded it.")


class InteractionDetail(TimelineItem):
    """One interaction whole: the timeline's entry plus all of its content."""

    body: str | None = Field(
        description="The whole plain text: an email's or message's (SMS, WhatsApp) text, a "
        "letter's (extracted from scans), a call's transcript; null if there is none (yet)."
    )
    html: str | None = Field(
        default=None, description="Email: the HTML part, sanitised (no scripts, no handlers)."
    )
    attachments: list[AttachmentOut] = Field(
        default_factory=list, description="Email: its attachments, in order."
    )
    consent: ConsentInForce | None = Field(
        default=None, description="Outbound: the consent in force when it was sent."
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


class MergedCustomer(BaseModel):
    merge_id: UUID = Field(description="Pass to `unmerge` to split them again.")
    other_customer_id: UUID
    merged_at: str


class Customer360(CustomerSummary):
    language: str | None
    source_channel: str | None
    addresses: list[ChannelAddress]
    counts: list[ChannelCount]
    timeline: TimelinePage
    merged: list[MergedCustomer] = Field(
        default=[], description="The customers merged into this one (merges in force)."
    )
    buying: BuyingBehaviour = Field(description="What the customer bought (orders, returns).")
    classification: Classification = Field(description="ABC class, RFM scores, churn risk.")
    suggestions: SuggestionList = Field(description="Products to offer (cross- and up-selling).")


class SearchResult(BaseModel):
    items: list[CustomerSummary]
    total: int = Field(description="How many customers match in all (items is one page).")
    offset: int = Field(description="How many matches come before this page.")
    limit: int


class AttachmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=255)
    content_type: str = Field(default="application/octet-stream", pattern=r"^[\w.+-]+/[\w.+-]+$")
    content_base64: str = Field(
        # Base64's grammar in the schema: b64decode raised a bare ValueError (a
        # 500) outside its alphabet, and a 422 for a wrong length or padding.
        pattern=r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$",
        description="The file's bytes, base64-encoded.",
    )


TEXT_MESSAGE_MAX = 1600
LETTER_MAX = 20_000
_NOT_EMAIL: dict[str, JsonValue] = {
    "html": {"type": "null"},
    "reply_to": {"type": "null"},
    "attachments": {"maxItems": 0},
}
# SendMessage's validator per channel, stated in its JSON schema too, so that a
# client (or a test generated from /openapi.json) that follows the document is
# not refused for the shape of its request. Stricter than the validator in
# places (null where an empty string passes), never looser.
CHANNEL_RULES: list[JsonValue] = [
    {
        "properties": {
            "channel": {"enum": ["sms", "whatsapp"]},
            "body": {"minLength": 1, "maxLength": TEXT_MESSAGE_MAX},
            "subject": {"type": "null"},
            **_NOT_EMAIL,
        },
        "required": ["channel", "body"],
    },
    {
        "properties": {
            "channel": {"enum": ["letter"]},
            "subject": {"type": "string", "pattern": r"\S"},
            "body": {"minLength": 1, "maxLength": LETTER_MAX},
            **_NOT_EMAIL,
        },
        "required": ["channel", "subject", "body"],
    },
    {
        "properties": {"channel": {"enum": ["email"]}},
        "required": ["channel"],
        "anyOf": [
            {"properties": {"body": {"minLength": 1}}, "required": ["body"]},
            {"properties": {"html": {"type": "string", "minLength": 1}}, "required": ["html"]},
        ],
    },
]


class SendMessage(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"oneOf": CHANNEL_RULES})

    channel: Literal["sms", "whatsapp", "email", "letter"] = Field(
        description="`sms`, `whatsapp` (Twilio), `email` (SMTP relay) or `letter` "
        "(PDF to the print-and-mail provider)."
    )
    body: str = Field(
        default="",
        max_length=500_000,
        description="The text: at most 1600 characters for SMS and WhatsApp, 20,000 for a "
        "letter; the plain-text part of an email.",
    )
    to: str | None = Field(
        default=None,
        description="sms/whatsapp/email: override the customer's number or email address.",
    )
    subject: str | None = Field(
        default=None,
        max_length=998,
        description="letter: the subject line (required). email: defaults to "
        "`Re: <subject>` of the email in `reply_to`.",
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
    def _fits_the_channel(self) -> SendMessage:
        email_only = self.html or self.reply_to or self.attachments
        if self.channel in ("sms", "whatsapp"):
            if not 1 <= len(self.body) <= TEXT_MESSAGE_MAX:
                raise ValueError(
                    f"an {self.channel} body must be 1 to {TEXT_MESSAGE_MAX} characters"
                )
            if self.subject or email_only:
                raise ValueError("subject, html, reply_to and attachments are not for SMS")
        elif self.channel == "letter":
            if not (self.subject and self.subject.strip()):
                raise ValueError("a letter needs a `subject`")
            if not 1 <= len(self.body) <= LETTER_MAX:
                raise ValueError(f"a letter body must be 1 to {LETTER_MAX} characters")
            if email_only:
                raise ValueError("html, reply_to and attachments are for email only")
        elif not (self.body or self.html):
            raise ValueError("an email needs a body or html")
        return self


class MessageAccepted(BaseModel):
    interaction_id: UUID
    status: str
    provider_message_id: str | None = Field(
        description="Twilio's MessageSid for SMS; the Message-ID for email; for a letter, "
        "the provider's reference."
    )
    error: str | None
