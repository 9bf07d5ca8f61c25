"""History use cases: the customer as of an instant, merge and unmerge.

The as-of view folds the event store's events (not a read model), so it shows
what the hub knew then even if a read table were to drift. Merge and unmerge
append one event each to the absorbed customer's stream; the read models
follow them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from domain.merges import MergeRefused, plan_merge, plan_unmerge
from projections.customer360.as_of import HistoryFold
from services.app.errors import CommandRefused, CustomerNotFound
from services.app.intake.recorder import Recorder
from services.infra.eventstore import EventStore

# Events read from the notification log per query while folding.
PAGE = 2000


@dataclass(frozen=True)
class MergeDone:
    merge_id: UUID
    customer_id: UUID
    other_customer_id: UUID
    notification_id: int


class History:
    def __init__(
        self,
        store: EventStore,
        recorder: Recorder,
        clock: Callable[[], datetime],
        merged_customer: Callable[[UUID], UUID | None],
    ) -> None:
        """`merged_customer` finds the absorbed customer of a merge id (the
        identity index); the decision itself is checked against their stream."""
        self.store = store
        self.recorder = recorder
        self.clock = clock
        self.merged_customer = merged_customer

    def as_of(self, customer_id: UUID, at: datetime) -> dict[str, Any] | None:
        """The 360 as the hub knew it at `at` (whole timeline, newest first), or
        None if the hub did not know the customer then.

        It reads the whole log: an audit question, not the agent's hot path."""
        fold = HistoryFold(at)
        position = 0
        while True:
            page = self.store.notifications(position, PAGE)
            if not page:
                break
            fold.feed(event for _, event in page)
            position = page[-1][0]
        return fold.view(customer_id)

    def merge(self, customer_id: UUID, other_id: UUID, *, agent: str | None) -> MergeDone:
        streams = self.store.streams([customer_id, other_id])
        for known in (customer_id, other_id):
            if known not in streams:
                raise CustomerNotFound(str(known))
        merge_id = uuid4()
        try:
            event = plan_merge(
                customer_id,
                streams[customer_id],
                other_id,
                streams.get(other_id, []),
                merge_id=merge_id,
                now=self.clock(),
                agent=agent,
            )
        except MergeRefused as exc:
            raise CommandRefused(str(exc)) from exc
        ids = self.recorder.append([event]).notification_ids
        return MergeDone(merge_id, customer_id, other_id, max(ids, default=0))

    def unmerge(self, customer_id: UUID, merge_id: UUID, *, agent: str | None) -> MergeDone:
        if not self.store.exists(customer_id):
            raise CustomerNotFound(str(customer_id))
        other_id = self.merged_customer(merge_id)
        if other_id is None:
            raise CommandRefused(f"no merge {merge_id}")
        try:
            event = plan_unmerge(
                customer_id,
                other_id,
                self.store.stream(other_id),
                merge_id=merge_id,
                event_id=uuid4(),
                now=self.clock(),
                agent=agent,
            )
        except MergeRefused as exc:
            raise CommandRefused(str(exc)) from exc
        ids = self.recorder.append([event]).notification_ids
        return MergeDone(merge_id, customer_id, other_id, max(ids, default=0))
