"""The base of every read model: rows and position in one transaction.

Each view extends the library's tracking recorder for its store (SQLite or
PostgreSQL), so its position is the library's `Tracking`, written in the same
transaction as its rows; if two projectors race over one view, the loser's
tracking insert fails and its whole batch rolls back.
"""

from __future__ import annotations

import hashlib
from abc import abstractmethod
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import orjson
from eventsourcing.persistence import Tracking, TrackingRecorder

from events import CustomerErased, Event
from projections.sql import Cursor, Sql

UPSTREAM = "contacthub"


def is_secondary_index(statement: str) -> bool:
    """A non-unique index: only speeds up reads, so a rebuild may build it last."""
    return statement.lstrip().upper().startswith("CREATE INDEX")


class SqlView(TrackingRecorder):
    """A read model on SQL. Subclasses give the tables and how events change them."""

    name: ClassVar[str]
    # table name -> its key columns, which order rows for the checksum
    tables: ClassVar[dict[str, str]]
    create_statements: ClassVar[tuple[str, ...]]
    db: Sql

    @property
    def tracking_name(self) -> str:
        # Views share a tracking table, so each tracks the upstream under its own name.
        return f"{self.name}@{UPSTREAM}"

    if TYPE_CHECKING:  # provided by the library's recorder for each store

        def _insert_tracking(self, c: Any, tracking: Tracking) -> None: ...
        def create_table(self) -> None: ...

    @abstractmethod
    def apply(self, cursor: Cursor, events: Sequence[Event]) -> None:
        """Changes the rows for the events, in order."""

    def forget(self, cursor: Cursor, customer_id: str) -> None:
        """Drops the customer's personal data from the rows (an erasure), keeping
        what the history needs without it. The default: the view holds none."""

    def statements(self) -> tuple[str, ...]:
        """What `setup` runs: the class's statements (a store's view may leave
        out what the store cannot do)."""
        return self.create_statements

    def setup(self, *, defer_indexes: bool = False) -> None:
        """Creates the tables and their indexes (all idempotent). With
        `defer_indexes`, secondary indexes wait for `create_indexes()`: a rebuild
        loads the rows first and sorts each index once at the end, instead of
        keeping every index in order row by row. Unique indexes are never
        deferred: they enforce the model's keys."""
        self.create_table()
        with self.db.transaction(commit=True) as cursor:
            for statement in self.statements():
                if not (defer_indexes and is_secondary_index(statement)):
                    cursor.execute(self.db.sql(statement))

    def create_indexes(self) -> None:
        """Creates the indexes a deferred setup left out, then refreshes the
        planner's statistics on the freshly filled tables."""
        with self.db.transaction(commit=True) as cursor:
            for statement in self.statements():
                if is_secondary_index(statement):
                    cursor.execute(self.db.sql(statement))
            for table in self.tables:
                cursor.execute(f"ANALYZE {table}")

    def process_batch(self, events: Sequence[Event], position: int) -> None:
        with self.db.transaction(commit=True) as cursor:
            if self.db.dialect == "postgres":
                # Rows and position commit together, so a crash that loses the
                # last commits only means projecting those events again from
                # the store: the view need not wait for its WAL flush.
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
            # An erasure scrubs what the events before it wrote, so the batch is
            # applied in runs between erasures, each erasure after its run.
            run: list[Event] = []
            for event in events:
                if isinstance(event, CustomerErased):
                    if run:
                        self.apply(cursor, run)
                        run = []
                    assert event.customer_id is not None
                    self.forget(cursor, str(event.customer_id))
                else:
                    run.append(event)
            if run:
                self.apply(cursor, run)
            self._insert_tracking(cursor, Tracking(self.tracking_name, position))

    def position(self) -> int:
        if self.db.dialect == "postgres":
            # One autocommitted statement, not the library's BEGIN/SELECT/ROLLBACK:
            # read-your-writes and the valuations' cache ask on every request.
            rows = self.db.query(
                f"SELECT MAX(notification_id) AS n FROM {self.tracking_table}"
                " WHERE application_name = %(name)s",
                {"name": self.tracking_name},
            )
            return int(rows[0]["n"] or 0)
        return self.max_tracking_id(self.tracking_name) or 0

    def drop(self, *, defer_indexes: bool = False) -> None:
        """Removes the rows and the position, for a rebuild (see `setup` for
        `defer_indexes`)."""
        with self.db.transaction(commit=True) as cursor:
            for table in self.tables:
                cursor.execute(f"DROP TABLE IF EXISTS {table}")
            self.db.run(
                cursor,
                f"DELETE FROM {self.tracking_table} WHERE application_name = %(name)s",
                {"name": self.tracking_name},
            )
        self.setup(defer_indexes=defer_indexes)

    @property
    def tracking_table(self) -> str:
        return (
            "tracking"
            if self.db.dialect == "sqlite"
            else str(getattr(self, "tracking_table_name", "notification_tracking"))
        )

    def table_checksums(self) -> dict[str, str]:
        """A digest of each table's rows (in key order), to say which table of
        a rebuilt view differs from the live one."""
        result = {}
        for table, key in self.tables.items():
            digest = hashlib.sha256()
            for row in self.db.query(f"SELECT * FROM {table} ORDER BY {key}"):
                digest.update(orjson.dumps(row, default=str, option=orjson.OPT_SORT_KEYS))
            result[table] = digest.hexdigest()
        return result

    def checksum(self) -> str:
        """A digest of every row, to prove a rebuild equals the live run."""
        digest = hashlib.sha256()
        for table, key in self.tables.items():
            rows = self.db.query(f"SELECT * FROM {table} ORDER BY {key}")
            digest.update(table.encode())
            for row in rows:
                digest.update(orjson.dumps(row, default=str, option=orjson.OPT_SORT_KEYS))
        return digest.hexdigest()
