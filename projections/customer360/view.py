"""The customer 360 read model and its queries.

Tables: one row per customer (profile, last contact, totals), counts per
channel and direction, and the timeline (one row per interaction, its status
moved forward monotonically). Timeline pages are keyed by (occurred_at,
interaction_id), so a page costs the same however long the history is.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from eventsourcing.sqlite import SQLiteDatastore, SQLiteTrackingRecorder

from events import CustomerRegistered, Event
from projections.customer360.rows import status_update, timeline_entry, utc_iso
from projections.sql import Cursor, SqlRunner
from projections.view import SqlView

_INSERT_CUSTOMER = (
    "INSERT INTO c360_customers (customer_id, display_name, language, source_channel,"
    " created_at, last_contact_at, interaction_count)"
    " VALUES (%(id)s, %(name)s, %(language)s, %(source)s, %(at)s, NULL, 0)"
    " ON CONFLICT (customer_id) DO NOTHING"
)
_INSERT_TIMELINE = (
    "INSERT INTO c360_timeline (interaction_id, customer_id, occurred_at, channel, direction,"
    " status, status_rank, summary, address, provider_id, agent, error, conversation_id)"
    " VALUES (%(interaction_id)s, %(customer_id)s, %(occurred_at)s, %(channel)s, %(direction)s,"
    " %(status)s, %(status_rank)s, %(summary)s, %(address)s, %(provider_id)s, %(agent)s, NULL,"
    " %(conversation_id)s)"
    " ON CONFLICT (interaction_id) DO NOTHING"
)
_COUNT = (
    "INSERT INTO c360_channel_counts (customer_id, channel, direction, count)"
    " VALUES (%(customer_id)s, %(channel)s, %(direction)s, 1)"
    " ON CONFLICT (customer_id, channel, direction) DO UPDATE"
    " SET count = c360_channel_counts.count + 1"
)
_TOUCH = (
    "UPDATE c360_customers SET interaction_count = interaction_count + 1,"
    " last_contact_at = CASE WHEN last_contact_at IS NULL OR last_contact_at < %(occurred_at)s"
    " THEN %(occurred_at)s ELSE last_contact_at END"
    " WHERE customer_id = %(customer_id)s"
)
_STATUS = (
    "UPDATE c360_timeline SET status = %(status)s, status_rank = %(rank)s,"
    " provider_id = COALESCE(%(provider_id)s, provider_id), error = COALESCE(%(error)s, error)"
    " WHERE interaction_id = %(id)s AND status_rank < %(rank)s"
)


class Customer360(SqlView):
    name = "customer360"
    tables: ClassVar[dict[str, str]] = {
        "c360_customers": "customer_id",
        "c360_channel_counts": "customer_id, channel, direction",
        "c360_timeline": "interaction_id",
    }
    create_statements = (
        "CREATE TABLE IF NOT EXISTS c360_customers ("
        " customer_id TEXT PRIMARY KEY, display_name TEXT NOT NULL, language TEXT,"
        " source_channel TEXT, created_at TEXT NOT NULL, last_contact_at TEXT,"
        " interaction_count BIGINT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS c360_customers_name ON c360_customers (lower(display_name))",
        "CREATE TABLE IF NOT EXISTS c360_channel_counts ("
        " customer_id TEXT NOT NULL, channel TEXT NOT NULL, direction TEXT NOT NULL,"
        " count BIGINT NOT NULL, PRIMARY KEY (customer_id, channel, direction))",
        "CREATE TABLE IF NOT EXISTS c360_timeline ("
        " interaction_id TEXT PRIMARY KEY, customer_id TEXT NOT NULL, occurred_at TEXT NOT NULL,"
        " channel TEXT NOT NULL, direction TEXT NOT NULL, status TEXT NOT NULL,"
        " status_rank BIGINT NOT NULL, summary TEXT NOT NULL, address TEXT NOT NULL,"
        " provider_id TEXT, agent TEXT, error TEXT, conversation_id TEXT)",
        "CREATE INDEX IF NOT EXISTS c360_timeline_page"
        " ON c360_timeline (customer_id, occurred_at DESC, interaction_id DESC)",
    )

    def apply(self, cursor: Cursor, events: Sequence[Event]) -> None:
        for event in events:
            if isinstance(event, CustomerRegistered):
                self.db.run(
                    cursor,
                    _INSERT_CUSTOMER,
                    {
                        "id": str(event.originator_id),
                        "name": event.display_name,
                        "language": event.language,
                        "source": event.source_channel,
                        "at": utc_iso(event),
                    },
                )
                continue
            entry = timeline_entry(event)
            if entry is not None:
                row = entry.as_row()
                self.db.run(cursor, _INSERT_TIMELINE, row)
                self.db.run(cursor, _COUNT, row)
                self.db.run(cursor, _TOUCH, row)
                continue
            update = status_update(event)
            if update is not None:
                self.db.run(cursor, _STATUS, update)

    # Queries -------------------------------------------------------------

    def customer(self, customer_id: UUID) -> dict[str, Any] | None:
        rows = self.db.query(
            "SELECT * FROM c360_customers WHERE customer_id = %(id)s", {"id": str(customer_id)}
        )
        return rows[0] if rows else None

    def channel_counts(self, customer_id: UUID) -> list[dict[str, Any]]:
        return self.db.query(
            "SELECT channel, direction, count FROM c360_channel_counts"
            " WHERE customer_id = %(id)s ORDER BY channel, direction",
            {"id": str(customer_id)},
        )

    def timeline(
        self, customer_id: UUID, limit: int, before: tuple[str, str] | None = None
    ) -> list[dict[str, Any]]:
        """Newest first; `before` is the (occurred_at, interaction_id) of the last row seen."""
        if before is None:
            return self.db.query(
                "SELECT * FROM c360_timeline WHERE customer_id = %(id)s"
                " ORDER BY occurred_at DESC, interaction_id DESC LIMIT %(limit)s",
                {"id": str(customer_id), "limit": limit},
            )
        return self.db.query(
            "SELECT * FROM c360_timeline WHERE customer_id = %(id)s"
            " AND (occurred_at < %(at)s OR (occurred_at = %(at)s AND interaction_id < %(iid)s))"
            " ORDER BY occurred_at DESC, interaction_id DESC LIMIT %(limit)s",
            {"id": str(customer_id), "limit": limit, "at": before[0], "iid": before[1]},
        )

    def interaction(self, interaction_id: UUID) -> dict[str, Any] | None:
        rows = self.db.query(
            "SELECT * FROM c360_timeline WHERE interaction_id = %(id)s",
            {"id": str(interaction_id)},
        )
        return rows[0] if rows else None

    def search(self, text: str, phone: str | None, limit: int) -> list[dict[str, Any]]:
        """Customers whose name or any address contains the text (case-insensitive),
        or who own the phone number given in E.164."""
        pattern = "%" + text.lower().replace("%", "").replace("_", "") + "%"
        return self.db.query(
            "SELECT c.* FROM c360_customers c WHERE lower(c.display_name) LIKE %(p)s"
            " OR c.customer_id IN (SELECT customer_id FROM identity_addresses"
            "  WHERE lower(address) LIKE %(p)s OR address = %(phone)s)"
            " ORDER BY c.last_contact_at IS NULL, c.last_contact_at DESC, c.customer_id"
            " LIMIT %(limit)s",
            {"p": pattern, "phone": phone or "", "limit": limit},
        )


class Customer360SQLite(Customer360, SQLiteTrackingRecorder):
    def __init__(self, datastore: SQLiteDatastore, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        self.db = SqlRunner(datastore, "sqlite")


class Customer360Postgres(Customer360, PostgresTrackingRecorder):
    def __init__(self, datastore: PostgresDatastore, **kwargs: Any) -> None:
        kwargs.setdefault("tracking_table_name", "view_tracking")
        super().__init__(datastore, **kwargs)
        self.db = SqlRunner(datastore, "postgres")
