"""The customer 360 as the hub knew it at an instant: a fold of the events.

Nothing here reads a table. The caller feeds every event in the store's order;
the fold keeps those recorded at or before the instant (recorded time) and
orders the timeline by when things happened (occurred time), so a letter
scanned days late sorts where it was written but is absent from views as of
before its scan. The same translation functions as the live view turn events
into rows, so the fold and the live view cannot disagree on what an event means.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from events import (
    ChannelAddressLinked,
    CustomerRegistered,
    CustomersMerged,
    CustomersUnmerged,
    Event,
)
from projections.customer360.channel_rows import channel_entry, channel_status, detail_update
from projections.customer360.rows import status_update, timeline_entry, utc_iso
from projections.customer360.view import move_forward

_DETAIL_DEFAULTS = {
    "duration_seconds": None,
    "outcome": None,
    "notes": None,
    "recording_url": None,
    "transcript": None,
    "text": None,
}

# Nested merges deeper than this are a cycle.
MAX_MERGE_DEPTH = 64


def recorded_time(event: Event) -> datetime:
    """When the hub learnt of the event (events from before the field existed:
    when it happened)."""
    return event.recorded_at or event.occurred_at


@dataclass
class CustomerFold:
    """One customer's own rows, as of the instant."""

    profile: dict[str, Any] | None = None
    addresses: dict[str, dict[str, Any]] = field(default_factory=dict)
    timeline: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Kept apart, as the live view keeps them in their own table: a detail may
    # come before the row it belongs to.
    details: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class HistoryFold:
    at: datetime
    customers: dict[str, CustomerFold] = field(default_factory=dict)
    # merge id -> (into, other), for merges in force at the instant
    merges: dict[str, tuple[str, str]] = field(default_factory=dict)
    merged_at: dict[str, str] = field(default_factory=dict)

    def feed(self, events: Iterable[Event]) -> None:
        for event in events:
            if event.customer_id is not None and recorded_time(event) <= self.at:
                self._apply(event)

    def _apply(self, event: Event) -> None:
        owner = str(event.customer_id)
        fold = self.customers.setdefault(owner, CustomerFold())
        if isinstance(event, CustomerRegistered):
            fold.profile = {
                "customer_id": owner,
                "display_name": event.display_name,
                "language": event.language,
                "source_channel": event.source_channel,
                "created_at": utc_iso(event),
            }
            return
        if isinstance(event, ChannelAddressLinked):
            fold.addresses.setdefault(
                event.address_key,
                {
                    "channel": event.channel,
                    "address": event.address,
                    "linked_at": event.occurred_at.isoformat(),
                },
            )["address"] = event.address
            return
        if isinstance(event, CustomersMerged):
            self.merges[str(event.merge_id)] = (str(event.into_customer_id), owner)
            self.merged_at[str(event.merge_id)] = event.occurred_at.isoformat()
            return
        if isinstance(event, CustomersUnmerged):
            self.merges.pop(str(event.merge_id), None)
            return
        self._apply_interaction(fold, event)

    def _apply_interaction(self, fold: CustomerFold, event: Event) -> None:
        entry = timeline_entry(event) or channel_entry(event)
        if entry is not None:
            row = fold.timeline.setdefault(entry.interaction_id, entry.as_row())
            row.setdefault("error", None)
        else:
            update = status_update(event) or channel_status(event)
            known = fold.timeline.get(update["id"]) if update else None
            if update is not None and known is not None:
                move_forward(known, update)
        details = detail_update(event)
        if details is not None:
            known = fold.details.setdefault(details["interaction_id"], dict(_DETAIL_DEFAULTS))
            for column, value in details.items():
                name = "text" if column == "body_text" else column
                if value is not None and name in known:
                    known[name] = value

    # The view ---------------------------------------------------------------

    def shown_as(self, customer_id: UUID) -> str:
        """Whose view shows the customer at the instant (itself unless merged away)."""
        into_of = {other: into for into, other in self.merges.values()}
        current = str(customer_id)
        for _ in range(MAX_MERGE_DEPTH):
            if current not in into_of or into_of[current] == str(customer_id):
                break
            current = into_of[current]
        return current

    def members(self, customer_id: str) -> list[str]:
        """The customer and everyone merged into them at the instant."""
        found = [customer_id]
        for current in found:
            found += [o for into, o in self.merges.values() if into == current and o not in found]
        return found

    def view(self, customer_id: UUID) -> dict[str, Any] | None:
        """The 360 (profile, totals, addresses, counts, whole timeline newest
        first) of whoever shows the customer at the instant, or None if the hub
        did not know them yet."""
        root = self.shown_as(customer_id)
        own = self.customers.get(root)
        if own is None or own.profile is None:
            return None
        members = self.members(root)
        folds = [self.customers[m] for m in members if m in self.customers]
        timeline = [
            {**row, **f.details.get(iid, _DETAIL_DEFAULTS)}
            for f in folds
            for iid, row in f.timeline.items()
        ]
        timeline.sort(key=lambda r: (r["occurred_at"], r["interaction_id"]), reverse=True)
        counts: dict[tuple[str, str], int] = {}
        for row in timeline:
            key = (row["channel"], row["direction"])
            counts[key] = counts.get(key, 0) + 1
        addresses = sorted(
            (a for f in folds for a in f.addresses.values()),
            key=lambda a: (a["linked_at"], a["channel"], a["address"]),
        )
        return {
            **own.profile,
            "last_contact_at": timeline[0]["occurred_at"] if timeline else None,
            "interaction_count": len(timeline),
            "addresses": addresses,
            "counts": [
                {"channel": c, "direction": d, "count": n} for (c, d), n in sorted(counts.items())
            ],
            "timeline": timeline,
            # In the live view's order: when merged, then the merge's id.
            "merged": sorted(
                (
                    {"merge_id": m, "other_customer_id": other, "merged_at": self.merged_at[m]}
                    for m, (into, other) in self.merges.items()
                    if into in members
                ),
                key=lambda row: (row["merged_at"], row["merge_id"]),
            ),
        }
