"""Pure translation between the post channel's inputs and our events."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from domain.addresses import address_key
from domain.letters import normalise_postal
from events import LetterReceived, LetterStatus, LetterStatusChanged, provider_event_id


def letter_status_event(
    letter_id: UUID, status: str, *, reference: str | None, reason: str | None, at: datetime
) -> LetterStatusChanged:
    """One id per (letter, status): a repeated report records nothing new."""
    return LetterStatusChanged(
        event_id=provider_event_id("post", "letter-status", str(letter_id), status),
        originator_id=letter_id,
        occurred_at=at,
        status=LetterStatus(status),
        provider_reference=reference,
        reason=reason,
    )


def letter_address_key(
    secret: bytes, name: str, street: str, postal_code: str, city: str, country: str
) -> str:
    """The identity of a postal sender: name and address, normalised."""
    return address_key(secret, "letter", normalise_postal(name, street, postal_code, city, country))


def one_line(street: str, extra: str, postal_code: str, city: str, country: str) -> str:
    parts = [p for p in (extra.strip(), street.strip(), f"{postal_code} {city}".strip()) if p]
    if country.upper() != "DE":
        parts.append(country.upper())
    return ", ".join(parts)


def scan_event(
    *,
    scan_id: str,
    sender_name: str,
    street: str,
    extra: str,
    postal_code: str,
    city: str,
    country: str,
    content_type: str,
    sha256: str,
    pages: int,
    text: str,
    received_at: datetime,
    address_secret: bytes,
) -> LetterReceived:
    event_id = provider_event_id("post", "scan", scan_id)
    return LetterReceived(
        event_id=event_id,
        originator_id=event_id,
        occurred_at=received_at,
        scan_id=scan_id,
        sender_name=sender_name,
        from_address=one_line(street, extra, postal_code, city, country),
        address_key=letter_address_key(
            address_secret, sender_name, street, postal_code, city, country
        ),
        content_type=content_type,
        document_sha256=sha256,
        pages=pages,
        text=text,
    )
