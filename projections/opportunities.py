"""The opportunities read model: one row per opportunity, and each stay in a
stage (for the pipeline report's conversion and time in stage).

Rebuildable from the log like every view: the report computed after a replay
equals the one before.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar
from uuid import UUID

import orjson
from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from eventsourcing.sqlite import SQLiteDatastore, SQLiteTrackingRecorder

from events import Event, OpportunityOpened, OpportunityStageChanged
from projections.sql import Cursor, Sql
from projections.view import SqlView

CLOSING = ("won", "lost")


def iso(moment: datetime) -> str:
    """UTC with microseconds: stored times sort and compare as text."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


class Opportunities(SqlView):
    name = "opportunities"
    tables: ClassVar[dict[str, str]] = {
        "opportunities": "opportunity_id",
        "opportunity_stage_visits": "opportunity_id, seq",
    }
    create_statements = (
        "CREATE TABLE IF NOT EXISTS opportunities ("
        " opportunity_id TEXT PRIMARY KEY, customer_id TEXT NOT NULL, title TEXT NOT NULL,"
        " value_minor BIGINT NOT NULL, currency TEXT NOT NULL, stage TEXT NOT NULL,"
        " owner TEXT NOT NULL, expected_close TEXT, opened_at TEXT NOT NULL,"
        " opened_by TEXT NOT NULL, stage_since TEXT NOT NULL, close_reason TEXT NOT NULL,"
        " order_id TEXT, interaction_ids TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS opportunities_owner ON opportunities (owner, stage)",
        "CREATE INDEX IF NOT EXISTS opportunities_customer ON opportunities (customer_id)",
        "CREATE TABLE IF NOT EXISTS opportunity_stage_visits ("
        " opportunity_id TEXT NOT NULL, seq BIGINT NOT NULL, stage TEXT NOT NULL,"
        " entered_at TEXT NOT NULL, left_at TEXT, PRIMARY KEY (opportunity_id, seq))",
    )

    def apply(self, cursor: Cursor, events: Sequence[Event]) -> None:
        for event in events:
            if isinstance(event, OpportunityOpened):
                self._opened(cursor, event)
            elif isinstance(event, OpportunityStageChanged):
                self._moved(cursor, event)

    def forget(self, cursor: Cursor, customer_id: str) -> None:
        # The pipeline keeps the erased customer's opportunities (value, stage,
        # times count in the report), not their title or the reason they closed.
        # The same values a replay reads from the erased fields ("[erased]"; the
        # reason is recorded only when an opportunity closes).
        self.db.run(
            cursor,
            "UPDATE opportunities SET title = '[erased]', close_reason = CASE"
            " WHEN stage IN ('won', 'lost') THEN '[erased]' ELSE close_reason END"
            " WHERE customer_id = %(id)s",
            {"id": customer_id},
        )

    def _opened(self, cursor: Cursor, event: OpportunityOpened) -> None:
        key = str(event.originator_id)
        at = iso(event.occurred_at)
        self.db.run(
            cursor,
            "INSERT INTO opportunities (opportunity_id, customer_id, title, value_minor,"
            " currency, stage, owner, expected_close, opened_at, opened_by, stage_since,"
            " close_reason, order_id, interaction_ids) VALUES (%(id)s, %(customer)s,"
            " %(title)s, %(value)s, %(currency)s, %(stage)s, %(owner)s, %(close)s, %(at)s,"
            " %(by)s, %(at)s, '', NULL, %(links)s) ON CONFLICT (opportunity_id) DO NOTHING",
            {
                "id": key,
                "customer": str(event.customer_id),
                "title": event.title,
                "value": event.value_minor,
                "currency": event.currency,
                "stage": event.stage,
                "owner": event.owner,
                "close": event.expected_close.isoformat() if event.expected_close else None,
                "at": at,
                "by": event.opened_by,
                "links": orjson.dumps([str(i) for i in event.interaction_ids]).decode(),
            },
        )
        self._enter(cursor, key, event.originator_version, event.stage, at)

    def _moved(self, cursor: Cursor, event: OpportunityStageChanged) -> None:
        key = str(event.originator_id)
        at = iso(event.occurred_at)
        closing = event.to_stage in CLOSING
        self.db.run(
            cursor,
            "UPDATE opportunities SET stage = %(stage)s, stage_since = %(at)s,"
            " close_reason = %(reason)s, order_id = %(order)s WHERE opportunity_id = %(id)s",
            {
                "id": key,
                "stage": event.to_stage,
                "at": at,
                "reason": event.reason if closing else "",
                "order": event.order_id,
            },
        )
        self.db.run(
            cursor,
            "UPDATE opportunity_stage_visits SET left_at = %(at)s"
            " WHERE opportunity_id = %(id)s AND left_at IS NULL",
            {"id": key, "at": at},
        )
        self._enter(cursor, key, event.originator_version, event.to_stage, at)

    def _enter(self, cursor: Cursor, key: str, seq: int, stage: str, at: str) -> None:
        self.db.run(
            cursor,
            "INSERT INTO opportunity_stage_visits (opportunity_id, seq, stage, entered_at)"
            " VALUES (%(id)s, %(seq)s, %(stage)s, %(at)s)"
            " ON CONFLICT (opportunity_id, seq) DO NOTHING",
            {"id": key, "seq": seq, "stage": stage, "at": at},
        )

    # Queries -------------------------------------------------------------

    def listing(
        self,
        *,
        owner: str | None = None,
        stage: str | None = None,
        customer_id: UUID | None = None,
        open_only: bool = False,
        limit: int = 100,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        clauses: list[str] = []
        params: dict[str, Any] = {"limit": limit, "offset": offset}
        for column, value in (
            ("owner", owner),
            ("stage", stage),
            ("customer_id", str(customer_id) if customer_id else None),
        ):
            if value is not None:
                clauses.append(f"{column} = %({column})s")
                params[column] = value
        if open_only:
            clauses.append("stage NOT IN ('won', 'lost')")
        where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
        return self.db.query(
            f"SELECT * FROM opportunities {where}"
            " ORDER BY opened_at, opportunity_id LIMIT %(limit)s OFFSET %(offset)s",
            params,
        )

    def get(self, opportunity_id: UUID) -> dict[str, Any] | None:
        rows = self.db.query(
            "SELECT * FROM opportunities WHERE opportunity_id = %(id)s",
            {"id": str(opportunity_id)},
        )
        return rows[0] if rows else None

    def report_rows(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Every opportunity and every stage stay, in one consistent snapshot."""
        with self.db.transaction(commit=False) as cursor:
            cursor.execute(
                "SELECT opportunity_id, stage, value_minor, currency, close_reason"
                " FROM opportunities ORDER BY opportunity_id"
            )
            opportunities = [dict(r) for r in cursor.fetchall()]
            cursor.execute(
                "SELECT opportunity_id, stage, entered_at, left_at"
                " FROM opportunity_stage_visits ORDER BY opportunity_id, seq"
            )
            visits = [dict(r) for r in cursor.fetchall()]
        return opportunities, visits


class OpportunitiesSQLite(Opportunities, SQLiteTrackingRecorder):
    def __init__(self, datastore: SQLiteDatastore, *, db: Sql, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        self.db = db


class OpportunitiesPostgres(Opportunities, PostgresTrackingRecorder):
    def __init__(self, datastore: PostgresDatastore, *, db: Sql, **kwargs: Any) -> None:
        kwargs.setdefault("tracking_table_name", "view_tracking")
        super().__init__(datastore, **kwargs)
        self.db = db
