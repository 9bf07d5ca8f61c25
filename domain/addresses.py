"""Channel addresses: normalisation and the keyed hash that stands for them.

Aggregate ids and Kafka keys derive from `address_key`, never from a plain
number or email address (docs/ARCHITECTURE.md, guarantees: erasable).
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache

import phonenumbers
from email_validator import EmailNotValidError, validate_email


class InvalidAddress(ValueError):
    """The address cannot be normalised; the message says why."""


# Parsing a number costs ~40 us and the same senders write again and again: the
# gateway keeps the recent ones (pure functions, so caching changes no answer).
RECENT_ADDRESSES = 65_536


@lru_cache(maxsize=RECENT_ADDRESSES)
def normalise_phone(raw: str, default_region: str = "DE") -> str:
    """E.164 form of a phone number; `whatsapp:` prefixes are the caller's business."""
    try:
        parsed = phonenumbers.parse(raw.strip(), default_region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidAddress(f"not a phone number: {raw!r} ({exc})") from None
    # "Possible" checks only the length (`+49 0000` passes); "valid" checks the
    # number against the country's numbering plan, so typos fail here, not at Twilio.
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidAddress(f"not a valid phone number: {raw!r}")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def normalise_email(raw: str) -> str:
    """An email address as the identity index keys it: the domain lowercased (and
    IDNA-normalised), the local part as given, since RFC 5321 leaves its case to
    the receiving system. Display names and angle brackets are the caller's."""
    try:
        checked = validate_email(
            raw.strip(), check_deliverability=False, globally_deliverable=False
        )
    except EmailNotValidError as exc:
        raise InvalidAddress(f"not an email address: {raw!r} ({exc})") from None
    return str(checked.normalized)


@lru_cache(maxsize=RECENT_ADDRESSES)
def address_key(secret: bytes, channel: str, address: str) -> str:
    """Keyed hash of a normalised address. WhatsApp and SMS share phone numbers
    but are separate channels, so the channel is part of the key."""
    message = f"{channel}:{address}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()[:40]


# Channels addressed by a phone number: one number is one person on all of them.
PHONE_CHANNELS = ("sms", "whatsapp", "voice")


@lru_cache(maxsize=RECENT_ADDRESSES)
def sibling_address_keys(secret: bytes, channel: str, address: str) -> tuple[str, ...]:
    """Keys of the same phone number on the other phone channels, so that a first
    WhatsApp message (or call) from an SMS customer's number joins that customer."""
    if channel not in PHONE_CHANNELS:
        return ()
    return tuple(
        address_key(secret, other, address) for other in PHONE_CHANNELS if other != channel
    )
