"""Inbound first contact: who is this, and what is recorded.

`plan_inbound` is the recorder's whole decision for an inbound message: it
resolves the sender to a customer (or registers one) and places the message in
its streams. All lookups are done by the caller and passed in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from domain.erasure import claim_event_id
from events import (
    AddressClaimed,
    ChannelAddressLinked,
    CustomerRegistered,
    Event,
    InboundEvent,
    LetterReceived,
    address_claim_id,
    customer_id_for_address,
    provider_event_id,
)


@dataclass(frozen=True)
class InboundPlan:
    customer_id: UUID
    events: list[Event]


def plan_inbound(
    message: InboundEvent,
    *,
    claimed_by: UUID | None,
    already_recorded: bool,
    now: datetime,
    join: tuple[UUID, int] | None = None,
    display_name: str = "",
    claim_version: int = 1,
    generation: int = 0,
) -> InboundPlan | None:
    """The events to append for an inbound message, or None if it is a duplicate.

    `claimed_by` is the customer owning the sender's address, if any;
    `already_recorded` says whether the message's own stream exists; `join` is
    (customer, their stream's last version) of the customer owning the same
    address on a sibling channel: an unclaimed address is linked to them
    instead of registering a new customer.
    `display_name` is the sender's name where the channel tells it (email);
    otherwise the message's own sender name is used, if it has one (a letter).
    `claim_version` and `generation` place a claim on an address released by
    an erasure (`domain.erasure.Claim`): its next version, for a new customer.
    """
    if already_recorded:
        return None
    display_name = display_name or sender_name(message)
    key = message.address_key
    events: list[Event] = []
    customer_id = claimed_by
    if customer_id is None and join is not None:
        customer_id, version = join
        events += _link_to_existing(message, customer_id, version, now, claim_version)
    elif customer_id is None:
        customer_id = customer_id_for_address(key, generation)
        claim_id = address_claim_id(key)
        common = {
            "customer_id": customer_id,
            "occurred_at": message.occurred_at,
            "recorded_at": now,
            "causation_id": message.event_id,
            "correlation_id": message.correlation_id or message.event_id,
        }
        events += [
            CustomerRegistered(
                event_id=provider_event_id("contacthub", "customer", str(customer_id)),
                originator_id=customer_id,
                originator_version=1,
                display_name=display_name,
                source_channel=message.channel,
                **common,
            ),
            ChannelAddressLinked(
                event_id=provider_event_id("contacthub", "link", str(customer_id), key),
                originator_id=customer_id,
                originator_version=2,
                channel=message.channel,
                address=message.from_address,
                address_key=key,
                **common,
            ),
            AddressClaimed(
                event_id=claim_event_id(key, claim_version),
                originator_id=claim_id,
                originator_version=claim_version,
                channel=message.channel,
                address_key=key,
                **common,
            ),
        ]
    events.append(message.recorded(customer_id=customer_id, originator_version=1, recorded_at=now))
    return InboundPlan(customer_id=customer_id, events=events)


def sender_name(message: InboundEvent) -> str:
    """The sender's name as the message itself states it: a letter is signed with
    one; SMS, WhatsApp and calls carry only a number, so they have none."""
    if isinstance(message, LetterReceived):
        return message.sender_name.strip()
    return ""


def _link_to_existing(
    message: InboundEvent, customer_id: UUID, version: int, now: datetime, claim_version: int
) -> list[Event]:
    key = message.address_key
    common = {
        "customer_id": customer_id,
        "occurred_at": message.occurred_at,
        "recorded_at": now,
        "causation_id": message.event_id,
        "correlation_id": message.correlation_id or message.event_id,
    }
    return [
        ChannelAddressLinked(
            event_id=provider_event_id("contacthub", "link", str(customer_id), key),
            originator_id=customer_id,
            originator_version=version + 1,
            channel=message.channel,
            address=message.from_address,
            address_key=key,
            **common,
        ),
        AddressClaimed(
            event_id=claim_event_id(key, claim_version),
            originator_id=address_claim_id(key),
            originator_version=claim_version,
            channel=message.channel,
            address_key=key,
            **common,
        ),
    ]
