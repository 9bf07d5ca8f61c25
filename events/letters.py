"""Postal letters: the customer's postal address, letters out and scans in.

The postal address lives on the customer stream. An outbound letter's stream
starts with `LetterSent` (the rendered PDF handed to a print-and-mail
provider), whose statuses follow as `LetterStatusChanged`. A scanned inbound
letter is a `LetterReceived`, resolved to its sender like any inbound contact.
Addresses are stored as the lines printed in the envelope window, so that an
erased address reads as no lines at all.
"""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar, Literal
from uuid import UUID

from pydantic import Field

from events.envelope import Event, InboundEvent


class PostalAddressSet(Event):
    """The customer's postal address (on the customer stream); the latest one counts."""

    pii_fields: ClassVar[frozenset[str]] = frozenset(
        {"name", "street", "extra", "postal_code", "city"}
    )

    type: Literal["PostalAddressSet"] = "PostalAddressSet"
    name: str = Field(description="Recipient line, e.g. 'Frau Erika Mustermann'.")
    street: str = Field(description="Street and number, or PO box.")
    extra: str = Field(default="", description="Additional line, e.g. 'c/o' or an apartment.")
    postal_code: str
    city: str
    country: str = Field(default="DE", description="ISO 3166-1 alpha-2.")
    set_by: str | None = None


class LetterStatus(StrEnum):
    """Where an outbound letter is: ours (requested), then the provider's statuses."""

    REQUESTED = "requested"
    SUBMITTED = "submitted"
    PRINTED = "printed"
    POSTED = "posted"
    RETURNED = "returned"
    FAILED = "failed"


class LetterSent(Event):
    """A letter to the customer was rendered and handed to the print-and-mail provider."""

    pii_fields: ClassVar[frozenset[str]] = frozenset({"recipient_lines", "subject", "body"})

    type: Literal["LetterSent"] = "LetterSent"
    channel: Literal["letter"] = "letter"
    provider: str = Field(description="The print-and-mail provider, e.g. 'outbox'.")
    recipient_lines: tuple[str, ...] = Field(description="The address as printed in the window.")
    subject: str
    body: str
    template: str
    document_sha256: str = Field(description="SHA-256 of the PDF handed over.")
    pages: int = Field(ge=1)
    sent_by: str | None = None
    consent_id: UUID | None = Field(
        default=None,
        description="The ConsentChanged event in force when it was sent; null: the default "
        "service consent (the customer made no decision on the channel).",
    )


class LetterStatusChanged(Event):
    """The provider reported a letter's progress (applied monotonically)."""

    type: Literal["LetterStatusChanged"] = "LetterStatusChanged"
    status: LetterStatus
    provider_reference: str | None = None
    reason: str | None = None


class LetterReceived(InboundEvent):
    """A customer's letter was scanned and registered (`POST /api/v1/letters/inbound`)."""

    pii_fields: ClassVar[frozenset[str]] = frozenset({"from_address", "sender_name", "text"})

    type: Literal["LetterReceived"] = "LetterReceived"
    channel: Literal["letter"] = "letter"
    scan_id: str = Field(description="The scanning service's id: the idempotency key.")
    sender_name: str
    from_address: str = Field(description="The sender's postal address on one line.")
    content_type: str = Field(description="application/pdf, image/png, image/jpeg or image/tiff.")
    document_sha256: str = Field(description="SHA-256 of the scan; the blob's name.")
    pages: int = Field(default=1, ge=1)
    text: str = Field(default="", description="Text extracted from the PDF, if it has one.")
