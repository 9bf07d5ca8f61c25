"""The SQL port the read models write through.

Views write one SQL text for SQLite and PostgreSQL, with PostgreSQL's named
`%(name)s` parameters; the runner that translates and executes it is
infrastructure (services/infra/sql.py) and is handed to each view by the
composition root.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any, Literal, Protocol

Dialect = Literal["sqlite", "postgres"]


class Cursor(Protocol):
    def execute(self, sql: Any, params: Any = ..., /) -> Any: ...
    def executemany(self, sql: Any, params: Any, /) -> Any: ...
    def fetchall(self) -> Any: ...
    def fetchone(self) -> Any: ...


class Sql(Protocol):
    """Runs dialect-neutral statements on one datastore."""

    dialect: Dialect

    def sql(self, statement: str) -> str: ...

    def transaction(self, *, commit: bool) -> AbstractContextManager[Cursor]: ...

    def run(
        self, cursor: Cursor, statement: str, params: Mapping[str, Any] | None = None
    ) -> None: ...

    def run_many(
        self, cursor: Cursor, statement: str, rows: Sequence[Mapping[str, Any]]
    ) -> None: ...

    def insert_rows(
        self,
        cursor: Cursor,
        table: str,
        columns: Sequence[tuple[str, str]],
        rows: Sequence[Mapping[str, Any]],
        tail: str = "",
    ) -> None: ...

    def query(
        self, statement: str, params: Mapping[str, Any] | None = None
    ) -> list[dict[str, Any]]: ...
