"""The envelope every event carries, and the rules all events follow."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

Channel = Literal["sms", "whatsapp", "email", "voice", "letter"]

# What a personal-data field reads after its customer's key was destroyed.
ERASED = "[erased]"


class Event(BaseModel):
    """Base of all events: immutable, strict about unknown fields, versioned.

    `originator_id` and `originator_version` place the event in its stream (an
    aggregate's history). `event_id` is deterministic from the provider's own
    id, so a redelivered webhook maps to the same event and records nothing new.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    # Field names holding personal data: encrypted at rest with the customer's key.
    pii_fields: ClassVar[frozenset[str]] = frozenset()

    type: str
    schema_version: int = 1
    event_id: UUID
    originator_id: UUID = Field(description="The stream (aggregate) the event belongs to.")
    originator_version: int = Field(default=1, ge=1)
    customer_id: UUID | None = Field(
        default=None,
        description="The customer the event concerns; null only on intake messages "
        "that the recorder has not yet resolved to a customer.",
    )
    occurred_at: AwareDatetime = Field(description="When it happened at the source.")
    recorded_at: AwareDatetime | None = Field(
        default=None, description="When the hub recorded it in the event store."
    )
    correlation_id: UUID | None = None
    causation_id: UUID | None = None

    def recorded(
        self, *, customer_id: UUID, originator_version: int, recorded_at: datetime
    ) -> Event:
        """A copy placed in its stream, as the recorder stores it."""
        return self.model_copy(
            update={
                "customer_id": customer_id,
                "originator_version": originator_version,
                "recorded_at": recorded_at,
            }
        )


class InboundEvent(Event):
    """A customer contacted us over some channel, from an address.

    The recorder resolves `address_key` to the customer who owns the address
    (registering one on first contact) before the event is stored; the event's
    own stream is the interaction, so a redelivery finds it and records nothing.
    """

    channel: Channel
    from_address: str = Field(description="The customer's normalised address.")
    address_key: str = Field(description="Keyed hash of channel and sender address.")
    sibling_address_keys: tuple[str, ...] = Field(
        default=(),
        description="Keys of the same address on sibling channels (a WhatsApp number's "
        "SMS key): a first contact from an unknown address joins the customer who "
        "owns one of these instead of registering a new one.",
    )
