"""Merge and unmerge decisions: pure functions of the two customers' streams."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID, uuid4

import pytest

from domain.merges import MergeRefused, active_merge, plan_merge, plan_unmerge
from events import CustomerRegistered, Event

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def registered(customer_id: UUID) -> list[Event]:
    return [
        CustomerRegistered(
            event_id=uuid4(), originator_id=customer_id, customer_id=customer_id, occurred_at=AT
        )
    ]


def test_a_merge_goes_on_the_absorbed_stream_and_an_unmerge_undoes_exactly_that_merge() -> None:
    a, b = uuid4(), uuid4()
    history_a, history_b = registered(a), registered(b)
    merge_id = uuid4()
    merged = plan_merge(a, history_a, b, history_b, merge_id=merge_id, now=AT, agent="anna")
    assert (merged.originator_id, merged.originator_version, merged.customer_id) == (b, 2, b)
    assert merged.into_customer_id == a and merged.merge_id == merge_id
    history_b.append(merged)
    assert active_merge(history_b) is not None
    # B cannot be merged twice; A cannot be merged into B while B is merged away.
    with pytest.raises(MergeRefused, match="already merged"):
        plan_merge(a, history_a, b, history_b, merge_id=uuid4(), now=AT, agent=None)
    with pytest.raises(MergeRefused, match="itself merged"):
        plan_merge(b, history_b, a, history_a, merge_id=uuid4(), now=AT, agent=None)
    # Only that merge, into that customer, can be undone.
    with pytest.raises(MergeRefused, match="not in force"):
        plan_unmerge(a, b, history_b, merge_id=uuid4(), event_id=uuid4(), now=AT, agent=None)
    with pytest.raises(MergeRefused, match="not"):
        plan_unmerge(uuid4(), b, history_b, merge_id=merge_id, event_id=uuid4(), now=AT, agent=None)
    undone = plan_unmerge(a, b, history_b, merge_id=merge_id, event_id=uuid4(), now=AT, agent="x")
    assert undone.originator_version == 3 and undone.from_customer_id == a
    history_b.append(undone)
    assert active_merge(history_b) is None
    with pytest.raises(MergeRefused, match="not in force"):
        plan_unmerge(a, b, history_b, merge_id=merge_id, event_id=uuid4(), now=AT, agent=None)
    # Split again, B may be merged anew (a new merge id).
    again = plan_merge(a, history_a, b, history_b, merge_id=uuid4(), now=AT, agent=None)
    assert again.originator_version == 4


def test_a_customer_is_not_merged_with_themselves_nor_with_nobody() -> None:
    a = uuid4()
    with pytest.raises(MergeRefused, match="themselves"):
        plan_merge(a, registered(a), a, registered(a), merge_id=uuid4(), now=AT, agent=None)
    with pytest.raises(MergeRefused, match="no customer"):
        plan_merge(a, registered(a), uuid4(), [], merge_id=uuid4(), now=AT, agent=None)
