"""`contacthub demo` as a real process: a history up to now whose complaint cases
look like a working contact centre's (today's open, a few overdue, most resolved
in time), and a second run that changes nothing and leaves no progress bar behind."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from projections.complaints.view import CaseFilter
from services.app.demo import demo_loaded
from services.infra.settings import Settings
from services.wiring.hub import build_hub

CLI = str(Path(sys.executable).parent / "contacthub")
OPEN_STATES = {"new", "assigned", "waiting"}


def run_demo(data_dir: Path, database_url: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONTACTHUB_")}
    env["CONTACTHUB_DATA_DIR"] = str(data_dir)
    if database_url:
        env["CONTACTHUB_DATABASE_URL"] = database_url
    return subprocess.run(
        [CLI, "demo", "--customers", "120", "--interactions", "1200"],
        env=env,
        cwd=data_dir.parent,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )


def test_the_demo_history_ends_now_and_its_open_cases_are_mostly_within_their_sla(
    tmp_path: Path, database_url: str | None
) -> None:
    data_dir = tmp_path / "data"
    first = run_demo(data_dir, database_url)

    hub = build_hub(Settings(data_dir=data_dir, database_url=database_url, _env_file=None))
    try:
        hub.projector.catch_up()
        cases = hub.views.complaints.cases(CaseFilter(state=None), limit=10_000)
        breached = [c for c in cases if c["fr_breached"] or c["res_breached"]]
        open_cases = [c for c in cases if c["state"] in OPEN_STATES]
        open_breached = [c for c in open_cases if c in breached]
        resolved = [c for c in cases if c["state"] == "resolved"]
        assert len(cases) >= 20
        assert open_cases and resolved
        # Mostly on time: the open cases (what the queues show) and the history.
        assert len(open_breached) < len(open_cases) / 2, (len(open_breached), len(open_cases))
        assert len(breached) < len(cases) / 2, (len(breached), len(cases))
        assert any(c not in breached for c in resolved) and any(c in breached for c in resolved)
        # The history ends now: some customer wrote within the last day.
        newest = max(
            datetime.fromisoformat(c["last_contact_at"])
            for c in hub.views.customer360.search("", None, 1000)
        )
        assert newest > datetime.now(UTC) - timedelta(days=1)
        # Orders too, for the analytics: most customers buy, a few buy most.
        buyers = hub.views.orders.customer_totals("", "9999")
        assert 0.5 * 120 < len(buyers) < 120
        revenue = sorted((int(b["revenue_cents"]) for b in buyers), reverse=True)
        assert sum(revenue[: len(revenue) // 5]) > 0.4 * sum(revenue)
        before = hub.store.max_notification_id()
        # A second run sees that this sample is loaded before it starts anything.
        sample = {"customers": 120, "interactions": 1200, "secret": hub.address_secret}
        assert demo_loaded(hub.store, seed=42, **sample)
        assert not demo_loaded(hub.store, seed=43, **sample)
    finally:
        hub.close()
    assert "recorded 120 customers with 1200 interactions" in first.stderr
    assert "orders" in first.stderr

    again = run_demo(data_dir, database_url)
    assert "already loaded" in again.stderr
    # Nothing recorded, and no progress bar started and left half-drawn.
    assert "recording interactions" not in again.stderr
    hub = build_hub(Settings(data_dir=data_dir, database_url=database_url, _env_file=None))
    try:
        assert hub.store.max_notification_id() == before
    finally:
        hub.close()
