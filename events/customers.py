"""The customer stream and the address claims that make up the identity index."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from events.envelope import Channel, Event


class CustomerRegistered(Event):
    """A customer became known to the hub (first contact or created by an agent)."""

    pii_fields: ClassVar[frozenset[str]] = frozenset({"display_name"})

    type: Literal["CustomerRegistered"] = "CustomerRegistered"
    display_name: str = Field(default="", description="Name as known; empty if unknown.")
    language: str | None = Field(default=None, description="Preferred language, e.g. 'de'.")
    source_channel: Channel | None = None


class ChannelAddressLinked(Event):
    """A channel address (phone number, email address...) belongs to the customer."""

    pii_fields: ClassVar[frozenset[str]] = frozenset({"address"})

    type: Literal["ChannelAddressLinked"] = "ChannelAddressLinked"
    channel: Channel
    address: str = Field(description="Normalised address: E.164 for phone numbers.")
    address_key: str = Field(description="Keyed hash of channel and address.")


class AddressClaimed(Event):
    """The address stream (id from the keyed hash) was claimed by one customer.

    Its first version can be written once only, so two customers can never own
    one address, even when first contacts race each other.
    """

    type: Literal["AddressClaimed"] = "AddressClaimed"
    channel: Channel
    address_key: str
