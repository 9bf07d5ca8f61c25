"""A list parameter (`column = ANY(%(ids)s)`) selects the same rows on SQLite
(a JSON text read by json_each) as on PostgreSQL (an array): the read models'
one query per batch instead of one per message (services/infra/sql.py)."""

from __future__ import annotations

from pathlib import Path

from services.infra.settings import Settings
from services.wiring.hub import build_hub


def test_any_of_a_list_selects_its_members(tmp_path: Path, database_url: str | None) -> None:
    hub = build_hub(Settings(data_dir=tmp_path, database_url=database_url, _env_file=None))  # type: ignore[call-arg]
    try:
        db = hub.db
        with db.transaction(commit=True) as cursor:
            cursor.execute(db.sql("CREATE TABLE list_probe (k TEXT PRIMARY KEY, n BIGINT)"))
            db.run_many(
                cursor,
                "INSERT INTO list_probe (k, n) VALUES (%(k)s, %(n)s)",
                [{"k": f"key-{n}", "n": n} for n in range(50)],
            )
        statement = "SELECT k FROM list_probe WHERE k = ANY(%(ids)s) AND n >= %(least)s ORDER BY n"
        wanted = ["key-3", "key-40", "key-7", "absent", "key-41"]
        found = db.query(statement, {"ids": wanted, "least": 5})
        assert [row["k"] for row in found] == ["key-7", "key-40", "key-41"]
        assert db.query(statement, {"ids": [], "least": 0}) == []
        # A value with JSON's own quote and backslash stays one value.
        odd = 'key-"odd"\\'
        with db.transaction(commit=True) as cursor:
            db.run(cursor, "INSERT INTO list_probe (k, n) VALUES (%(k)s, 99)", {"k": odd})
        assert db.query(statement, {"ids": [odd], "least": 0}) == [{"k": odd}]
    finally:
        hub.close()
