"""Identity index: address -> customer, searchable by the plain address.

The write side decides ownership through address claims; this view makes the
addresses findable (search by phone or email) and lists each customer's
addresses for the 360 view.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from eventsourcing.sqlite import SQLiteDatastore, SQLiteTrackingRecorder

from events import ChannelAddressLinked, CustomersMerged, CustomersUnmerged, Event
from projections.identity.merges import MEMBERS, MERGES_INDEX, MERGES_TABLE
from projections.sql import Cursor, Sql
from projections.view import SqlView

_COLUMNS = (
    ("address_key", "text"),
    ("customer_id", "text"),
    ("channel", "text"),
    ("address", "text"),
    ("linked_at", "text"),
)


class IdentityIndex(SqlView):
    name = "identity"
    tables: ClassVar[dict[str, str]] = {
        "identity_addresses": "address_key",
        "customer_merges": "merge_id",
    }
    create_statements = (
        "CREATE TABLE IF NOT EXISTS identity_addresses ("
        " address_key TEXT PRIMARY KEY, customer_id TEXT NOT NULL, channel TEXT NOT NULL,"
        " address TEXT NOT NULL, linked_at TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS identity_addresses_customer"
        " ON identity_addresses (customer_id)",
        "CREATE INDEX IF NOT EXISTS identity_addresses_address ON identity_addresses (address)",
        MERGES_TABLE,
        MERGES_INDEX,
    )
    # Merges nest (A into B, then B into C); deeper than this is a cycle.
    max_merge_depth: ClassVar[int] = 64

    def apply(self, cursor: Cursor, events: Sequence[Event]) -> None:
        # One row per address, as if linked one by one: the address keeps its
        # first linked_at, the last link names the owner (and one statement
        # cannot update the same row twice).
        rows: dict[str, dict[str, Any]] = {}
        for e in events:
            if isinstance(e, CustomersMerged | CustomersUnmerged):
                self._apply_merge(cursor, e)
                continue
            if not isinstance(e, ChannelAddressLinked):
                continue
            owner = {"customer_id": str(e.customer_id), "address": e.address}
            row = rows.get(e.address_key)
            if row is None:
                rows[e.address_key] = {
                    "address_key": e.address_key,
                    "channel": e.channel,
                    "linked_at": e.occurred_at.isoformat(),
                    **owner,
                }
            else:
                row.update(owner)
        self.db.insert_rows(
            cursor,
            "identity_addresses",
            _COLUMNS,
            list(rows.values()),
            "ON CONFLICT (address_key) DO UPDATE SET customer_id = excluded.customer_id,"
            " address = excluded.address",
        )

    def _apply_merge(self, cursor: Cursor, e: CustomersMerged | CustomersUnmerged) -> None:
        # Merges are rare: one statement each keeps a merge and its undoing in
        # one batch in order.
        if isinstance(e, CustomersMerged):
            self.db.run(
                cursor,
                "INSERT INTO customer_merges (merge_id, customer_id, other_customer_id, merged_at)"
                " VALUES (%(m)s, %(into)s, %(other)s, %(at)s) ON CONFLICT (merge_id) DO NOTHING",
                {
                    "m": str(e.merge_id),
                    "into": str(e.into_customer_id),
                    "other": str(e.customer_id),
                    "at": e.occurred_at.isoformat(),
                },
            )
        else:
            self.db.run(
                cursor,
                "UPDATE customer_merges SET unmerged_at = %(at)s WHERE merge_id = %(m)s",
                {"m": str(e.merge_id), "at": e.occurred_at.isoformat()},
            )

    def forget(self, cursor: Cursor, customer_id: str) -> None:
        # The erased customer's addresses are no longer findable nor theirs;
        # the claim streams were released, so a new contact links them anew.
        self.db.run(
            cursor, "DELETE FROM identity_addresses WHERE customer_id = %(id)s", {"id": customer_id}
        )

    def addresses_of(self, customer_id: UUID) -> list[dict[str, Any]]:
        """The addresses of the customer and of everyone merged into them."""
        return self.db.query(
            "SELECT channel, address, linked_at FROM identity_addresses"
            f" WHERE customer_id IN ({MEMBERS}) ORDER BY linked_at, channel, address",
            {"id": str(customer_id)},
        )

    def channels_by_customer(self) -> dict[str, set[str]]:
        """customer -> the channels they have an address on (segments filter on them)."""
        found: dict[str, set[str]] = {}
        for row in self.db.query("SELECT customer_id, channel FROM identity_addresses"):
            found.setdefault(row["customer_id"], set()).add(row["channel"])
        return found

    def customer_for(self, channel: str, address: str) -> UUID | None:
        """The customer an address's contacts show under: its owner, or whoever
        the owner is merged into."""
        rows = self.db.query(
            "SELECT customer_id FROM identity_addresses"
            " WHERE channel = %(channel)s AND address = %(address)s",
            {"channel": channel, "address": address},
        )
        return self.shown_as(UUID(rows[0]["customer_id"])) if rows else None

    def merged_into(self, customer_id: UUID) -> tuple[UUID, UUID] | None:
        """(merge id, customer) of the merge in force that absorbed this customer."""
        rows = self.db.query(
            "SELECT merge_id, customer_id FROM customer_merges"
            " WHERE other_customer_id = %(id)s AND unmerged_at IS NULL",
            {"id": str(customer_id)},
        )
        return (UUID(rows[0]["merge_id"]), UUID(rows[0]["customer_id"])) if rows else None

    def shown_as(self, customer_id: UUID) -> UUID:
        """The customer whose views show this one: itself unless merged away."""
        current = customer_id
        for _ in range(self.max_merge_depth):
            found = self.merged_into(current)
            if found is None or found[1] == customer_id:
                return current
            current = found[1]
        return current

    def merge(self, merge_id: UUID) -> dict[str, Any] | None:
        rows = self.db.query(
            "SELECT * FROM customer_merges WHERE merge_id = %(m)s", {"m": str(merge_id)}
        )
        return rows[0] if rows else None

    def merges_into(self, customer_id: UUID) -> list[dict[str, Any]]:
        """The merges in force whose absorbed customers show as this one."""
        return self.db.query(
            "SELECT merge_id, other_customer_id, merged_at FROM customer_merges"
            f" WHERE unmerged_at IS NULL AND customer_id IN ({MEMBERS})"
            " ORDER BY merged_at, merge_id",
            {"id": str(customer_id)},
        )


class IdentityIndexSQLite(IdentityIndex, SQLiteTrackingRecorder):
    def __init__(self, datastore: SQLiteDatastore, *, db: Sql, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        self.db = db


class IdentityIndexPostgres(IdentityIndex, PostgresTrackingRecorder):
    def __init__(self, datastore: PostgresDatastore, *, db: Sql, **kwargs: Any) -> None:
        kwargs.setdefault("tracking_table_name", "view_tracking")
        super().__init__(datastore, **kwargs)
        self.db = db
