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

from events import ChannelAddressLinked, Event
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
    tables: ClassVar[dict[str, str]] = {"identity_addresses": "address_key"}
    create_statements = (
        "CREATE TABLE IF NOT EXISTS identity_addresses ("
        " address_key TEXT PRIMARY KEY, customer_id TEXT NOT NULL, channel TEXT NOT NULL,"
        " address TEXT NOT NULL, linked_at TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS identity_addresses_customer"
        " ON identity_addresses (customer_id)",
        "CREATE INDEX IF NOT EXISTS identity_addresses_address ON identity_addresses (address)",
    )

    def apply(self, cursor: Cursor, events: Sequence[Event]) -> None:
        # One row per address, as if linked one by one: the address keeps its
        # first linked_at, the last link names the owner (and one statement
        # cannot update the same row twice).
        rows: dict[str, dict[str, Any]] = {}
        for e in events:
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

    def addresses_of(self, customer_id: UUID) -> list[dict[str, Any]]:
        return self.db.query(
            "SELECT channel, address, linked_at FROM identity_addresses"
            " WHERE customer_id = %(id)s ORDER BY linked_at, channel, address",
            {"id": str(customer_id)},
        )

    def channels_by_customer(self) -> dict[str, set[str]]:
        """customer -> the channels they have an address on (segments filter on them)."""
        found: dict[str, set[str]] = {}
        for row in self.db.query("SELECT customer_id, channel FROM identity_addresses"):
            found.setdefault(row["customer_id"], set()).add(row["channel"])
        return found

    def customer_for(self, channel: str, address: str) -> UUID | None:
        rows = self.db.query(
            "SELECT customer_id FROM identity_addresses"
            " WHERE channel = %(channel)s AND address = %(address)s",
            {"channel": channel, "address": address},
        )
        return UUID(rows[0]["customer_id"]) if rows else None


class IdentityIndexSQLite(IdentityIndex, SQLiteTrackingRecorder):
    def __init__(self, datastore: SQLiteDatastore, *, db: Sql, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        self.db = db


class IdentityIndexPostgres(IdentityIndex, PostgresTrackingRecorder):
    def __init__(self, datastore: PostgresDatastore, *, db: Sql, **kwargs: Any) -> None:
        kwargs.setdefault("tracking_table_name", "view_tracking")
        super().__init__(datastore, **kwargs)
        self.db = db
