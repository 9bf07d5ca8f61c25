"""The email stream: one interaction per message, inbound or outbound, and the
conversations (threads) that group them.

An outbound email's stream id derives from its Message-ID (ours, so unique);
an inbound one's from its Message-ID (or, without one, a hash of its content),
its sender and a digest of what the sender wrote, because senders reuse
Message-IDs: a redelivered mail finds its stream and records nothing new, a
different mail under a reused Message-ID is never taken for it. Replies name
their parents by Message-ID, so `EmailMessageIndexed` lists, per Message-ID,
the inbound emails that carry it. Conversations are ids only: which messages belong to one
is recorded on each message (`conversation_id`) and, for the subject fallback,
in a per-customer subject stream (`EmailThreaded`).
"""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from events.envelope import Event, InboundEvent

EmailProvider = Literal["smtp", "mailgun"]


class EmailStatus(StrEnum):
    """Where an email interaction stands; outbound ones move forward only."""

    RECEIVED = "received"
    REQUESTED = "requested"
    ACCEPTED = "accepted"
    DEFERRED = "deferred"
    DELIVERED = "delivered"
    BOUNCED = "bounced"
    FAILED = "failed"


class EmailAttachment(BaseModel):
    """An attachment as received or sent; its content is not in the event."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(description="The file name the sender gave (decoded), or empty.")
    content_type: str
    size: int = Field(ge=0, description="Decoded size in bytes.")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class EmailReceived(InboundEvent):
    """A customer's email reached us (our SMTP receiver or an inbound-parse webhook)."""

    pii_fields: ClassVar[frozenset[str]] = frozenset(
        {"from_address", "from_name", "to_addresses", "subject", "text", "html", "attachments"}
    )

    type: Literal["EmailReceived"] = "EmailReceived"
    channel: Literal["email"] = "email"
    provider: EmailProvider
    message_id: str = Field(
        description="The Message-ID without angle brackets; `sha256:<hex>` of its "
        "content (`content_sha256`) when it had none."
    )
    in_reply_to: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    from_name: str = ""
    to_addresses: tuple[str, ...] = ()
    subject: str = ""
    subject_key: str = Field(
        default="", description="Keyed hash of the normalised subject; empty if none."
    )
    text: str = ""
    html: str = Field(default="", description="The HTML part, sanitised (nh3).")
    attachments: tuple[EmailAttachment, ...] = ()
    sent_at: AwareDatetime | None = Field(
        default=None, description="The Date header, if it had a valid one."
    )
    raw_sha256: str | None = Field(
        default=None, description="The raw message in the blob store, by its SHA-256."
    )
    content_sha256: str | None = Field(
        default=None,
        description="Digest of what the sender wrote (headers without trace headers, "
        "and the body): with the Message-ID and sender, what identifies the message.",
    )
    conversation_id: UUID | None = Field(
        default=None, description="Set by the recorder when it threads the message."
    )


class EmailSent(Event):
    """An agent (or the hub) sent an email; the relay's answer follows as a status."""

    pii_fields: ClassVar[frozenset[str]] = frozenset(
        {"to_address", "subject", "text", "html", "attachments"}
    )

    type: Literal["EmailSent"] = "EmailSent"
    channel: Literal["email"] = "email"
    message_id: str
    in_reply_to: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    from_address: str
    to_address: str
    subject: str
    subject_key: str = ""
    text: str = ""
    html: str = ""
    attachments: tuple[EmailAttachment, ...] = ()
    conversation_id: UUID
    reply_to_interaction: UUID | None = None
    sent_by: str | None = Field(default=None, description="The agent who sent it.")
    consent_id: UUID | None = Field(
        default=None,
        description="The ConsentChanged event in force when it was sent; null: the default "
        "service consent (the customer made no decision on the channel).",
    )


class EmailDeliveryChanged(Event):
    """The relay or a delivery status notification (DSN) reported on an email we sent."""

    type: Literal["EmailDeliveryChanged"] = "EmailDeliveryChanged"
    status: EmailStatus
    source: Literal["relay", "dsn"]
    smtp_code: int | None = None
    diagnostic: str | None = Field(default=None, description="The relay's or DSN's reason.")


class EmailMessageIndexed(Event):
    """An inbound email carrying this Message-ID was recorded.

    Lives in one stream per Message-ID (`email_message_index_id`): several
    emails may carry one Message-ID (from one sender or several), and a reply
    names its parent by Message-ID only; threading reads this stream to find
    the parent of the replying customer.
    """

    type: Literal["EmailMessageIndexed"] = "EmailMessageIndexed"
    interaction_id: UUID
    conversation_id: UUID


class EmailThreaded(Event):
    """An email joined (or started) a conversation under a normalised subject.

    Lives in one stream per (customer, normalised subject): the subject fallback
    reads it to find the conversation a header-less reply belongs to, and its
    version numbers make two racing first messages agree on one conversation.
    """

    type: Literal["EmailThreaded"] = "EmailThreaded"
    conversation_id: UUID
    interaction_id: UUID
    subject_key: str
    started: bool = Field(description="True if this email opened the conversation.")
