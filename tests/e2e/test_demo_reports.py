"""The demo's complaints name products its customers ordered, with a skew, so the
complaint report ranks products meaningfully: the ranking equals one computed
here from the recorded events alone; every chart on the demo data parses as
SVG; and both are the same after `contacthub replay`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any
from uuid import UUID
from xml.etree import ElementTree as ET

import httpx

from events import ComplaintCategorised, ComplaintOpened, OrderPlaced
from services.infra.auth import Role
from services.infra.eventstore import EventStore
from services.infra.settings import Settings
from tests.support.hub import running_hub
from tests.support.ports import free_port

CLI = str(Path(sys.executable).parent / "contacthub")
SVG = "{http://www.w3.org/2000/svg}"
CHARTS = (
    "/reports/complaints-by-product?format=svg",
    "/reports/channel-mix?format=svg",
    "/reports/revenue-by-class?format=svg",
    "/reports/pipeline.svg",
)


def cli(data_dir: Path, database_url: str | None, *args: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONTACTHUB_")}
    env["CONTACTHUB_DATA_DIR"] = str(data_dir)
    if database_url:
        env["CONTACTHUB_DATABASE_URL"] = database_url
    subprocess.run(
        [CLI, *args], env=env, cwd=data_dir.parent, capture_output=True, timeout=300, check=True
    )


def expected_ranking(store: EventStore) -> list[tuple[str, int, int, float, str]]:
    """(sku, orders containing it, cases naming it, rate, top reason), weakest
    first, from the log: each case's latest product and category, each order's skus."""
    cases: dict[UUID, tuple[str | None, str | None]] = {}
    orders: dict[str, int] = {}
    after = 0
    while batch := store.notifications(after, 1000):
        after = batch[-1][0]
        for _, event in batch:
            if isinstance(event, ComplaintOpened | ComplaintCategorised):
                cases[event.originator_id] = (event.product, event.category)
            elif isinstance(event, OrderPlaced):
                for sku in {line.sku for line in event.lines}:
                    orders[sku] = orders.get(sku, 0) + 1
    reasons: dict[str, dict[str, int]] = {}
    for product, category in cases.values():
        if product and product in orders:
            by_reason = reasons.setdefault(product, {})
            by_reason[category or "uncategorised"] = (
                by_reason.get(category or "uncategorised", 0) + 1
            )
    rows = []
    for sku, counted in reasons.items():
        complaints = sum(counted.values())
        top = min(counted.items(), key=lambda kv: (-kv[1], kv[0]))[0]
        rows.append((sku, orders[sku], complaints, round(complaints / orders[sku], 6), top))
    return sorted(rows, key=lambda r: (-r[3], -r[2], r[0]))


def test_the_demo_complaint_report_ranks_products_as_the_events_say(
    tmp_path: Path, database_url: str | None
) -> None:
    data_dir = tmp_path / "data"
    cli(data_dir, database_url, "demo", "--customers", "120", "--interactions", "1200")
    port = free_port()
    settings = Settings(
        data_dir=data_dir,
        database_url=database_url,
        public_url=f"http://127.0.0.1:{port}",
        _env_file=None,  # type: ignore[call-arg]
    )

    def served() -> dict[str, Any]:
        with running_hub(settings, port) as hub:
            hub.projector.catch_up()
            expected = expected_ranking(hub.store)
            token = hub.tokens.create(Role.SUPERVISOR, f"sup-{free_port()}")
            with httpx.Client(
                base_url=f"http://127.0.0.1:{port}/api/v1",
                headers={"Authorization": f"Bearer {token}"},
                timeout=30,
            ) as api:
                report = api.get("/reports/complaints-by-product").json()
                charts = {path: api.get(path) for path in CHARTS}
        # Meaningful: many products, and the weakest far weaker than the strongest.
        assert len(expected) >= 5
        assert expected[0][3] >= 2 * expected[-1][3], expected
        got = [(r[0], r[2], r[3], r[4], r[5]) for r in report["rows"]]
        assert got == expected
        for path, answer in charts.items():
            assert answer.status_code == 200, (path, answer.text)
            assert answer.headers["content-type"].startswith("image/svg+xml"), path
            root = ET.fromstring(answer.text)
            assert root.tag == SVG + "svg", path
        bars = [
            r
            for r in ET.fromstring(charts[CHARTS[0]].text).iter(SVG + "rect")
            if "data-series" in r.attrib
        ]
        assert [b.attrib["data-label"] for b in bars] == [row[0] for row in expected]
        # The figures a replay must reproduce (the other charts count from "now").
        return {"report": report, "chart": charts[CHARTS[0]].text}

    before = served()
    cli(data_dir, database_url, "replay")
    assert served() == before
