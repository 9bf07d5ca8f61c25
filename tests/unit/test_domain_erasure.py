"""The pure decisions of erasure and retention: who holds an address after an
erasure, what an erasure records, whom the retention policy names."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

from domain.contacts import plan_inbound
from domain.erasure import (
    RetentionPolicy,
    claim_of,
    due_for_retention,
    is_erased,
    plan_erasure,
)
from events import (
    AddressClaimed,
    AddressReleased,
    CustomerErased,
    Event,
    SmsReceived,
    address_claim_id,
    customer_id_for_address,
    provider_event_id,
)

AT = datetime(2026, 3, 31, 12, 0, tzinfo=UTC)


def first_contact(key: str = "k-1", sid: str = "SM" + "1" * 32) -> list[Event]:
    event_id = provider_event_id("twilio", "message", sid)
    message = SmsReceived(
        event_id=event_id,
        originator_id=event_id,
        occurred_at=AT,
        provider_message_id=sid,
        from_address="+4917600000001",
        to_address="+4930901820",
        address_key=key,
        body="Hallo",
    )
    plan = plan_inbound(message, claimed_by=None, already_recorded=False, now=AT)
    assert plan is not None
    return plan.events


def streams(events: list[Event]) -> dict[object, list[Event]]:
    found: dict[object, list[Event]] = {}
    for event in events:
        found.setdefault(event.originator_id, []).append(event)
    return found


def test_an_erasure_releases_the_claims_and_then_closes_the_stream() -> None:
    events = first_contact()
    customer = events[0].originator_id
    by_stream = streams(events)
    claim_id = address_claim_id("k-1")
    decided = plan_erasure(
        customer,
        by_stream[customer],
        {claim_id: by_stream[claim_id]},
        reason="ticket 1",
        erased_by="root",
        now=AT,
    )
    assert [type(e) for e in decided] == [AddressReleased, CustomerErased]
    release, erased = decided
    assert (release.originator_id, release.originator_version) == (claim_id, 2)
    assert erased.originator_version == by_stream[customer][-1].originator_version + 1
    assert isinstance(erased, CustomerErased) and erased.addresses_released == 1
    assert is_erased([*by_stream[customer], erased])
    # Erasing twice records nothing.
    assert (
        plan_erasure(
            customer, [*by_stream[customer], erased], {}, reason="x", erased_by="r", now=AT
        )
        == []
    )


def test_a_claim_held_by_someone_else_is_not_released() -> None:
    events = first_contact()
    by_stream = streams(events)
    claim_id = address_claim_id("k-1")
    other = uuid4()
    decided = plan_erasure(
        events[0].originator_id,
        by_stream[events[0].originator_id],
        {claim_id: [e.model_copy(update={"customer_id": other}) for e in by_stream[claim_id]]},
        reason="ticket 1",
        erased_by="root",
        now=AT,
    )
    assert [type(e) for e in decided] == [CustomerErased]


def test_after_a_release_a_new_contact_claims_the_next_version_for_a_new_customer() -> None:
    events = first_contact()
    customer = events[0].originator_id
    by_stream = streams(events)
    claim_id = address_claim_id("k-1")
    release, _erased = plan_erasure(
        customer,
        by_stream[customer],
        {claim_id: by_stream[claim_id]},
        reason="t",
        erased_by="r",
        now=AT,
    )
    claim = claim_of([*by_stream[claim_id], release])
    assert claim.owner is None and claim.next_version == 3 and claim.generation == 1
    assert claim.new_customer_id("k-1") == customer_id_for_address("k-1", 1) != customer
    again = first_contact(sid="SM" + "2" * 32)[-1]
    assert isinstance(again, SmsReceived)
    plan = plan_inbound(
        again.model_copy(update={"customer_id": None, "originator_version": 1}),
        claimed_by=None,
        already_recorded=False,
        now=AT,
        claim_version=claim.next_version,
        generation=claim.generation,
    )
    assert plan is not None and plan.customer_id == claim.new_customer_id("k-1")
    [reclaim] = [e for e in plan.events if isinstance(e, AddressClaimed)]
    assert reclaim.originator_version == 3 and reclaim.event_id != by_stream[claim_id][0].event_id
    assert claim_of([*by_stream[claim_id], release, reclaim]).owner == plan.customer_id


def test_retention_counts_calendar_months_from_the_last_contact() -> None:
    policy = RetentionPolicy(months=1)
    assert policy.cutoff(AT) == datetime(2026, 2, 28, 12, 0, tzinfo=UTC)  # 31 March - 1 month
    assert RetentionPolicy(months=14).cutoff(AT) == datetime(2025, 1, 31, 12, 0, tzinfo=UTC)
    created = datetime(2025, 1, 1, tzinfo=UTC)
    assert due_for_retention(datetime(2026, 2, 27, tzinfo=UTC), created, policy, AT)
    assert not due_for_retention(datetime(2026, 3, 1, tzinfo=UTC), created, policy, AT)
    assert due_for_retention(None, created, policy, AT)  # never contacted: from creation
    assert not due_for_retention(None, datetime(2026, 3, 30, tzinfo=UTC), policy, AT)
