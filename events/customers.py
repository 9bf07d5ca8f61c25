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


class CustomerErased(Event):
    """The customer's personal data was erased (crypto-shredding): their key is
    destroyed, so every personal field of their events reads as erased from now on.

    The history stays: the interactions, their channels, directions, times and
    statuses. `reason` is the operator's justification (a ticket number, "retention
    policy"), kept readable for the audit: it must not itself name the person.
    """

    type: Literal["CustomerErased"] = "CustomerErased"
    reason: str = Field(min_length=1, max_length=500)
    erased_by: str = Field(description="The admin's name, or `retention` for the policy job.")
    addresses_released: int = Field(
        default=0, ge=0, description="How many address claims the erasure released."
    )


class AddressReleased(Event):
    """The address stream's owner was erased: the address is free again.

    Until someone contacts the hub from it, nobody owns it, so nothing can be sent
    to it; a new contact claims it for a new customer (the claim stream's next
    version), never for the erased one.
    """

    type: Literal["AddressReleased"] = "AddressReleased"
    channel: Channel
    address_key: str
