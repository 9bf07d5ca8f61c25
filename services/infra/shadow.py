"""A place beside the live read models to rebuild them into, for comparison.

SQLite: a separate file in the data folder. PostgreSQL: a separate schema in
the same database, with the connections' search_path set to it alone, so the
views' unqualified table names land there and never in the live schema.
Either is removed when the comparison ends.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore
from psycopg import Connection
from psycopg.sql import SQL, Identifier

from services.infra.eventstore.store import StoreLocation


class SchemaBoundDatastore(PostgresDatastore):
    """A PostgreSQL datastore whose every connection looks only in its schema."""

    def after_connect_func(self) -> Callable[[Connection[Any]], None]:
        base = super().after_connect_func()
        search_path = SQL("SET search_path TO {}").format(Identifier(self.schema))

        def after_connect(conn: Connection[Any]) -> None:
            base(conn)
            conn.cursor().execute(search_path)

        return after_connect


def _drop_sqlite(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


@contextmanager
def shadow_datastore(location: StoreLocation) -> Iterator[SQLiteDatastore | PostgresDatastore]:
    """An empty datastore beside the live views' `location`, removed afterwards."""
    if location.dialect == "sqlite":
        live = Path(location.env["SQLITE_DBNAME"])
        path = live.with_name(f"{live.stem}-shadow-{os.getpid()}.sqlite")
        _drop_sqlite(path)
        lite = SQLiteDatastore(str(path), lock_timeout=10, pool_size=2)
        try:
            yield lite
        finally:
            lite.close()
            _drop_sqlite(path)
        return
    env = location.env
    live_schema = env.get("POSTGRES_SCHEMA") or "public"
    schema = f"{live_schema}_shadow_{os.getpid()}"[:63]
    pg = SchemaBoundDatastore(
        dbname=env["POSTGRES_DBNAME"],
        host=env["POSTGRES_HOST"],
        port=env["POSTGRES_PORT"],
        user=env["POSTGRES_USER"],
        password=env["POSTGRES_PASSWORD"],
        connect_timeout=float(env.get("POSTGRES_CONNECT_TIMEOUT", "5")),
        pool_size=2,
        schema=schema,
    )
    create = SQL("CREATE SCHEMA IF NOT EXISTS {}").format(Identifier(schema))
    drop = SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(Identifier(schema))
    try:
        with pg.transaction(commit=True) as cursor:
            cursor.execute(drop)
            cursor.execute(create)
        yield pg
    finally:
        with pg.transaction(commit=True) as cursor:
            cursor.execute(drop)
        pg.close()
