"""`contacthub replay --verify`: every read model rebuilt beside the live one (another
SQLite file, another PostgreSQL schema) and compared table by table, while the hub
runs; a tampered live row is found, and the live views are never touched."""

from __future__ import annotations

from pathlib import Path

import httpx

from services.infra.settings import Settings
from services.wiring.hub import Hub
from tests.support.cli import cli_env, run_cli
from tests.support.complaints import customer_writes
from tests.support.hub import settle


def rows_of(output: str) -> dict[str, list[str]]:
    """`table -> [position, live, rebuilt, result]` from the tab-separated report."""
    lines = output.strip().splitlines()
    assert lines[0].split("\t") == ["table", "position", "live", "rebuilt", "result"]
    return {line.split("\t")[0]: line.split("\t")[1:] for line in lines[1:]}


def shadows_left(hub: Hub, settings: Settings) -> list[str]:
    if settings.database_url is None:
        return sorted(p.name for p in Path(settings.data_dir).glob("*shadow*"))
    rows = hub.views.customer360.db.query(
        "SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE %(p)s",
        {"p": "%shadow%"},
    )
    return [row["schema_name"] for row in rows]


def test_verify_passes_on_a_live_hub_and_finds_a_tampered_row(
    hub: Hub, settings: Settings, client: httpx.Client, base_url: str
) -> None:
    for n in range(1, 7):
        customer_writes(client, base_url, n, f"+491511234560{n % 3}", f"Nachricht Nummer {n}")
    last = settle(hub)
    env = cli_env(settings)
    tables = {f"{v.name}.{t}" for v in hub.views.all for t in v.tables}

    passed = run_cli(env, "replay", "--verify")  # the hub (and its projector) keeps running
    assert passed.returncode == 0, passed.stdout + passed.stderr
    report = rows_of(passed.stdout)
    assert set(report) == tables
    live = {f"{v.name}.{t}": s for v in hub.views.all for t, s in v.table_checksums().items()}
    for table, (position, live_sum, rebuilt_sum, result) in report.items():
        assert (position, live_sum, rebuilt_sum, result) == (
            str(last),
            live[table],
            live[table],
            "same",
        )
    assert shadows_left(hub, settings) == []

    c360 = hub.views.customer360
    with c360.db.transaction(commit=True) as cursor:
        cursor.execute("UPDATE c360_customers SET interaction_count = interaction_count + 1")
    tampered = {t: s for t, s in c360.table_checksums().items()}

    failed = run_cli(env, "replay", "--verify")
    assert failed.returncode == 1, failed.stdout + failed.stderr
    report = rows_of(failed.stdout)
    assert report["customer360.c360_customers"][3] == "DIFFERENT"
    assert report["customer360.c360_customers"][1] == tampered["c360_customers"]
    assert report["customer360.c360_customers"][2] == live["customer360.c360_customers"]
    assert [t for t, row in report.items() if row[3] != "same"] == ["customer360.c360_customers"]
    assert "customer360.c360_customers" in failed.stderr
    # Only read: the tampered row is still there, nothing else changed, no shadow is left.
    assert c360.table_checksums() == tampered
    assert c360.position() == last
    assert shadows_left(hub, settings) == []
