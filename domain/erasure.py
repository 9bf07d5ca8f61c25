"""Erasure and retention: the pure decisions (who owns an address after an
erasure, what erasing a customer records, who the retention policy erases).

The I/O (destroying the key, deleting blobs, compacting the databases) is the
use case's, in services/app/erasure.py.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from events import (
    AddressClaimed,
    AddressReleased,
    CustomerErased,
    CustomerRegistered,
    Event,
    customer_id_for_address,
    provider_event_id,
)

ERASED_REFUSAL = (
    "the customer was erased: nothing is sent to them or their former addresses "
    "(a new contact from an address makes a new customer)"
)


@dataclass(frozen=True)
class Claim:
    """Where an address's claim stream stands.

    `owner` is the customer holding the address now (None: free); a new claim
    is written at `next_version`, and a customer first created for the address
    gets the id of `generation` (0 until the address was first released), so
    a contact after an erasure never lands on the erased customer again.
    """

    owner: UUID | None
    next_version: int
    generation: int

    def new_customer_id(self, address_key: str) -> UUID:
        return customer_id_for_address(address_key, self.generation)


def claim_of(stream: Sequence[Event]) -> Claim:
    """Folds an address claim stream: the last claim holds until a release."""
    owner: UUID | None = None
    generation = 0
    for event in stream:
        if isinstance(event, AddressClaimed):
            owner = event.customer_id
        elif isinstance(event, AddressReleased):
            owner = None
            generation += 1
    version = stream[-1].originator_version + 1 if stream else 1
    return Claim(owner, version, generation)


def claim_event_id(address_key: str, version: int) -> UUID:
    """The claim's event id: the first one's as it always was, later ones by version."""
    if version == 1:
        return provider_event_id("contacthub", "claim", address_key)
    return provider_event_id("contacthub", "claim", address_key, str(version))


def is_erased(history: Sequence[Event]) -> bool:
    """Whether a customer stream records an erasure (nothing may be sent to them)."""
    return any(isinstance(event, CustomerErased) for event in history)


def plan_erasure(
    customer_id: UUID,
    history: Sequence[Event],
    claims: Mapping[UUID, Sequence[Event]],
    *,
    reason: str,
    erased_by: str,
    now: datetime,
) -> list[Event]:
    """The events an erasure records: each address claim the customer holds is
    released, then the erasure itself closes the customer's stream. Empty if the
    customer was erased before (erasing twice changes nothing)."""
    if not history or is_erased(history):
        return []
    common = {"customer_id": customer_id, "occurred_at": now, "recorded_at": now}
    releases: list[Event] = []
    for claim_id, stream in sorted(claims.items()):
        claim = claim_of(stream)
        last = stream[-1] if stream else None
        if claim.owner != customer_id or not isinstance(last, AddressClaimed):
            continue
        releases.append(
            AddressReleased(
                event_id=provider_event_id(
                    "contacthub", "release", str(claim_id), str(customer_id)
                ),
                originator_id=claim_id,
                originator_version=claim.next_version,
                channel=last.channel,
                address_key=last.address_key,
                **common,
            )
        )
    erased = CustomerErased(
        event_id=provider_event_id("contacthub", "erasure", str(customer_id)),
        originator_id=customer_id,
        originator_version=history[-1].originator_version + 1,
        reason=reason,
        erased_by=erased_by,
        addresses_released=len(releases),
        **common,
    )
    return [*releases, erased]


@dataclass(frozen=True)
class RetentionPolicy:
    """Erase customers with no contact for `months` months (counted from their
    last contact, or from their registration if they never had one)."""

    months: int

    def cutoff(self, now: datetime) -> datetime:
        # Calendar months, the day clamped to the month's length (31 March - 1 = 28/29 Feb).
        months = now.year * 12 + now.month - 1 - self.months
        year, month = divmod(months, 12)
        day = min(now.day, calendar.monthrange(year, month + 1)[1])
        return now.replace(year=year, month=month + 1, day=day)


def due_for_retention(
    last_contact_at: datetime | None, created_at: datetime, policy: RetentionPolicy, now: datetime
) -> bool:
    """Whether the policy erases a customer whose last contact (else creation) was then."""
    return (last_contact_at or created_at) < policy.cutoff(now)


def registered_at(history: Sequence[Event]) -> datetime | None:
    for event in history:
        if isinstance(event, CustomerRegistered):
            return event.occurred_at
    return None
