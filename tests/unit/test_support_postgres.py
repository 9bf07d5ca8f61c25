"""The throwaway-database helper that the PostgreSQL fixtures rely on."""

from __future__ import annotations

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict

from tests.support.postgres import admin_url, create_database, drop_database


def _exists(name: str) -> bool:
    with psycopg.connect(admin_url()) as conn:
        row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        return row is not None


@pytest.mark.postgres
def test_create_database_is_usable_and_drop_removes_it_despite_open_connections() -> None:
    url = create_database()
    name = conninfo_to_dict(url)["dbname"]
    assert isinstance(name, str) and name.startswith("ch_test_")
    assert _exists(name)

    conn = psycopg.connect(url)
    try:
        conn.execute("CREATE TABLE probe (id integer PRIMARY KEY)")
        conn.execute("INSERT INTO probe VALUES (1)")
        conn.commit()
        assert conn.execute("SELECT id FROM probe").fetchall() == [(1,)]
        conn.commit()

        drop_database(url)  # while `conn` is still open

        assert not _exists(name)
        with pytest.raises(psycopg.OperationalError):
            conn.execute("SELECT 1")
    finally:
        conn.close()


def test_drop_database_refuses_a_database_it_did_not_create() -> None:
    with pytest.raises(ValueError, match="refusing"):
        drop_database(admin_url())
