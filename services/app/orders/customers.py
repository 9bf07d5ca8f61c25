"""Which customer an order names: by id, or by an email address or phone number
(an unknown address registers a customer, as a first contact would)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from uuid import UUID

from domain.addresses import address_key, normalise_email, normalise_phone
from domain.orders import NewAddress
from events import AddressClaimed, CustomerRegistered, address_claim_id
from events.envelope import Channel
from services.app.errors import CommandRefused, CustomerNotFound
from services.infra.eventstore import EventStore


@dataclass(frozen=True)
class CustomerRef:
    """The shop's way of naming the customer: exactly one of the three."""

    customer_id: UUID | None = None
    email: str | None = None
    phone: str | None = None


def address_of(ref: CustomerRef, secret: bytes, region: str) -> NewAddress | None:
    """The normalised address (and its key) the reference names, or None for an id.
    InvalidAddress if the email or phone is malformed."""
    given = [v for v in (ref.customer_id, ref.email, ref.phone) if v is not None]
    if len(given) != 1:
        raise CommandRefused("name the customer by exactly one of customer_id, email, phone")
    channel: Channel
    if ref.email is not None:
        channel, address = "email", normalise_email(ref.email)
    elif ref.phone is not None:
        channel, address = "sms", normalise_phone(ref.phone, region)
    else:
        return None
    return NewAddress(channel, address, address_key(secret, channel, address))


def owners(store: EventStore, keys: Iterable[str]) -> dict[str, UUID]:
    """The customers owning these address keys (claimed ones only), in one read."""
    by_stream = {address_claim_id(k): k for k in keys}
    found: dict[str, UUID] = {}
    for stream, events in store.streams(by_stream).items():
        for event in events:
            if isinstance(event, AddressClaimed) and event.customer_id is not None:
                found[by_stream[stream]] = event.customer_id
                break
    return found


def require_customer(store: EventStore, customer_id: UUID) -> None:
    history = store.stream(customer_id)
    if not history or not isinstance(history[0], CustomerRegistered):
        raise CustomerNotFound(str(customer_id))
