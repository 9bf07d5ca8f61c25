"""Status callbacks applied monotonically, whatever order and repetition they come in."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID, uuid4

from hypothesis import given
from hypothesis import strategies as st

from domain.messages import STATUS_RANK, decide_status_change, fold
from events import Event, SmsSent, SmsStatus, SmsStatusChanged, provider_event_id

AT = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
SID = "SM" + "a" * 32


def sent(interaction: UUID, customer: UUID) -> SmsSent:
    return SmsSent(
        event_id=interaction,
        originator_id=interaction,
        customer_id=customer,
        occurred_at=AT,
        to_address="+4917612345678",
        from_address="+4930901820",
        body="Hallo",
    )


def callback(interaction: UUID, status: SmsStatus) -> SmsStatusChanged:
    return SmsStatusChanged(
        event_id=provider_event_id("twilio", "message-status", SID, status.value),
        originator_id=interaction,
        occurred_at=AT,
        status=status,
        provider_message_id=SID,
    )


def apply_all(callbacks: list[SmsStatus]) -> list[Event]:
    interaction, customer = uuid4(), uuid4()
    stream: list[Event] = [sent(interaction, customer)]
    for status in callbacks:
        stream += decide_status_change(fold(stream), callback(interaction, status))
    return stream


@given(st.lists(st.sampled_from(list(SmsStatus)), max_size=12))
def test_the_recorded_statuses_only_ever_rise(callbacks: list[SmsStatus]) -> None:
    stream = apply_all(callbacks)
    ranks = [STATUS_RANK[e.status] for e in stream if isinstance(e, SmsStatusChanged)]
    assert ranks == sorted(set(ranks))
    assert [e.originator_version for e in stream] == list(range(1, len(stream) + 1))
    state = fold(stream)
    assert state is not None
    best = max((STATUS_RANK[s] for s in callbacks), default=0)
    assert STATUS_RANK[state.status] == best


@given(st.permutations([SmsStatus.QUEUED, SmsStatus.SENT, SmsStatus.DELIVERED]))
def test_any_arrival_order_ends_delivered(order: list[SmsStatus]) -> None:
    state = fold(apply_all([*order, *order]))
    assert state is not None and state.status is SmsStatus.DELIVERED


def test_a_repeated_callback_records_nothing() -> None:
    stream = apply_all([SmsStatus.QUEUED])
    again = decide_status_change(fold(stream), callback(stream[0].originator_id, SmsStatus.QUEUED))
    assert again == []
