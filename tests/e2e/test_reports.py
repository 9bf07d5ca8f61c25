"""Reports as JSON, CSV and SVG: complaint rate by product (the weakest first,
against rates computed here), channel mix and revenue by class; every chart
parses as SVG; the same after the read models are rebuilt."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from services.infra.settings import Settings
from services.wiring.hub import Hub
from tests.e2e.test_analytics import NOW
from tests.support.hub import inbound_sms_form, post_signed, running_hub, settle

SVG = "{http://www.w3.org/2000/svg}"
# sku -> orders containing it; complaints: (how the case names the product, category)
ORDERS = {"P1": 10, "P2": 4, "P3": 8, "P4": 5}
COMPLAINTS = [
    ("P1", "late"),
    ("Name P2", "broken"),  # by name, any case
    ("name p2", "broken"),
    ("P2", "late"),
    ("P3", "broken"),
    ("P3", "broken"),
    ("P3", "late"),
    ("Unknown thing", "late"),  # never sold: no rate
]


@pytest.fixture
def hub(settings: Settings, port: int) -> Iterator[Hub]:
    with running_hub(settings, port, clock=lambda: NOW) as running:
        yield running


def load(api: Any) -> str:
    customer = ""
    n = 0
    for sku, count in ORDERS.items():
        for _ in range(count):
            n += 1
            body = {
                "order_id": f"R-{n}",
                "customer": {"email": f"r{n % 6}@example.org"},
                "ordered_at": (NOW - timedelta(days=n)).isoformat(),
                "currency": "EUR",
                "lines": [
                    {"sku": sku, "name": f"Name {sku}", "quantity": 1, "unit_price": f"{n}.00"}
                ],
            }
            answer = api.post("/orders", json=body)
            assert answer.status_code == 201, answer.text
            customer = answer.json()["customer_id"]
    for product, category in COMPLAINTS:
        opened = api.post(
            "/complaints",
            json={"customer_id": customer, "product": product, "category": category},
        )
        assert opened.status_code in (200, 201), opened.text
    return customer


def svg_bars(text: str) -> list[ET.Element]:
    root = ET.fromstring(text)
    assert root.tag == SVG + "svg"
    assert root.find(SVG + "title") is not None
    return [r for r in root.iter(SVG + "rect") if "data-series" in r.attrib]


def test_the_complaint_report_ranks_products_by_rate(
    api: Any, hub: Hub, client: httpx.Client, base_url: str
) -> None:
    load(api)
    for n in range(3):
        form = inbound_sms_form(100 + n, f"+491769000444{n}", "Hallo")
        assert post_signed(client, base_url, "/webhooks/twilio/sms", form).status_code == 200
    settle(hub)
    # Independently: cases per sku (name or sku, any case) / orders with it.
    names = {f"name {s}".casefold(): s for s in ORDERS} | {s.casefold(): s for s in ORDERS}
    cases: dict[str, int] = {}
    for product, _ in COMPLAINTS:
        sku = names.get(product.casefold())
        if sku:
            cases[sku] = cases.get(sku, 0) + 1
    expected = sorted(cases, key=lambda s: (-cases[s] / ORDERS[s], -cases[s], s))

    def check() -> dict[str, Any]:
        found = api.get("/reports/complaints-by-product").json()
        assert [r[0] for r in found["rows"]] == expected  # P2 (3/4), P3 (3/8), P1 (1/10)
        assert [r[4] for r in found["rows"]] == [round(cases[s] / ORDERS[s], 6) for s in expected]
        assert found["rows"][0][5] == "broken"  # P2's top reason
        table = api.get("/reports/complaints-by-product", params={"format": "csv"})
        assert table.headers["content-type"].startswith("text/csv")
        parsed = list(csv.reader(io.StringIO(table.text)))
        assert parsed[0] == found["columns"]
        assert [row[0] for row in parsed[1:]] == expected
        chart = api.get("/reports/complaints-by-product", params={"format": "svg"})
        assert chart.headers["content-type"].startswith("image/svg+xml")
        bars = svg_bars(chart.text)
        assert [b.attrib["data-label"] for b in bars] == expected
        assert [float(b.attrib["data-value"]) for b in bars] == [r[4] for r in found["rows"]]
        mix = api.get("/reports/channel-mix").json()
        sms_column = mix["columns"].index("sms")
        assert sum(r[sms_column] for r in mix["rows"]) == 3
        svg_bars(api.get("/reports/channel-mix", params={"format": "svg"}).text)
        revenue = api.get("/reports/revenue-by-class").json()
        total = sum(n for n in range(1, sum(ORDERS.values()) + 1))
        assert round(sum(sum(r[1:]) for r in revenue["rows"]), 2) == total
        bars = svg_bars(api.get("/reports/revenue-by-class", params={"format": "svg"}).text)
        assert round(sum(float(b.attrib["data-value"]) for b in bars), 2) == total
        return {"products": found, "mix": mix, "revenue": revenue}

    before = check()
    assert api.get("/reports/nope").status_code == 422
    # A store projected before the channel mix kept monthly totals gets them
    # from its timeline when the view is set up.
    view = hub.views.customer360
    with view.db.transaction(commit=True) as cursor:
        cursor.execute("DROP TABLE c360_channel_months")
    view.setup()
    assert check() == before
    # As `contacthub replay` does, with nothing else projecting meanwhile.
    hub.projector.stop()
    hub.projector.rebuild()
    assert check() == before


def test_an_empty_hub_still_draws_every_chart(api: Any) -> None:
    for name in ("complaints-by-product", "channel-mix", "revenue-by-class"):
        answer = api.get(f"/reports/{name}", params={"format": "svg"})
        assert answer.status_code == 200
        assert svg_bars(answer.text) == []
        assert api.get(f"/reports/{name}").json()["rows"] == []
