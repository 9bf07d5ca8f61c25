"""The complaint queues: one row per case with its SLA columns, and its interactions.

Queues list active cases by priority, oldest first. The SLA columns depend on
the SLA policy the view was built with; the view remembers that policy's id
and rebuilds itself when started with another one (a changed policy is thus
re-applied to every case, old ones included).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar
from uuid import UUID

import orjson
from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from eventsourcing.sqlite import SQLiteDatastore, SQLiteTrackingRecorder

from domain import sla
from events import ComplaintOpened, ComplaintShared, ComplaintUnshared, Event
from projections.complaints.rows import (
    CASE_EVENTS,
    COLUMNS,
    change_row,
    interaction_link,
    new_row,
    with_sla,
)
from projections.identity.merges import MEMBERS
from projections.sql import Cursor, Sql
from projections.view import SqlView

_UPSERT = (
    f"INSERT INTO complaint_cases ({', '.join(COLUMNS)})"
    f" VALUES ({', '.join(f'%({c})s' for c in COLUMNS)})"
    " ON CONFLICT (complaint_id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in COLUMNS[1:])
)
_LINK = (
    "INSERT INTO complaint_interactions (complaint_id, interaction_id, role, occurred_at)"
    " VALUES (%(complaint_id)s, %(interaction_id)s, %(role)s, %(occurred_at)s)"
    " ON CONFLICT (complaint_id, interaction_id) DO NOTHING"
)
ACTIVE_STATES = ("new", "assigned", "waiting")


@dataclass(frozen=True)
class CaseFilter:
    queue: str | None = None
    state: str | None = "open"  # a state, `open` (new, assigned, waiting) or None for all
    priority: str | None = None
    channel: str | None = None
    product: str | None = None
    category: str | None = None
    sla_state: str | None = None
    assignee: str | None = None
    customer_id: UUID | None = None
    # Only the cases shared with this partner organisation (a partner's own list).
    shared_with: str | None = None
    # Leave out the cases of these queues: another team's (domain/access.py).
    hidden_queues: frozenset[str] = frozenset()


class ComplaintQueues(SqlView):
    name = "complaints"
    tables: ClassVar[dict[str, str]] = {
        "complaint_cases": "complaint_id",
        "complaint_interactions": "complaint_id, interaction_id",
        "complaint_view_meta": "key",
        "complaint_shares": "complaint_id, partner",
    }
    create_statements = (
        "CREATE TABLE IF NOT EXISTS complaint_cases ("
        " complaint_id TEXT PRIMARY KEY, case_number TEXT NOT NULL, customer_id TEXT NOT NULL,"
        " queue TEXT NOT NULL, priority TEXT NOT NULL, priority_rank BIGINT NOT NULL,"
        " status TEXT NOT NULL, state TEXT NOT NULL, assignee TEXT, channel TEXT, category TEXT,"
        " product TEXT, language TEXT, opened_by TEXT NOT NULL, opened_at TEXT NOT NULL,"
        " last_activity_at TEXT NOT NULL, first_response_at TEXT, first_response_by TEXT,"
        " resolved_at TEXT, resolved_by TEXT, escalations BIGINT NOT NULL,"
        " reopens BIGINT NOT NULL, fr_due_at TEXT, fr_warn_at TEXT, res_due_at TEXT,"
        " res_warn_at TEXT, fr_breached BIGINT NOT NULL, res_breached BIGINT NOT NULL,"
        " sla_state TEXT NOT NULL, sla_next_at TEXT, clock TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS complaint_cases_queue"
        " ON complaint_cases (queue, state, priority_rank DESC, opened_at)",
        "CREATE INDEX IF NOT EXISTS complaint_cases_due ON complaint_cases (sla_next_at)",
        "CREATE INDEX IF NOT EXISTS complaint_cases_customer ON complaint_cases (customer_id)",
        "CREATE UNIQUE INDEX IF NOT EXISTS complaint_cases_number ON complaint_cases (case_number)",
        "CREATE TABLE IF NOT EXISTS complaint_interactions ("
        " complaint_id TEXT NOT NULL, interaction_id TEXT NOT NULL, role TEXT NOT NULL,"
        " occurred_at TEXT NOT NULL, PRIMARY KEY (complaint_id, interaction_id))",
        "CREATE TABLE IF NOT EXISTS complaint_view_meta (key TEXT PRIMARY KEY, value TEXT)",
        # Which partner organisations see which cases (domain/partner_access.py).
        "CREATE TABLE IF NOT EXISTS complaint_shares ("
        " complaint_id TEXT NOT NULL, partner TEXT NOT NULL, customer_id TEXT NOT NULL,"
        " shared_at TEXT NOT NULL, PRIMARY KEY (complaint_id, partner))",
        "CREATE INDEX IF NOT EXISTS complaint_shares_partner ON complaint_shares (partner)",
    )
    policy: sla.SlaPolicy

    def setup(self, *, defer_indexes: bool = False) -> None:
        super().setup(defer_indexes=defer_indexes)
        rows = self.db.query("SELECT value FROM complaint_view_meta WHERE key = 'sla_policy'")
        if rows and rows[0]["value"] != self.policy.policy_id:
            self.drop()  # built under another SLA policy: rebuild (drop calls setup again)
            return
        if not rows:
            with self.db.transaction(commit=True) as cursor:
                self.db.run(
                    cursor,
                    "INSERT INTO complaint_view_meta (key, value) VALUES ('sla_policy', %(p)s)",
                    {"p": self.policy.policy_id},
                )

    def apply(self, cursor: Cursor, events: Sequence[Event]) -> None:
        rows: dict[str, dict[str, Any]] = {}
        clocks: dict[str, sla.SlaClock] = {}
        links: list[dict[str, Any]] = []
        for event in events:
            if isinstance(event, ComplaintShared | ComplaintUnshared):
                self._share(cursor, event)
                continue
            if not isinstance(event, CASE_EVENTS):
                continue
            key = str(event.originator_id)
            if isinstance(event, ComplaintOpened):
                rows[key] = new_row(event)
                clocks[key] = sla.step(None, event)  # type: ignore[assignment]
            else:
                if key not in rows and not self._load(cursor, key, rows, clocks):
                    continue  # an event of a case this view never saw opened
                change_row(rows[key], event)
                clocks[key] = sla.step(clocks[key], event)  # type: ignore[assignment]
            link = interaction_link(event)
            if link is not None:
                links.append(link)
        for key, row in rows.items():
            self.db.run(cursor, _UPSERT, with_sla(row, clocks[key], self.policy))
        self.db.run_many(cursor, _LINK, links)

    def _share(self, cursor: Cursor, event: ComplaintShared | ComplaintUnshared) -> None:
        params = {
            "id": str(event.originator_id),
            "partner": event.partner,
            "customer": str(event.customer_id),
            "at": event.occurred_at.isoformat(),
        }
        if isinstance(event, ComplaintShared):
            self.db.run(
                cursor,
                "INSERT INTO complaint_shares (complaint_id, partner, customer_id, shared_at)"
                " VALUES (%(id)s, %(partner)s, %(customer)s, %(at)s)"
                " ON CONFLICT (complaint_id, partner) DO NOTHING",
                params,
            )
        else:
            self.db.run(
                cursor,
                "DELETE FROM complaint_shares WHERE complaint_id = %(id)s"
                " AND partner = %(partner)s",
                params,
            )

    def _load(
        self,
        cursor: Cursor,
        key: str,
        rows: dict[str, dict[str, Any]],
        clocks: dict[str, sla.SlaClock],
    ) -> bool:
        self.db.run(
            cursor, "SELECT * FROM complaint_cases WHERE complaint_id = %(id)s", {"id": key}
        )
        found = cursor.fetchone()
        if found is None:
            return False
        rows[key] = dict(found)
        clocks[key] = sla.SlaClock.from_json(orjson.loads(rows[key]["clock"]))
        return True

    # Queries -------------------------------------------------------------

    def cases(self, where: CaseFilter, limit: int = 50, offset: int = 0) -> list[dict[str, Any]]:
        """Highest priority first, then oldest first."""
        clauses, params = _where(where)
        params.update(limit=limit, offset=offset)
        return self.db.query(
            f"SELECT * FROM complaint_cases {clauses}"
            " ORDER BY priority_rank DESC, opened_at, complaint_id"
            " LIMIT %(limit)s OFFSET %(offset)s",
            params,
        )

    def case(self, complaint_id: UUID) -> dict[str, Any] | None:
        rows = self.db.query(
            "SELECT * FROM complaint_cases WHERE complaint_id = %(id)s", {"id": str(complaint_id)}
        )
        return rows[0] if rows else None

    def partners_of(self, complaint_id: UUID) -> list[str]:
        """The partner organisations the case is shared with."""
        rows = self.db.query(
            "SELECT partner FROM complaint_shares WHERE complaint_id = %(id)s ORDER BY partner",
            {"id": str(complaint_id)},
        )
        return [r["partner"] for r in rows]

    def customer_of_case(self, case_number: str) -> UUID | None:
        """The customer of a case number such as R-2026-000123 (any case of letters)."""
        if case_number[:2].upper() != "R-":
            return None
        rows = self.db.query(
            "SELECT customer_id FROM complaint_cases WHERE case_number = %(n)s",
            {"n": case_number.upper()},
        )
        return UUID(rows[0]["customer_id"]) if rows else None

    def interactions(self, complaint_id: UUID) -> list[dict[str, Any]]:
        return self.db.query(
            "SELECT interaction_id, role, occurred_at FROM complaint_interactions"
            " WHERE complaint_id = %(id)s ORDER BY occurred_at, interaction_id",
            {"id": str(complaint_id)},
        )

    def claim_candidates(self, queue: str, limit: int = 20) -> list[UUID]:
        rows = self.db.query(
            "SELECT complaint_id FROM complaint_cases"
            " WHERE queue = %(queue)s AND state = 'new'"
            " ORDER BY priority_rank DESC, opened_at, complaint_id LIMIT %(limit)s",
            {"queue": queue, "limit": limit},
        )
        return [UUID(r["complaint_id"]) for r in rows]

    def due_cases(self, now_iso: str, limit: int = 500) -> list[UUID]:
        """Active cases whose next SLA warning or due time has come."""
        rows = self.db.query(
            "SELECT complaint_id FROM complaint_cases"
            " WHERE sla_next_at IS NOT NULL AND sla_next_at <= %(now)s"
            " ORDER BY sla_next_at LIMIT %(limit)s",
            {"now": now_iso, "limit": limit},
        )
        return [UUID(r["complaint_id"]) for r in rows]

    def cases_by_product(self) -> list[dict[str, Any]]:
        """(product, category, cases) of every case naming a product (reports)."""
        return self.db.query(
            "SELECT product, COALESCE(category, '') AS category, COUNT(*) AS cases"
            " FROM complaint_cases WHERE product IS NOT NULL AND product <> ''"
            " GROUP BY product, COALESCE(category, '') ORDER BY product, category"
        )

    def case_counts(self) -> dict[str, tuple[int, int]]:
        """customer -> (cases ever, cases open now), for segments."""
        rows = self.db.query(
            "SELECT customer_id, COUNT(*) AS cases,"
            " SUM(CASE WHEN status IN ('open', 'waiting') THEN 1 ELSE 0 END) AS open"
            " FROM complaint_cases GROUP BY customer_id"
        )
        return {r["customer_id"]: (int(r["cases"]), int(r["open"])) for r in rows}

    def all_case_ids(self) -> list[UUID]:
        rows = self.db.query("SELECT complaint_id FROM complaint_cases ORDER BY opened_at")
        return [UUID(r["complaint_id"]) for r in rows]

    def queue_summary(self, hidden: frozenset[str] = frozenset()) -> list[dict[str, Any]]:
        """Active cases per queue and priority, with the oldest's opening time;
        without the `hidden` queues."""
        params: dict[str, Any] = {}
        others = f" AND {_not_in_queues(hidden, params)}" if hidden else ""
        return self.db.query(
            "SELECT queue, priority, priority_rank, count(*) AS open, min(opened_at) AS oldest,"
            " sum(CASE WHEN state = 'new' THEN 1 ELSE 0 END) AS unassigned,"
            " sum(CASE WHEN sla_state = 'breached' THEN 1 ELSE 0 END) AS breached"
            f" FROM complaint_cases WHERE state IN ('new', 'assigned', 'waiting'){others}"
            " GROUP BY queue, priority, priority_rank ORDER BY queue, priority_rank DESC",
            params,
        )

    def figures_rows(self, hidden: frozenset[str] = frozenset()) -> list[dict[str, Any]]:
        """Every case's figures' columns, without the `hidden` queues."""
        params: dict[str, Any] = {}
        others = f" WHERE {_not_in_queues(hidden, params)}" if hidden else ""
        return self.db.query(
            "SELECT complaint_id, queue, state, channel, assignee, opened_at, first_response_at,"
            " first_response_by, resolved_at, resolved_by, fr_breached, res_breached"
            f" FROM complaint_cases{others} ORDER BY complaint_id",
            params,
        )


def _where(where: CaseFilter) -> tuple[str, dict[str, Any]]:
    clauses: list[str] = []
    params: dict[str, Any] = {}
    if where.state == "open":
        clauses.append("state IN ('new', 'assigned', 'waiting')")
    elif where.state is not None:
        clauses.append("state = %(state)s")
        params["state"] = where.state
    simple = {
        "queue": where.queue,
        "priority": where.priority,
        "channel": where.channel,
        "product": where.product,
        "category": where.category,
        "sla_state": where.sla_state,
        "assignee": where.assignee,
    }
    for column, value in simple.items():
        if value is not None:
            clauses.append(f"{column} = %({column})s")
            params[column] = value
    if where.customer_id is not None:
        # A merged customer's cases include those of everyone merged into them.
        clauses.append(f"customer_id IN ({MEMBERS})")
        params["id"] = str(where.customer_id)
    if where.shared_with is not None:
        clauses.append(
            "complaint_id IN (SELECT complaint_id FROM complaint_shares"
            " WHERE partner = %(shared_with)s)"
        )
        params["shared_with"] = where.shared_with
    if where.hidden_queues:
        clauses.append(_not_in_queues(where.hidden_queues, params))
    return ("WHERE " + " AND ".join(clauses)) if clauses else "", params


def _not_in_queues(hidden: frozenset[str], params: dict[str, Any]) -> str:
    """`queue NOT IN (...)` with one named parameter per queue, added to `params`."""
    names = []
    for n, queue in enumerate(sorted(hidden)):
        params[f"hidden_{n}"] = queue
        names.append(f"%(hidden_{n})s")
    return f"queue NOT IN ({', '.join(names)})"


class ComplaintQueuesSQLite(ComplaintQueues, SQLiteTrackingRecorder):
    def __init__(
        self, datastore: SQLiteDatastore, policy: sla.SlaPolicy, *, db: Sql, **kwargs: Any
    ) -> None:
        super().__init__(datastore, **kwargs)
        self.db = db
        self.policy = policy


class ComplaintQueuesPostgres(ComplaintQueues, PostgresTrackingRecorder):
    def __init__(
        self, datastore: PostgresDatastore, policy: sla.SlaPolicy, *, db: Sql, **kwargs: Any
    ) -> None:
        kwargs.setdefault("tracking_table_name", "view_tracking")
        super().__init__(datastore, **kwargs)
        self.db = db
        self.policy = policy
