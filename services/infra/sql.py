"""One SQL text for SQLite and PostgreSQL: the runner behind projections' `Sql` port.

The read models, the key store, tokens and blobs write the same SQL for both
stores; only the parameter style, list parameters and a few column types differ. Statements are
written with PostgreSQL's named `%(name)s` parameters and translated once for
SQLite.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Protocol

import orjson

from projections.sql import Cursor, Dialect

_NAMED_PARAM = re.compile(r"%\((\w+)\)s")
# `= ANY(%(ids)s)`: the value is one of a list parameter (one query for a batch,
# not one per item). SQLite has no arrays: it reads the list as JSON.
_ANY_PARAM = re.compile(r"= ANY\(%\((\w+)\)s\)")


def translate(sql: str, dialect: Dialect) -> str:
    """PostgreSQL-style SQL for the given dialect (`%(x)s` -> `:x`, types,
    `= ANY(%(x)s)` -> `IN (SELECT value FROM json_each(:x))`)."""
    if dialect == "postgres":
        return sql
    sql = _ANY_PARAM.sub(r"IN (SELECT value FROM json_each(%(\1)s))", sql)
    sql = _NAMED_PARAM.sub(r":\1", sql)
    return sql.replace("BIGINT", "INTEGER").replace("TIMESTAMPTZ", "TEXT")


def bound(params: Mapping[str, Any] | None, dialect: Dialect) -> dict[str, Any]:
    """The parameters as the dialect binds them: a list (for `= ANY`) is an
    array on PostgreSQL and a JSON text on SQLite."""
    values = dict(params or {})
    if dialect == "sqlite":
        for name, value in values.items():
            if isinstance(value, list | tuple):
                values[name] = orjson.dumps(value, default=str).decode()
    return values


class Datastore(Protocol):
    """The library's SQLiteDatastore and PostgresDatastore both fit this."""

    def transaction(self, *, commit: bool) -> AbstractContextManager[Any]: ...


class SqlRunner:
    """Runs dialect-neutral statements on one of the library's datastores."""

    def __init__(self, datastore: Datastore, dialect: Dialect) -> None:
        self.datastore = datastore
        self.dialect = dialect
        self._cache: dict[str, str] = {}

    def sql(self, statement: str) -> str:
        translated = self._cache.get(statement)
        if translated is None:
            translated = self._cache[statement] = translate(statement, self.dialect)
        return translated

    @contextmanager
    def transaction(self, *, commit: bool) -> Iterator[Cursor]:
        with self.datastore.transaction(commit=commit) as cursor:
            yield cursor

    def run(self, cursor: Cursor, statement: str, params: Mapping[str, Any] | None = None) -> None:
        cursor.execute(self.sql(statement), bound(params, self.dialect))

    def run_many(self, cursor: Cursor, statement: str, rows: Sequence[Mapping[str, Any]]) -> None:
        if rows:
            cursor.executemany(self.sql(statement), list(rows))

    def insert_rows(
        self,
        cursor: Cursor,
        table: str,
        columns: Sequence[tuple[str, str]],
        rows: Sequence[Mapping[str, Any]],
        tail: str = "",
    ) -> None:
        """Inserts many rows: one statement over typed arrays (`unnest`) on
        PostgreSQL, where a statement per row costs the server more than the
        rows do; executemany on SQLite. `columns` are (name, PostgreSQL type);
        the rows are keyed by column name; `tail` is e.g. an ON CONFLICT clause.
        """
        if not rows:
            return
        names = ", ".join(name for name, _ in columns)
        if self.dialect == "sqlite":
            values = ", ".join(f":{name}" for name, _ in columns)
            cursor.executemany(
                f"INSERT INTO {table} ({names}) VALUES ({values}) {tail}", list(rows)
            )
            return
        arrays = ", ".join(f"%({name})b::{kind}[]" for name, kind in columns)  # binary
        cursor.execute(
            f"INSERT INTO {table} ({names}) SELECT * FROM unnest({arrays}) {tail}",
            {name: [row[name] for row in rows] for name, _ in columns},
        )

    def execute(self, statement: str, params: Mapping[str, Any] | None = None) -> None:
        """One statement, committed on its own (durable when this returns): on
        PostgreSQL one round trip instead of three."""
        with self._one_statement(commit=True) as cursor:
            self.run(cursor, statement, params)

    def query(
        self, statement: str, params: Mapping[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        """The rows of one statement: on PostgreSQL one round trip instead of
        three. A 360 read makes a dozen of these; their BEGIN/ROLLBACK were most
        of its CPU (py-spy)."""
        with self._one_statement(commit=False) as cursor:
            self.run(cursor, statement, params)
            return [dict(row) for row in cursor.fetchall()]

    @contextmanager
    def _one_statement(self, *, commit: bool) -> Iterator[Cursor]:
        """A cursor for a single statement: on PostgreSQL without BEGIN and
        COMMIT/ROLLBACK (the library's connections are autocommit; one statement
        is atomic and reads one snapshot), on SQLite a transaction (in-process,
        no round trips to save)."""
        if self.dialect == "postgres":
            with self.datastore.cursor() as cursor:  # type: ignore[attr-defined]
                yield cursor
        else:
            with self.transaction(commit=commit) as cursor:
                yield cursor

    def ensure_columns(self, table: str, columns: Mapping[str, str]) -> None:
        """Adds the columns (name -> type) that a table made by an older version
        lacks. Processes starting together may race: one adding a column that
        another has just added is not an error."""
        for name, kind in columns.items():
            if name in self._columns(table):
                continue
            try:
                with self.transaction(commit=True) as cursor:
                    cursor.execute(f"ALTER TABLE {table} ADD COLUMN {name} {kind}")
            except Exception:
                if name not in self._columns(table):
                    raise

    def _columns(self, table: str) -> set[str]:
        if self.dialect == "sqlite":
            rows = self.query("SELECT name FROM pragma_table_info(%(t)s)", {"t": table})
        else:
            rows = self.query(
                "SELECT column_name AS name FROM information_schema.columns"
                " WHERE table_schema = current_schema() AND table_name = %(t)s",
                {"t": table},
            )
        return {row["name"] for row in rows}
