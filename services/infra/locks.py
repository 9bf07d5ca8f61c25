"""One projector per read-model set: a lock that `serve` holds and `replay` needs.

A replay drops the view tables; a live projector writing into them at the same
time would mix old and new rows. SQLite uses a lock file in the data folder,
PostgreSQL a session advisory lock (released when the process dies, also on
SIGKILL).
"""

from __future__ import annotations

import fcntl
import os
import zlib
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

from services.infra.settings import Settings


class AlreadyRunning(RuntimeError):
    """Another process holds the lock."""


@contextmanager
def exclusive(settings: Settings, name: str = "projector") -> Iterator[None]:
    message = (
        f"another process holds the {name} lock (is `contacthub serve` or "
        f"`contacthub run projector` running on this store?); stop it first"
    )
    if settings.database_url:
        key = zlib.crc32(f"contacthub:{name}".encode())
        with psycopg.connect(settings.database_url, autocommit=True) as conn:
            row = conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()
            if not row or not row[0]:
                raise AlreadyRunning(message)
            yield
        return
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(settings.data_dir / f"{name}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise AlreadyRunning(message) from None
        yield
    finally:
        os.close(fd)


@contextmanager
def schema_lock(settings: Settings) -> Iterator[None]:
    """Serialises creating tables across processes starting at once.

    PostgreSQL's CREATE TABLE IF NOT EXISTS is not safe against a concurrent
    twin (the loser fails on the catalog's unique index), and a distributed hub
    starts all its processes together. SQLite serialises DDL itself.
    """
    if not settings.database_url:
        yield
        return
    key = zlib.crc32(b"contacthub:schema")
    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (key,))
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (key,))
