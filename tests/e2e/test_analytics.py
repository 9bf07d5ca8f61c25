"""ABC classes, RFM scores and segments, churn flags and value over time, on
SQLite and PostgreSQL, against answers computed here from the raw orders; the
same after the read models are rebuilt (`contacthub replay`)."""

from __future__ import annotations

import io
import itertools
import random
import statistics
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from domain.addresses import address_key
from domain.valuation import AbcLimits
from events import customer_id_for_address
from services.app.orders.importer import parse
from services.infra.settings import Settings
from services.wiring.hub import Hub
from tests.support.hub import running_hub, settle

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
WINDOW_START = datetime(2025, 6, 15, 12, 0, tzinfo=UTC)  # 12 months before NOW


@pytest.fixture
def hub(settings: Settings, port: int) -> Iterator[Hub]:
    with running_hub(settings, port, clock=lambda: NOW) as running:
        yield running


def raw_orders(seed: int) -> list[dict[str, Any]]:
    """Orders of 50 customers: Pareto-many orders, each at their own rhythm."""
    rng = random.Random(seed)
    found = []
    for c in range(50):
        count = min(int(rng.paretovariate(1.0)), 30)
        rhythm = rng.uniform(5, 60)
        at = NOW - timedelta(days=rng.uniform(20, 700))
        for n in range(count):
            if at >= NOW:
                break
            cents = rng.randrange(500, 40000) * (5 if c % 7 == 0 else 1)
            found.append(
                {
                    "order_id": f"O-{c}-{n}",
                    "email": f"c{c:02d}@example.org",
                    "at": at,
                    "cents": cents,
                }
            )
            at += timedelta(days=rng.expovariate(1 / rhythm))
    return found


def as_csv(orders: list[dict[str, Any]]) -> str:
    lines = ["order_id,email,ordered_at,currency,sku,name,category,quantity,unit_price"]
    for o in orders:
        price = Decimal(o["cents"]) / 100
        lines.append(f"{o['order_id']},{o['email']},{o['at'].isoformat()},EUR,S1,x,y,1,{price}")
    return "\n".join(lines) + "\n"


def expected_abc(orders: list[dict[str, Any]], a: float, b: float) -> dict[str, str]:
    revenue: dict[str, int] = {}
    for o in orders:
        if WINDOW_START <= o["at"] < NOW:
            revenue[o["email"]] = revenue.get(o["email"], 0) + o["cents"]
    ranked = sorted(revenue.items(), key=lambda kv: (-kv[1], kv[0]))
    total = sum(revenue.values())
    classes, running = {}, 0
    for email, cents in ranked:
        percent = Decimal(running) * 100 / Decimal(total)
        classes[email] = "A" if percent < Decimal(a) else "B" if percent < Decimal(a + b) else "C"
        running += cents
    return classes


def score(values: dict[str, float]) -> dict[str, int]:
    """Quintile: 1 + 5 * (customers strictly worse) // n."""
    n = len(values)
    return {k: 1 + 5 * sum(1 for w in values.values() if w < v) // n for k, v in values.items()}


def expected_rfm(orders: list[dict[str, Any]]) -> dict[str, tuple[int, int, int]]:
    last: dict[str, datetime] = {}
    count: dict[str, int] = {}
    money: dict[str, int] = {}
    for o in orders:
        e = o["email"]
        last[e] = max(last.get(e, o["at"]), o["at"])
        count[e] = count.get(e, 0) + 1
        money[e] = money.get(e, 0) + o["cents"]
    r = score({e: -(NOW - t).total_seconds() for e, t in last.items()})
    f = score({e: float(n) for e, n in count.items()})
    m = score({e: float(v) for e, v in money.items()})
    return {e: (r[e], f[e], m[e]) for e in last}


def expected_churn(orders: list[dict[str, Any]], factor: float = 3.0) -> set[str]:
    times: dict[str, list[datetime]] = {}
    for o in orders:
        times.setdefault(o["email"], []).append(o["at"])
    flagged = set()
    for email, ts in times.items():
        ts.sort()
        if len(ts) < 3:
            continue
        gaps = [(b - a).total_seconds() / 86400 for a, b in itertools.pairwise(ts)]
        usual = round(statistics.median(gaps), 2)
        since = round((NOW - ts[-1]).total_seconds() / 86400, 2)
        if since > max(factor * usual, 30):
            flagged.add(email)
    return flagged


def key(email: str, hub: Hub) -> str:
    return address_key(hub.address_secret, "email", email)


def by_email(api: Any, emails: set[str]) -> dict[str, dict[str, Any]]:
    found = {}
    for email in sorted(emails):
        [row] = api.get("/customers", params={"q": email}).json()["items"]
        found[email] = api.get(f"/customers/{row['customer_id']}").json()
    return found


def test_abc_rfm_and_churn_equal_the_answers_from_the_raw_orders(api: Any, hub: Hub) -> None:
    orders = raw_orders(seed=11)
    report = hub.order_importer.run(parse(io.StringIO(as_csv(orders))))
    assert report.errors == [] and report.orders == len(orders)
    settle(hub)
    emails = {o["email"] for o in orders}
    abc = expected_abc(orders, 80, 15)
    rfm = expected_rfm(orders)
    churn = expected_churn(orders)
    assert churn and len(set(abc.values())) == 3  # the data exercise every answer

    def check() -> dict[str, Any]:
        seen = by_email(api, emails)
        for email, view in seen.items():
            got = view["classification"]
            assert got["abc_class"] == abc.get(email), email
            assert (got["rfm"]["recency"], got["rfm"]["frequency"], got["rfm"]["monetary"]) == (
                rfm[email]
            ), email
            assert got["churn"]["at_risk"] == (email in churn), (email, got["churn"])
            if email in churn:
                assert "usually one every" in got["churn"]["reason"]
        summary = api.get("/analytics/abc").json()
        counts = {c["abc_class"]: c["customers"] for c in summary["classes"]}
        assert counts == {k: sum(1 for v in abc.values() if v == k) for k in "ABC"}
        window_total = sum(o["cents"] for o in orders if WINDOW_START <= o["at"] < NOW)
        assert sum(Decimal(c["revenue"]) for c in summary["classes"]) * 100 == window_total
        monthly_total = sum(
            Decimal(v) for m in summary["monthly"] for v in m["revenue_by_class"].values()
        )
        assert monthly_total * 100 == window_total
        segments = api.get("/analytics/rfm", params={"limit": 1000}).json()
        assert segments["customers"] == len(rfm)
        assert sum(s["customers"] for s in segments["segments"]) == len(rfm)
        flagged = api.get("/analytics/churn", params={"limit": 1000}).json()
        assert flagged["at_risk"] == len(churn)
        return {"views": seen, "abc": summary, "rfm": segments, "churn": flagged}

    before = check()
    # As `contacthub replay` does, with nothing else projecting meanwhile.
    hub.projector.stop()
    hub.projector.rebuild()
    assert check() == before


def test_the_abc_limits_are_configurable_and_checked(hub: Hub, settings: Settings) -> None:
    orders = raw_orders(seed=3)
    hub.order_importer.run(parse(io.StringIO(as_csv(orders))))
    settle(hub)
    abc = expected_abc(orders, 50, 30)
    found = hub.valuations.snapshot(limits=AbcLimits.parse("50,30,20"))
    by_email = {o["email"]: str(customer_id_for_address(key(o["email"], hub))) for o in orders}
    assert {e: found.abc.get(c) for e, c in by_email.items() if e in abc} == abc
    with pytest.raises(ValidationError, match="sum to 100"):
        settings.model_validate({**settings.model_dump(), "abc_limits": "50,50,50"})
