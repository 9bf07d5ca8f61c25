"""The customer 360 read model and its queries.

Tables: one row per customer (profile, last contact, totals), counts per
channel and direction, and the timeline (one row per interaction, its status
moved forward monotonically). Timeline pages are keyed by (occurred_at,
interaction_id), so a page costs the same however long the history is.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from eventsourcing.sqlite import SQLiteDatastore, SQLiteTrackingRecorder

from events import ChannelAddressLinked, CustomerRegistered, Event
from projections.customer360 import search as index
from projections.customer360.channel_rows import channel_entry, channel_status, detail_update
from projections.customer360.rows import status_update, timeline_entry, utc_iso
from projections.identity.merges import MEMBERS
from projections.sql import Cursor, Sql
from projections.view import SqlView

logger = logging.getLogger(__name__)

_TIMELINE_COLUMNS = (
    ("interaction_id", "text"),
    ("customer_id", "text"),
    ("occurred_at", "text"),
    ("channel", "text"),
    ("direction", "text"),
    ("status", "text"),
    ("status_rank", "bigint"),
    ("summary", "text"),
    ("address", "text"),
    ("provider_id", "text"),
    ("agent", "text"),
    ("error", "text"),
    ("conversation_id", "text"),
)
# The totals tables' columns after their first (customer or month).
_TOTAL_COLUMNS = (("channel", "text"), ("direction", "text"), ("count", "bigint"))
_COUNT_COLUMNS = (("customer_id", "text"), *_TOTAL_COLUMNS)
_COUNT_CONFLICT = (
    "ON CONFLICT (customer_id, channel, direction) DO UPDATE"
    " SET count = c360_channel_counts.count + excluded.count"
)
# The channel mix report's monthly totals, kept as the timeline grows: the report
# reads a few hundred rows instead of counting the whole timeline (its p99 grew
# with history: 28 -> 54 -> 81 ms from 5,000 to 20,000 interactions).
_MONTH_COLUMNS = (("month", "text"), *_TOTAL_COLUMNS)
_MONTH_CONFLICT = (
    "ON CONFLICT (month, channel, direction) DO UPDATE"
    " SET count = c360_channel_months.count + excluded.count"
)


def _count_rows(by: str, counts: dict[tuple[str, str, str], int]) -> list[dict[str, Any]]:
    """(customer or month, channel, direction) -> n as rows to add to a totals table."""
    return [
        {by: key, "channel": channel, "direction": direction, "count": n}
        for (key, channel, direction), n in counts.items()
    ]


# A store projected before the table existed: its totals from the timeline, once.
_MONTH_BACKFILL = (
    "INSERT INTO c360_channel_months (month, channel, direction, count)"
    " SELECT substr(occurred_at, 1, 7), channel, direction, COUNT(*) FROM c360_timeline"
    " WHERE NOT EXISTS (SELECT 1 FROM c360_channel_months)"
    " GROUP BY substr(occurred_at, 1, 7), channel, direction"
)
# PostgreSQL: every customer's contact totals in one statement.
_TOUCH_ALL = (
    "UPDATE c360_customers c SET interaction_count = c.interaction_count + u.n,"
    " last_contact_at = CASE WHEN c.last_contact_at IS NULL OR c.last_contact_at < u.at"
    " THEN u.at ELSE c.last_contact_at END"
    " FROM unnest(%(ids)b::text[], %(ns)b::bigint[], %(ats)b::text[]) AS u(customer_id, n, at)"
    " WHERE c.customer_id = u.customer_id"
)
_CUSTOMER_COLUMNS = (
    ("customer_id", "text"),
    ("display_name", "text"),
    ("language", "text"),
    ("source_channel", "text"),
    ("created_at", "text"),
    ("last_contact_at", "text"),
    ("interaction_count", "bigint"),
)
_TOUCH = (
    "UPDATE c360_customers SET interaction_count = interaction_count + %(n)s,"
    " last_contact_at = CASE WHEN last_contact_at IS NULL OR last_contact_at < %(occurred_at)s"
    " THEN %(occurred_at)s ELSE last_contact_at END"
    " WHERE customer_id = %(customer_id)s"
)
_STATUS = (
    "UPDATE c360_timeline SET status = %(status)s, status_rank = %(rank)s,"
    " provider_id = COALESCE(%(provider_id)s, provider_id), error = COALESCE(%(error)s, error)"
    " WHERE interaction_id = %(id)s AND status_rank < %(rank)s"
)

# Later events fill in what earlier ones left open (a note after the recording).
_DETAILS = (
    "INSERT INTO c360_details (interaction_id, customer_id, duration_seconds, outcome, notes,"
    " recording_url, transcript, body_text) VALUES (%(interaction_id)s, %(customer_id)s,"
    " %(duration_seconds)s, %(outcome)s, %(notes)s, %(recording_url)s, %(transcript)s,"
    " %(body_text)s) ON CONFLICT (interaction_id) DO UPDATE SET"
    " duration_seconds = COALESCE(excluded.duration_seconds, c360_details.duration_seconds),"
    " outcome = COALESCE(excluded.outcome, c360_details.outcome),"
    " notes = COALESCE(excluded.notes, c360_details.notes),"
    " recording_url = COALESCE(excluded.recording_url, c360_details.recording_url),"
    " transcript = COALESCE(excluded.transcript, c360_details.transcript),"
    " body_text = COALESCE(excluded.body_text, c360_details.body_text)"
)


# A customer's profile with the totals of everyone merged into them.
_GROUP_CUSTOMER = (
    "SELECT c.customer_id, c.display_name, c.language, c.source_channel, c.created_at,"
    " g.last_contact_at, g.interaction_count FROM c360_customers c,"
    " (SELECT MAX(last_contact_at) AS last_contact_at,"
    "  CAST(COALESCE(SUM(interaction_count), 0) AS BIGINT) AS interaction_count"
    f"  FROM c360_customers WHERE customer_id IN ({MEMBERS})) g"
    " WHERE c.customer_id = %(id)s"
)

# Timeline rows with the call and letter details kept beside them.
_TIMELINE_SELECT = (
    "SELECT t.*, d.duration_seconds, d.outcome, d.notes, d.recording_url, d.transcript,"
    " d.body_text AS text FROM c360_timeline t"
    " LEFT JOIN c360_details d ON d.interaction_id = t.interaction_id"
)


def members_in(column: str, members: Sequence[str]) -> tuple[str, dict[str, Any]]:
    """`column IN (...)` over the customer and those merged into them, as listed
    values: with one customer (the usual case) the planner walks the timeline
    index in order and stops at the page's limit."""
    names = {f"m{n}": member for n, member in enumerate(members)}
    return f"{column} IN ({', '.join(f'%({name})s' for name in names)})", names


def _timeline_query(
    members: Sequence[str], limit: int, before: tuple[str, str] | None
) -> tuple[str, dict[str, Any]]:
    """The statement and parameters of a timeline page, keyset-paginated."""
    clause, params = members_in("t.customer_id", members)
    params["limit"] = limit
    where = f" WHERE {clause}"
    if before is not None:
        where += (
            " AND (t.occurred_at < %(at)s"
            " OR (t.occurred_at = %(at)s AND t.interaction_id < %(iid)s))"
        )
        params |= {"at": before[0], "iid": before[1]}
    order = " ORDER BY t.occurred_at DESC, t.interaction_id DESC LIMIT %(limit)s"
    return _TIMELINE_SELECT + where + order, params


def move_forward(row: dict[str, Any], update: dict[str, Any]) -> None:
    """What _STATUS does in SQL, on a row not yet written."""
    if update["rank"] > row["status_rank"]:
        row["status"] = update["status"]
        row["status_rank"] = update["rank"]
        row["provider_id"] = update["provider_id"] or row["provider_id"]
        row["error"] = update["error"] or row["error"]


_SEARCHED_DETAILS = ("body_text", "transcript", "notes")


def search_docs(event: Event, details: dict[str, Any] | None) -> list[dict[str, Any] | None]:
    """The search index rows an event writes (see search.py): names, addresses,
    what a message, letter, transcript or call note says."""
    if isinstance(event, CustomerRegistered):
        cid = str(event.originator_id)
        return [index.doc(f"name:{cid}", cid, event.display_name)]
    if isinstance(event, ChannelAddressLinked):
        return [index.doc(f"address:{event.address_key}", str(event.customer_id), event.address)]
    if details is None:
        return []
    iid, cid = details["interaction_id"], details["customer_id"]
    return [index.doc(f"{c}:{iid}", cid, details[c]) for c in _SEARCHED_DETAILS if details[c]]


class Customer360(SqlView):
    name = "customer360"
    tables: ClassVar[dict[str, str]] = {
        "c360_customers": "customer_id",
        "c360_channel_counts": "customer_id, channel, direction",
        "c360_channel_months": "month, channel, direction",
        "c360_timeline": "interaction_id",
        "c360_details": "interaction_id",
        "c360_search": "doc_id",
    }
    create_statements: ClassVar[tuple[str, ...]] = (
        "CREATE TABLE IF NOT EXISTS c360_customers ("
        " customer_id TEXT PRIMARY KEY, display_name TEXT NOT NULL, language TEXT,"
        " source_channel TEXT, created_at TEXT NOT NULL, last_contact_at TEXT,"
        " interaction_count BIGINT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS c360_customers_name ON c360_customers (lower(display_name))",
        "CREATE TABLE IF NOT EXISTS c360_channel_counts ("
        " customer_id TEXT NOT NULL, channel TEXT NOT NULL, direction TEXT NOT NULL,"
        " count BIGINT NOT NULL, PRIMARY KEY (customer_id, channel, direction))",
        "CREATE TABLE IF NOT EXISTS c360_channel_months ("
        " month TEXT NOT NULL, channel TEXT NOT NULL, direction TEXT NOT NULL,"
        " count BIGINT NOT NULL, PRIMARY KEY (month, channel, direction))",
        "CREATE TABLE IF NOT EXISTS c360_timeline ("
        " interaction_id TEXT PRIMARY KEY, customer_id TEXT NOT NULL, occurred_at TEXT NOT NULL,"
        " channel TEXT NOT NULL, direction TEXT NOT NULL, status TEXT NOT NULL,"
        " status_rank BIGINT NOT NULL, summary TEXT NOT NULL, address TEXT NOT NULL,"
        " provider_id TEXT, agent TEXT, error TEXT, conversation_id TEXT)",
        "CREATE INDEX IF NOT EXISTS c360_timeline_page"
        " ON c360_timeline (customer_id, occurred_at DESC, interaction_id DESC)",
        "CREATE TABLE IF NOT EXISTS c360_details ("
        " interaction_id TEXT PRIMARY KEY, customer_id TEXT NOT NULL, duration_seconds BIGINT,"
        " outcome TEXT, notes TEXT, recording_url TEXT, transcript TEXT, body_text TEXT)",
        "CREATE INDEX IF NOT EXISTS c360_details_customer ON c360_details (customer_id)",
        index.SEARCH_TABLE,
        index.SEARCH_CUSTOMER_INDEX,
    )

    def setup(self, *, defer_indexes: bool = False) -> None:
        super().setup(defer_indexes=defer_indexes)
        with self.db.transaction(commit=True) as cursor:
            self.db.run(cursor, _MONTH_BACKFILL)

    def apply(self, cursor: Cursor, events: Sequence[Event]) -> None:
        # One statement per kind of change for the whole batch, not one per event:
        # replay speed depends on it. Order matters: customers before their
        # timeline rows, rows before their counts and status changes.
        customers: list[dict[str, Any]] = []
        entries: dict[str, dict[str, Any]] = {}
        counts: dict[tuple[str, str, str], int] = {}
        months: dict[tuple[str, str, str], int] = {}
        touches: dict[str, dict[str, Any]] = {}
        statuses: list[dict[str, Any]] = []
        detail_rows: list[dict[str, Any]] = []
        docs: dict[str, dict[str, Any]] = {}  # by doc id: the last text wins
        for event in events:
            details = detail_update(event)
            for found in search_docs(event, details):
                if found is not None:
                    docs[found["doc_id"]] = found
            if isinstance(event, CustomerRegistered):
                customers.append(
                    {
                        "customer_id": str(event.originator_id),
                        "display_name": event.display_name,
                        "language": event.language,
                        "source_channel": event.source_channel,
                        "created_at": utc_iso(event),
                        "last_contact_at": None,
                        "interaction_count": 0,
                    }
                )
                continue
            if details is not None:
                detail_rows.append(details)
            entry = timeline_entry(event) or channel_entry(event)
            if entry is not None:
                row = entry.as_row()
                summary = index.doc(
                    f"summary:{entry.interaction_id}", entry.customer_id, entry.summary
                )
                if summary is not None:
                    docs[summary["doc_id"]] = summary
                row.setdefault("error", None)
                entries.setdefault(row["interaction_id"], row)
                key = (entry.customer_id, entry.channel, entry.direction)
                counts[key] = counts.get(key, 0) + 1
                month = (entry.occurred_at[:7], entry.channel, entry.direction)
                months[month] = months.get(month, 0) + 1
                touch = touches.setdefault(
                    entry.customer_id,
                    {"customer_id": entry.customer_id, "n": 0, "occurred_at": entry.occurred_at},
                )
                touch["n"] += 1
                touch["occurred_at"] = max(touch["occurred_at"], entry.occurred_at)
                continue
            update = status_update(event) or channel_status(event)
            if update is None:
                continue
            pending = entries.get(update["id"])
            if pending is None:
                statuses.append(update)
            else:  # its row is written by this batch: fold the status in (no UPDATE)
                move_forward(pending, update)
        self.db.insert_rows(
            cursor,
            "c360_customers",
            _CUSTOMER_COLUMNS,
            customers,
            "ON CONFLICT (customer_id) DO NOTHING",
        )
        self.db.insert_rows(
            cursor,
            "c360_timeline",
            _TIMELINE_COLUMNS,
            list(entries.values()),
            "ON CONFLICT (interaction_id) DO NOTHING",
        )
        self.db.insert_rows(
            cursor,
            "c360_channel_counts",
            _COUNT_COLUMNS,
            _count_rows("customer_id", counts),
            _COUNT_CONFLICT,
        )
        self.db.insert_rows(
            cursor,
            "c360_channel_months",
            _MONTH_COLUMNS,
            _count_rows("month", months),
            _MONTH_CONFLICT,
        )
        if self.db.dialect == "postgres" and touches:
            self.db.run(
                cursor,
                _TOUCH_ALL,
                {
                    "ids": list(touches),
                    "ns": [t["n"] for t in touches.values()],
                    "ats": [t["occurred_at"] for t in touches.values()],
                },
            )
        else:
            self.db.run_many(cursor, _TOUCH, list(touches.values()))
        self.db.run_many(cursor, _STATUS, statuses)
        self.db.run_many(cursor, _DETAILS, detail_rows)
        self.db.insert_rows(
            cursor, "c360_search", index.SEARCH_COLUMNS, list(docs.values()), index.SEARCH_CONFLICT
        )

    def forget(self, cursor: Cursor, customer_id: str) -> None:
        # The timeline keeps that each interaction happened (channel, direction,
        # time, status), not what it said or to whom; the details (notes,
        # transcripts, texts) are all content. Fixed values, so that a replay
        # (which reads the erased fields as "[erased]") ends in the same rows.
        params = {"id": customer_id}
        self.db.run(
            cursor,
            "UPDATE c360_customers SET display_name = '' WHERE customer_id = %(id)s",
            params,
        )
        self.db.run(
            cursor,
            "UPDATE c360_timeline SET summary = '', address = '', error = NULL"
            " WHERE customer_id = %(id)s",
            params,
        )
        self.db.run(cursor, "DELETE FROM c360_details WHERE customer_id = %(id)s", params)
        self.db.run(cursor, "DELETE FROM c360_search WHERE customer_id = %(id)s", params)

    # Queries -------------------------------------------------------------

    def read_360(self, customer_id: UUID, limit: int) -> dict[str, Any] | None:
        """Profile, addresses, counts and the first timeline page in one transaction:
        one connection and a consistent snapshot per request."""
        params = {"id": str(customer_id), "limit": limit}
        with self.db.transaction(commit=False) as cursor:
            self.db.run(cursor, _GROUP_CUSTOMER, params)
            row = cursor.fetchone()
            if row is None:
                return None
            result = dict(row)
            clause, members = members_in("customer_id", self._members(cursor, customer_id))
            self.db.run(
                cursor,
                "SELECT channel, address, linked_at FROM identity_addresses"
                f" WHERE {clause} ORDER BY linked_at, channel, address",
                members,
            )
            result["addresses"] = [dict(r) for r in cursor.fetchall()]
            self.db.run(
                cursor,
                "SELECT channel, direction, SUM(count) AS count FROM c360_channel_counts"
                f" WHERE {clause} GROUP BY channel, direction ORDER BY channel, direction",
                members,
            )
            result["counts"] = [{**r, "count": int(r["count"])} for r in cursor.fetchall()]
            statement, page = _timeline_query(list(members.values()), limit, None)
            self.db.run(cursor, statement, page)
            result["timeline"] = [dict(r) for r in cursor.fetchall()]
        return result

    def channel_mix(self) -> list[dict[str, Any]]:
        """(month 'YYYY-MM', channel, direction, interactions) over the whole timeline."""
        return self.db.query(
            "SELECT month, channel, direction, count AS interactions FROM c360_channel_months"
            " ORDER BY month, channel, direction"
        )

    def profiles(self) -> list[dict[str, Any]]:
        """Every customer's id, language and first channel (segments filter on them)."""
        return self.db.query(
            "SELECT customer_id, language, source_channel FROM c360_customers ORDER BY customer_id"
        )

    def customer(self, customer_id: UUID) -> dict[str, Any] | None:
        """The customer's row, its totals including everyone merged into them."""
        rows = self.db.query(_GROUP_CUSTOMER, {"id": str(customer_id)})
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
        with self.db.transaction(commit=False) as cursor:
            statement, params = _timeline_query(self._members(cursor, customer_id), limit, before)
            self.db.run(cursor, statement, params)
            return [dict(row) for row in cursor.fetchall()]

    def _members(self, cursor: Cursor, customer_id: UUID) -> list[str]:
        """The customer and everyone merged into them (the identity index's merges)."""
        self.db.run(cursor, MEMBERS, {"id": str(customer_id)})
        return [str(row["id"]) for row in cursor.fetchall()]

    def read_timeline(
        self, customer_id: UUID, limit: int, before: tuple[str, str] | None = None
    ) -> list[dict[str, Any]] | None:
        """A timeline page, or None if there is no such customer: one transaction
        (one connection, one snapshot) for the check and the page."""
        with self.db.transaction(commit=False) as cursor:
            self.db.run(
                cursor,
                "SELECT 1 FROM c360_customers WHERE customer_id = %(id)s",
                {"id": str(customer_id)},
            )
            if cursor.fetchone() is None:
                return None
            statement, params = _timeline_query(self._members(cursor, customer_id), limit, before)
            self.db.run(cursor, statement, params)
            return [dict(row) for row in cursor.fetchall()]

    def interaction(self, interaction_id: UUID) -> dict[str, Any] | None:
        rows = self.db.query(
            _TIMELINE_SELECT + " WHERE t.interaction_id = %(id)s", {"id": str(interaction_id)}
        )
        return rows[0] if rows else None

    def last_inbound_at(self, customer_id: UUID, channel: str) -> datetime | None:
        """When the customer's own latest message on the channel arrived, if ever
        (quiet hours spare an agent's reply to it)."""
        rows = self.db.query(
            "SELECT occurred_at FROM c360_timeline WHERE customer_id = %(id)s"
            " AND channel = %(channel)s AND direction = 'inbound'"
            " ORDER BY occurred_at DESC LIMIT 1",
            {"id": str(customer_id), "channel": channel},
        )
        return datetime.fromisoformat(rows[0]["occurred_at"]) if rows else None

    def interaction_ids(self, customer_id: UUID) -> list[UUID]:
        """Every interaction on the customer's timeline (an erasure reads them all)."""
        rows = self.db.query(
            "SELECT interaction_id FROM c360_timeline WHERE customer_id = %(id)s",
            {"id": str(customer_id)},
        )
        return [UUID(row["interaction_id"]) for row in rows]

    def inactive_since(self, cutoff: datetime) -> list[tuple[UUID, datetime, datetime | None]]:
        """(customer, created, last contact) of those with no contact since the
        cutoff (never contacted: created before it), for the retention policy."""
        rows = self.db.query(
            "SELECT customer_id, created_at, last_contact_at FROM c360_customers"
            " WHERE COALESCE(last_contact_at, created_at) < %(cutoff)s ORDER BY customer_id",
            {"cutoff": cutoff.astimezone(UTC).isoformat(timespec="microseconds")},
        )
        return [
            (
                UUID(row["customer_id"]),
                datetime.fromisoformat(row["created_at"]),
                datetime.fromisoformat(row["last_contact_at"]) if row["last_contact_at"] else None,
            )
            for row in rows
        ]

    def search(
        self, text: str, phone: str | None, limit: int, offset: int = 0
    ) -> list[dict[str, Any]]:
        return self.search_page(text, phone, limit, offset)[0]

    def search_page(
        self, text: str, phone: str | None, limit: int, offset: int = 0
    ) -> tuple[list[dict[str, Any]], int]:
        """A page of the customers whose name, an address or a text of whose
        history holds every word of the query (folded, any order), or who own
        the phone number given in E.164; most recently contacted first. With
        them, how many match in all. No words and no phone: every customer."""
        subquery, params = index.matching(self.db.dialect, index.terms(text), phone)
        where = f" WHERE c.customer_id IN ({subquery})" if subquery else ""
        params |= {"limit": limit, "offset": offset}
        with self.db.transaction(commit=False) as cursor:
            self.db.run(
                cursor,
                f"SELECT c.* FROM c360_customers c{where}"
                " ORDER BY c.last_contact_at IS NULL, c.last_contact_at DESC, c.customer_id"
                " LIMIT %(limit)s OFFSET %(offset)s",
                params,
            )
            rows = [dict(r) for r in cursor.fetchall()]
            if offset == 0 and len(rows) < limit:
                return rows, len(rows)  # the whole result is on this page
            self.db.run(cursor, f"SELECT COUNT(*) AS n FROM c360_customers c{where}", params)
            row = cursor.fetchone()
            return rows, int(row["n"])


class Customer360SQLite(Customer360, SQLiteTrackingRecorder):
    create_statements: ClassVar[tuple[str, ...]] = (
        *Customer360.create_statements,
        *index.SQLITE_STATEMENTS,
    )

    def __init__(self, datastore: SQLiteDatastore, *, db: Sql, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        self.db = db

    def drop(self, *, defer_indexes: bool = False) -> None:
        # The FTS5 index is not one of the checksummed tables (its content is
        # c360_search's), but it goes with them.
        with self.db.transaction(commit=True) as cursor:
            cursor.execute("DROP TABLE IF EXISTS c360_search_fts")
        super().drop(defer_indexes=defer_indexes)


class Customer360Postgres(Customer360, PostgresTrackingRecorder):
    create_statements: ClassVar[tuple[str, ...]] = (
        *Customer360.create_statements,
        index.POSTGRES_INDEX,
    )
    trigrams = True

    def __init__(self, datastore: PostgresDatastore, *, db: Sql, **kwargs: Any) -> None:
        kwargs.setdefault("tracking_table_name", "view_tracking")
        super().__init__(datastore, **kwargs)
        self.db = db

    def setup(self, *, defer_indexes: bool = False) -> None:
        if not self._has_trigrams():
            # Search still answers the same, by scanning the texts: slower, not wrong.
            logger.warning(
                "PostgreSQL extension pg_trgm is not available (CREATE EXTENSION pg_trgm"
                " failed; install postgresql-contrib or have a superuser create it):"
                " customer search runs without its trigram index"
            )
            self.trigrams = False
        super().setup(defer_indexes=defer_indexes)

    def statements(self) -> tuple[str, ...]:
        if self.trigrams:
            return self.create_statements
        return tuple(s for s in self.create_statements if s != index.POSTGRES_INDEX)

    def _has_trigrams(self) -> bool:
        try:
            with self.db.transaction(commit=True) as cursor:
                cursor.execute(index.POSTGRES_EXTENSION)
        except Exception:  # no permission, not installed, or another process created it first
            pass  # the catalogue below says which
        rows = self.db.query("SELECT 1 AS ok FROM pg_extension WHERE extname = 'pg_trgm'")
        return bool(rows)
