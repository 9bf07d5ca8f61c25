"""Makes deleted rows really gone: after an erasure, the bytes of updated and
deleted rows linger in SQLite's free pages and write-ahead log and in
PostgreSQL's dead tuples until the database is compacted.

SQLite: VACUUM rewrites the file without its free pages, then a TRUNCATE
checkpoint empties the WAL (VACUUM itself goes through it). PostgreSQL: VACUUM
of the touched tables frees the dead tuples for reuse, so they leave any dump
and are overwritten; the server's own WAL archive, if any, keeps its retention.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import psycopg
from psycopg import sql

log = logging.getLogger(__name__)

CHECKPOINT_ATTEMPTS = 50


def compact_sqlite(path: Path, *, lock_timeout: float = 10.0) -> None:
    """VACUUMs the file and empties its WAL; waits for other writers (the lock
    timeout) and, for the checkpoint, for readers of older snapshots to finish."""
    connection = sqlite3.connect(path, timeout=lock_timeout, isolation_level=None)
    try:
        connection.execute("VACUUM")
        for _ in range(CHECKPOINT_ATTEMPTS):
            busy, _log, _done = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            if not busy:
                return
            time.sleep(0.1)  # a reader holds an old snapshot: it ends with its request
        log.warning(
            "%s: the WAL could not be emptied (a long reader); the next erasure retries", path
        )
    finally:
        connection.close()


def vacuum_postgres(database_url: str, tables: Iterable[str]) -> None:
    """VACUUM of the tables that exist (VACUUM runs outside any transaction)."""
    url = urlparse(database_url)
    schema = dict(p.split("=", 1) for p in url.query.split("&") if "=" in p).get("schema")
    plain = urlunparse(url._replace(query=""))
    with psycopg.connect(plain, autocommit=True) as connection:
        if schema:
            connection.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
        for table in tables:
            found = connection.execute("SELECT to_regclass(%s)", (table,)).fetchone()
            if found and found[0] is not None:
                connection.execute(sql.SQL("VACUUM {}").format(sql.Identifier(table)))
