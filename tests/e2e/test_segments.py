"""Segments: saved filters over behaviour, classification, complaints and
consent; member counts equal the ones computed here from the raw data, on
SQLite and PostgreSQL, and after the read models are rebuilt."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest

from services.app.orders.importer import parse
from services.infra.settings import Settings
from services.wiring.hub import Hub
from tests.e2e.test_analytics import (
    NOW,
    as_csv,
    expected_abc,
    expected_churn,
    raw_orders,
)
from tests.support.hub import running_hub, settle


@pytest.fixture
def hub(settings: Settings, port: int) -> Iterator[Hub]:
    with running_hub(settings, port, clock=lambda: NOW) as running:
        yield running


def test_segment_counts_equal_the_raw_answers(api: Any, hub: Hub) -> None:
    orders = raw_orders(seed=11)
    hub.order_importer.run(parse(io.StringIO(as_csv(orders))))
    settle(hub)
    emails = sorted({o["email"] for o in orders})
    ids = {}
    for email in emails:
        [row] = api.get("/customers", params={"q": email}).json()["items"]
        ids[email] = row["customer_id"]
    opted_out = set(emails[::4])
    for email in opted_out:
        answer = api.put(f"/customers/{ids[email]}/consent", json={"channels": {"email": False}})
        assert answer.status_code == 200
    complained = set(emails[1::6])
    for email in complained:
        opened = api.post("/complaints", json={"customer_id": ids[email], "product": "S1"})
        assert opened.status_code in (200, 201), opened.text
    settle(hub)
    abc = expected_abc(orders, 80, 15)
    churn = expected_churn(orders)
    counts: dict[str, int] = {}
    revenue: dict[str, int] = {}
    for o in orders:
        counts[o["email"]] = counts.get(o["email"], 0) + 1
        revenue[o["email"]] = revenue.get(o["email"], 0) + o["cents"]
    cases = {
        "a-reachable-by-email": (
            {
                "all": [
                    {"field": "abc_class", "op": "eq", "value": "A"},
                    {"not": {"field": "opted_out", "op": "contains", "value": "email"}},
                ]
            },
            {e for e in emails if abc.get(e) == "A" and e not in opted_out},
        ),
        "churning-or-complaining": (
            {
                "any": [
                    {"field": "churn_risk", "op": "eq", "value": True},
                    {"field": "complaints", "op": "ge", "value": 1},
                ]
            },
            churn | complained,
        ),
        "regular-big-spenders": (
            {
                "all": [
                    {"field": "order_count", "op": "ge", "value": 3},
                    {"field": "revenue", "op": "gt", "value": 500},
                ]
            },
            {e for e in emails if counts[e] >= 3 and revenue[e] > 50_000},
        ),
    }
    made = {}
    for name, (flt, expected) in cases.items():
        assert expected, name  # the data exercise each filter
        answer = api.post("/segments", json={"name": name, "filter": flt})
        assert answer.status_code == 201, answer.text
        assert answer.json()["members"] == len(expected), name
        made[name] = answer.json()["segment_id"]

    def check() -> dict[str, Any]:
        listed = {s["name"]: s["members"] for s in api.get("/segments").json()["items"]}
        assert listed == {name: len(expected) for name, (_, expected) in cases.items()}
        members = {}
        for name, (_, expected) in cases.items():
            got = api.get(f"/segments/{made[name]}/members", params={"limit": 1000}).json()
            assert set(got["customer_ids"]) == {ids[e] for e in expected}, name
            members[name] = got
        return members

    before = check()
    page = api.get(f"/segments/{made['churning-or-complaining']}/members", params={"limit": 2})
    assert page.json()["customer_ids"] == before["churning-or-complaining"]["customer_ids"][:2]
    # Bad input: named, refused, nothing saved.
    bad = api.post(
        "/segments", json={"name": "x", "filter": {"field": "nope", "op": "eq", "value": 1}}
    )
    assert bad.status_code == 422 and "unknown field" in bad.json()["detail"]
    wrong_op = {"field": "revenue", "op": "contains", "value": 1}
    assert api.post("/segments", json={"name": "y", "filter": wrong_op}).status_code == 422
    again = api.post("/segments", json={"name": "regular-big-spenders", "filter": {"all": []}})
    assert again.status_code == 409
    assert len(api.get("/segments").json()["items"]) == len(cases)
    unknown = api.get("/segments/00000000-0000-4000-8000-000000000000/members")
    assert unknown.status_code == 404
    # As `contacthub replay` does, with nothing else projecting meanwhile.
    hub.projector.stop()
    hub.projector.rebuild()
    assert check() == before
