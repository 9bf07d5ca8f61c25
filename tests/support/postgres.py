"""Throwaway PostgreSQL databases for tests.

Every test that needs PostgreSQL gets a database of its own, so tests never see
each other's events and can run in any order. tests/run.sh starts the server and
creates the superuser role these helpers connect as.
"""

from __future__ import annotations

import os
import uuid
from urllib.parse import urlsplit

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

ENV_VAR = "CONTACTHUB_TEST_DATABASE_URL"
DEFAULT_URL = "postgresql://contacthub:contacthub@127.0.0.1:5432/contacthub"
PREFIX = "ch_test_"


def admin_url() -> str:
    """The maintenance database to create and drop test databases from.

    tests/run.sh exports it; the default is what run.sh provisions, so a bare
    `pytest` works after one run of it.
    """
    return os.environ.get(ENV_VAR) or DEFAULT_URL


def create_database(template: str | None = None) -> str:
    """Create a fresh, uniquely named database and return its URL; a copy of the
    database at URL `template` if given (one made here, with no connection open).

    Unique names let concurrent test sessions share one server.
    """
    name = f"{PREFIX}{uuid.uuid4().hex}"
    statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    if template is not None:
        statement += sql.SQL(" TEMPLATE {}").format(sql.Identifier(_test_database(template)))
    with psycopg.connect(admin_url(), autocommit=True) as conn:
        conn.execute(statement)
    return urlsplit(admin_url())._replace(path=f"/{name}").geturl()


def _test_database(url: str) -> str:
    name = conninfo_to_dict(url).get("dbname")
    if not isinstance(name, str) or not name.startswith(PREFIX):
        raise ValueError(f"{name!r} is not a database made by create_database")
    return name


def disconnect(url: str) -> None:
    """Ends every connection to a database made by create_database (a template
    must have none)."""
    with psycopg.connect(admin_url(), autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = %s AND pid <> pg_backend_pid()",
            (_test_database(url),),
        )


def drop_database(url: str) -> None:
    """Drop a database made by create_database, even if connections to it are open.

    A test that fails midway may leave a pool connected; terminating the backends
    first lets the drop succeed instead of failing with "being accessed by other
    users". Names without the test prefix are refused, so a wrong URL cannot drop
    a real database.
    """
    name = conninfo_to_dict(url).get("dbname")
    if not isinstance(name, str) or not name.startswith(PREFIX):
        raise ValueError(f"refusing to drop {name!r}: not a database made by create_database")
    disconnect(url)
    with psycopg.connect(admin_url(), autocommit=True) as conn:
        # FORCE (PostgreSQL 13+) also ends connections opened since the line above.
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
