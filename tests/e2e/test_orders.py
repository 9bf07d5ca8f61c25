"""Orders in over HTTP and from a CSV history, and the buying behaviour in the
360 view, on SQLite and PostgreSQL. Expected figures are computed here from
the raw orders, independently of the hub's read model."""

from __future__ import annotations

import csv
import itertools
import random
import statistics
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from services.infra.settings import Settings
from services.wiring.hub import Hub
from tests.support.cli import cli_env, run_cli
from tests.support.hub import inbound_sms_form, post_signed, settle, wait_until

T0 = datetime(2025, 1, 6, 10, 0, tzinfo=UTC)


def an_order(order_id: str, customer: dict[str, str], at: datetime, *lines: Any) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "customer": customer,
        "ordered_at": at.isoformat(),
        "currency": "EUR",
        "lines": [
            {"sku": s, "name": f"Product {s}", "category": c, "quantity": q, "unit_price": p}
            for s, c, q, p in lines
        ],
    }


def test_an_order_from_an_unknown_email_registers_the_customer_once(api: Any) -> None:
    order = an_order("A-1", {"email": "Ida.Lund@EXAMPLE.org"}, T0, ("sku-1", "tea", 2, "4.50"))
    first = api.post("/orders", json=order)
    assert first.status_code == 201, first.text
    again = api.post("/orders", json=order)
    assert again.status_code == 200
    assert again.json() == {**first.json(), "created": False}
    customer_id = first.json()["customer_id"]
    # The same address, its domain differently written, is the same customer.
    second = an_order(
        "A-2",
        {"email": "Ida.Lund@example.org"},
        T0 + timedelta(days=10),
        ("sku-2", "cups", 1, "12.00"),
    )
    assert api.post("/orders", json=second).json()["customer_id"] == customer_id
    found = api.get(f"/customers/{customer_id}").json()
    assert found["addresses"] == [
        {
            "channel": "email",
            "address": "Ida.Lund@example.org",
            "linked_at": found["addresses"][0]["linked_at"],
        }
    ]
    buying = found["buying"]
    assert Decimal(buying["revenue"]) == Decimal("21.00")
    assert buying["order_count"] == 2
    assert Decimal(buying["average_basket"]) == Decimal("10.50")
    assert buying["usual_interval_days"] == 10.0
    assert [c["key"] for c in buying["top_categories"]] == ["cups", "tea"]
    assert [p["key"] for p in buying["top_products"]] == ["sku-1", "sku-2"]


def test_an_order_by_phone_joins_the_customer_who_texted_from_it(
    api: Any, client: httpx.Client, base_url: str
) -> None:
    phone = "+4917690002222"
    post_signed(client, base_url, "/webhooks/twilio/sms", inbound_sms_form(7, phone, "Hallo"))
    [texted] = wait_until(lambda: api.get("/customers", params={"q": phone}).json()["items"])
    order = an_order("B-1", {"phone": "0176 90002222"}, T0, ("sku-1", "tea", 1, "3.00"))
    assert api.post("/orders", json=order).json()["customer_id"] == texted["customer_id"]


def test_returns_and_cancellations_take_revenue_back_and_bad_ones_change_nothing(
    api: Any, hub: Hub
) -> None:
    order = an_order(
        "C-1",
        {"email": "c@example.org"},
        T0,
        ("sku-1", "tea", 3, "5.00"),
        ("sku-2", "cups", 1, "9.99"),
    )
    customer_id = api.post("/orders", json=order).json()["customer_id"]
    back = {"return_id": "R-1", "lines": [{"sku": "sku-1", "quantity": 2}]}
    assert api.post("/orders/C-1/returns", json=back).status_code == 201
    assert api.post("/orders/C-1/returns", json=back).status_code == 200  # the same return
    before = hub.store.max_notification_id()
    too_many = {"return_id": "R-2", "lines": [{"sku": "sku-1", "quantity": 2}]}
    refused = api.post("/orders/C-1/returns", json=too_many)
    assert refused.status_code == 422 and "still kept" in refused.json()["detail"]
    unknown_sku = {"return_id": "R-3", "lines": [{"sku": "nope", "quantity": 1}]}
    assert api.post("/orders/C-1/returns", json=unknown_sku).status_code == 422
    assert api.post("/orders/NOPE/returns", json=back).status_code == 404
    assert hub.store.max_notification_id() == before
    buying = api.get(f"/customers/{customer_id}").json()["buying"]
    assert Decimal(buying["revenue"]) == Decimal("14.99")
    assert buying["order_count"] == 1
    cancel = {"return_id": "X-1", "kind": "cancellation"}
    assert api.post("/orders/C-1/returns", json=cancel).status_code == 201
    buying = api.get(f"/customers/{customer_id}").json()["buying"]
    assert Decimal(buying["revenue"]) == 0 and buying["order_count"] == 0
    assert buying["top_products"] == [] and buying["last_order_at"] is None
    assert api.post("/orders/C-1/returns", json={**cancel, "return_id": "X-2"}).status_code == 422


def test_malformed_orders_are_refused_with_the_reason_and_record_nothing(
    api: Any, hub: Hub
) -> None:
    before = hub.store.max_notification_id()
    line = ("sku-1", "tea", 1, "1.00")
    cases = {
        "two customer refs": an_order(
            "D-1", {"email": "d@example.org", "phone": "+4917690003333"}, T0, line
        ),
        "no lines": an_order("D-2", {"email": "d@example.org"}, T0),
        "naive time": {
            **an_order("D-3", {"email": "d@example.org"}, T0, line),
            "ordered_at": "2025-01-01T10:00:00",
        },
        "negative price": an_order(
            "D-4", {"email": "d@example.org"}, T0, ("sku-1", "tea", 1, "-1")
        ),
        "bad email": an_order("D-5", {"email": "not an address"}, T0, line),
        "same sku twice": an_order("D-6", {"email": "d@example.org"}, T0, line, line),
    }
    for name, body in cases.items():
        answer = api.post("/orders", json=body)
        assert answer.status_code == 422, (name, answer.text)
        assert answer.json()["detail"], name
    unknown = an_order("D-7", {"customer_id": "00000000-0000-4000-8000-000000000000"}, T0, line)
    assert api.post("/orders", json=unknown).status_code == 404
    assert hub.store.max_notification_id() == before


# The CSV history: a few customers buy most (a skewed share), known answers below.


def write_history(path: Path, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    rows: list[dict[str, Any]] = []
    for n in range(120):
        customer = min(int(rng.paretovariate(1.2)), 25)
        at = T0 + timedelta(days=rng.randrange(0, 300), minutes=n)
        for k in range(rng.randint(1, 3)):
            rows.append(
                {
                    "order_id": f"H-{n}",
                    "customer_id": "",
                    "email": f"buyer{customer}@example.org",
                    "phone": "",
                    "ordered_at": at.isoformat(),
                    "currency": "EUR",
                    "sku": f"sku-{k}-{rng.randrange(5)}",
                    "name": "Thing",
                    "category": rng.choice(["tea", "cups", "books"]),
                    "quantity": rng.randint(1, 4),
                    "unit_price": f"{rng.randrange(100, 5000) / 100:.2f}",
                }
            )
    with path.open("w", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return rows


def expected_behaviour(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    per: dict[str, dict[str, Any]] = {}
    for r in rows:
        c = per.setdefault(r["email"], {"orders": {}, "revenue": Decimal(0)})
        c["revenue"] += Decimal(r["unit_price"]) * r["quantity"]
        c["orders"][r["order_id"]] = datetime.fromisoformat(r["ordered_at"])
    for c in per.values():
        times = sorted(c["orders"].values())
        gaps = [(b - a).total_seconds() / 86400 for a, b in itertools.pairwise(times)]
        c["count"] = len(times)
        c["first"], c["last"] = times[0], times[-1]
        c["interval"] = round(statistics.median(gaps), 2) if gaps else None
    return per


def test_a_csv_history_imports_once_and_the_behaviour_matches_the_raw_orders(
    api: Any, hub: Hub, settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "orders.csv"
    rows = write_history(path, seed=5)
    with path.open("a") as out:  # one malformed order, reported and skipped
        out.write("BAD-1,,bad@example.org,,yesterday,EUR,sku-1,Thing,tea,1,1.00\n")
    env = cli_env(settings)
    done = run_cli(env, "orders", "import", str(path))
    assert done.returncode == 1, done.stderr
    assert done.stdout.split() == ["120", str(len(rows)), "0", "1"]
    assert "line " in done.stderr and "BAD-1" in done.stderr
    again = run_cli(env, "orders", "import", str(path))
    assert again.stdout.split() == ["0", "0", "120", "1"]
    settle(hub)
    expected = expected_behaviour(rows)
    seen = {}
    for email, want in expected.items():
        [found] = api.get("/customers", params={"q": email}).json()["items"]
        buying = api.get(f"/customers/{found['customer_id']}").json()["buying"]
        assert Decimal(buying["revenue"]) == want["revenue"], email
        assert buying["order_count"] == want["count"], email
        assert datetime.fromisoformat(buying["first_order_at"]) == want["first"]
        assert datetime.fromisoformat(buying["last_order_at"]) == want["last"]
        assert buying["usual_interval_days"] == want["interval"], email
        seen[email] = buying
    # Everything the same after a rebuild of the read models.
    checksums = {v.name: v.checksum() for v in hub.views.all}
    # As `contacthub replay` does, with nothing else projecting meanwhile.
    hub.projector.stop()
    hub.projector.rebuild()
    assert {v.name: v.checksum() for v in hub.views.all} == checksums
    for email, buying in seen.items():
        [found] = api.get("/customers", params={"q": email}).json()["items"]
        assert api.get(f"/customers/{found['customer_id']}").json()["buying"] == buying


def test_an_order_wins_the_customers_open_opportunity(hub: Hub, api: Any) -> None:
    """The hook between orders and the pipeline: a new order closes the customer's
    open opportunity as won, naming the order; the same order again changes nothing."""
    first = api.post(
        "/orders", json=an_order("W-1", {"email": "won@example.org"}, T0, ("s-1", "tea", 1, "3.00"))
    )
    assert first.status_code == 201, first.text
    customer_id = first.json()["customer_id"]
    opened = api.post(
        "/opportunities", json={"customer_id": customer_id, "title": "Ausbau", "value": "80.00"}
    )
    assert opened.status_code == 201, opened.text
    opportunity = opened.json()["opportunity_id"]
    assert api.get(f"/opportunities/{opportunity}").json()["stage"] == "new"

    order = an_order(
        "W-2", {"customer_id": customer_id}, T0 + timedelta(days=1), ("s-2", "pump", 1, "80.00")
    )
    assert api.post("/orders", json=order).status_code == 201
    settle(hub)
    won = api.get(f"/opportunities/{opportunity}").json()
    assert (won["stage"], won["order_id"]) == ("won", "W-2"), won
    before = hub.store.max_notification_id()
    assert api.post("/orders", json=order).status_code == 200
    assert hub.store.max_notification_id() == before
