"""Consent per customer and channel as rows: who opted in or out of what.

The write side decides from the customer's stream (domain/consent.py); this
view lets segments (and campaigns) filter many customers on it at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from eventsourcing.sqlite import SQLiteDatastore, SQLiteTrackingRecorder

from events import ConsentChanged, Event
from projections.sql import Cursor, Sql
from projections.view import SqlView

_COLUMNS = (
    ("customer_id", "text"),
    ("channel", "text"),
    ("granted", "bigint"),
    ("changed_at", "text"),
)


class ConsentIndex(SqlView):
    name = "consent"
    tables: ClassVar[dict[str, str]] = {"consent_channels": "customer_id, channel"}
    create_statements = (
        "CREATE TABLE IF NOT EXISTS consent_channels ("
        " customer_id TEXT NOT NULL, channel TEXT NOT NULL, granted BIGINT NOT NULL,"
        " changed_at TEXT NOT NULL, PRIMARY KEY (customer_id, channel))",
    )

    def apply(self, cursor: Cursor, events: Sequence[Event]) -> None:
        # The latest decision per (customer, channel) in the batch wins, as in the
        # stream; one statement cannot update one row twice.
        latest: dict[tuple[str, str], dict[str, Any]] = {}
        for e in events:
            if isinstance(e, ConsentChanged):
                latest[(str(e.customer_id), e.channel)] = {
                    "customer_id": str(e.customer_id),
                    "channel": e.channel,
                    "granted": int(e.granted),
                    "changed_at": e.occurred_at.isoformat(),
                }
        self.db.insert_rows(
            cursor,
            "consent_channels",
            _COLUMNS,
            list(latest.values()),
            "ON CONFLICT (customer_id, channel) DO UPDATE SET granted = excluded.granted,"
            " changed_at = excluded.changed_at",
        )

    def by_customer(self) -> dict[str, dict[str, bool]]:
        """customer -> channel -> opted in (True) or out (False); absent: no decision."""
        found: dict[str, dict[str, bool]] = {}
        for row in self.db.query("SELECT customer_id, channel, granted FROM consent_channels"):
            found.setdefault(row["customer_id"], {})[row["channel"]] = bool(row["granted"])
        return found


class ConsentIndexSQLite(ConsentIndex, SQLiteTrackingRecorder):
    def __init__(self, datastore: SQLiteDatastore, *, db: Sql, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        self.db = db


class ConsentIndexPostgres(ConsentIndex, PostgresTrackingRecorder):
    def __init__(self, datastore: PostgresDatastore, *, db: Sql, **kwargs: Any) -> None:
        kwargs.setdefault("tracking_table_name", "view_tracking")
        super().__init__(datastore, **kwargs)
        self.db = db
