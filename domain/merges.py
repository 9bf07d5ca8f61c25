"""Merge and unmerge: pure decisions over the two customers' streams.

A merge is recorded on the absorbed customer's stream, so two agents merging
the same customer at once collide on its next version and one of them loses.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from events import CustomerRegistered, CustomersMerged, CustomersUnmerged, Event


class MergeRefused(ValueError):
    """The merge or unmerge cannot be done; the message says why."""


@dataclass(frozen=True)
class ActiveMerge:
    merge_id: UUID
    into_customer_id: UUID


def active_merge(history: Sequence[Event]) -> ActiveMerge | None:
    """The merge the customer is part of now (the latest merge not undone), if any."""
    current: ActiveMerge | None = None
    for event in history:
        if isinstance(event, CustomersMerged):
            current = ActiveMerge(event.merge_id, event.into_customer_id)
        elif (
            isinstance(event, CustomersUnmerged) and current and current.merge_id == event.merge_id
        ):
            current = None
    return current


def _is_customer(history: Sequence[Event]) -> bool:
    return bool(history) and isinstance(history[0], CustomerRegistered)


def plan_merge(
    into_id: UUID,
    into_history: Sequence[Event],
    other_id: UUID,
    other_history: Sequence[Event],
    *,
    merge_id: UUID,
    now: datetime,
    agent: str | None,
) -> CustomersMerged:
    """The event that makes `other` part of `into`, or MergeRefused with the reason."""
    if into_id == other_id:
        raise MergeRefused("a customer cannot be merged with themselves")
    if not _is_customer(other_history):
        raise MergeRefused(f"no customer {other_id} to merge")
    if (merged := active_merge(into_history)) is not None:
        raise MergeRefused(
            f"customer {into_id} is itself merged into {merged.into_customer_id}: merge into that"
        )
    if (merged := active_merge(other_history)) is not None:
        raise MergeRefused(
            f"customer {other_id} is already merged into {merged.into_customer_id}"
            f" (merge {merged.merge_id})"
        )
    return CustomersMerged(
        event_id=merge_id,
        originator_id=other_id,
        originator_version=other_history[-1].originator_version + 1,
        customer_id=other_id,
        occurred_at=now,
        recorded_at=now,
        merge_id=merge_id,
        into_customer_id=into_id,
        merged_by=agent,
    )


def plan_unmerge(
    into_id: UUID,
    other_id: UUID,
    other_history: Sequence[Event],
    *,
    merge_id: UUID,
    event_id: UUID,
    now: datetime,
    agent: str | None,
) -> CustomersUnmerged:
    """The event that undoes merge `merge_id` of `other` into `into`, or MergeRefused."""
    merged = active_merge(other_history)
    if merged is None or merged.merge_id != merge_id:
        raise MergeRefused(f"merge {merge_id} is not in force (never made, or already undone)")
    if merged.into_customer_id != into_id:
        raise MergeRefused(f"merge {merge_id} merged into {merged.into_customer_id}, not {into_id}")
    return CustomersUnmerged(
        event_id=event_id,
        originator_id=other_id,
        originator_version=other_history[-1].originator_version + 1,
        customer_id=other_id,
        occurred_at=now,
        recorded_at=now,
        merge_id=merge_id,
        from_customer_id=into_id,
        unmerged_by=agent,
    )
