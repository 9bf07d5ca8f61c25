"""Which cases each customer has: the complaint intake's own lookup and position.

The intake follows the notification log and decides for each customer message
whether it joins a case or opens one. It must see its own decisions at once
(a follow-up may arrive before the projector ran), so it keeps this small index
itself, written with its position in one transaction. It is not a read model
for the API and is not dropped by `contacthub replay`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from eventsourcing.sqlite import SQLiteDatastore, SQLiteTrackingRecorder

from events import ComplaintOpened, Event
from projections.sql import Cursor, Sql
from projections.view import SqlView


class CustomerCaseIndex(SqlView):
    name = "complaint-intake"
    tables: ClassVar[dict[str, str]] = {"complaint_case_index": "customer_id, complaint_id"}
    create_statements = (
        "CREATE TABLE IF NOT EXISTS complaint_case_index ("
        " customer_id TEXT NOT NULL, complaint_id TEXT NOT NULL,"
        " PRIMARY KEY (customer_id, complaint_id))",
    )

    def apply(self, cursor: Cursor, events: Sequence[Event]) -> None:
        rows = [
            {"customer": str(e.customer_id), "complaint": str(e.originator_id)}
            for e in events
            if isinstance(e, ComplaintOpened)
        ]
        self.db.run_many(
            cursor,
            "INSERT INTO complaint_case_index (customer_id, complaint_id)"
            " VALUES (%(customer)s, %(complaint)s) ON CONFLICT DO NOTHING",
            rows,
        )

    def cases_of(self, customer_id: UUID) -> list[UUID]:
        return sorted(self.cases_of_many([customer_id]).get(customer_id, set()))

    def cases_of_many(self, customer_ids: Iterable[UUID]) -> dict[UUID, set[UUID]]:
        """Each customer's cases, in one query for a whole batch of messages
        (those without a case are absent)."""
        ids = sorted({str(c) for c in customer_ids})
        if not ids:
            return {}
        rows = self.db.query(
            "SELECT customer_id, complaint_id FROM complaint_case_index"
            " WHERE customer_id = ANY(%(ids)s)",
            {"ids": ids},
        )
        found: dict[UUID, set[UUID]] = {}
        for row in rows:
            found.setdefault(UUID(row["customer_id"]), set()).add(UUID(row["complaint_id"]))
        return found


class CustomerCaseIndexSQLite(CustomerCaseIndex, SQLiteTrackingRecorder):
    def __init__(self, datastore: SQLiteDatastore, *, db: Sql, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        self.db = db


class CustomerCaseIndexPostgres(CustomerCaseIndex, PostgresTrackingRecorder):
    def __init__(self, datastore: PostgresDatastore, *, db: Sql, **kwargs: Any) -> None:
        kwargs.setdefault("tracking_table_name", "view_tracking")
        super().__init__(datastore, **kwargs)
        self.db = db
