"""Suggestions from item-to-item co-occurrence: the documented cosine score,
never a product the customer owns or returned, on SQLite and PostgreSQL."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

from services.wiring.hub import Hub

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
BASKETS = {
    "c1": ["A", "B"],
    "c2": ["A", "B", "C"],
    "c3": ["A", "C"],
    "c4": ["B", "D"],
    "c6": ["A", "E"],
    "c5": ["A", "E"],  # the customer we suggest to; E goes back
}


def order(api: Any, n: int, who: str, skus: list[str]) -> str:
    body = {
        "order_id": f"S-{n}",
        "customer": {"email": f"{who}@example.org"},
        "ordered_at": (T0 + timedelta(days=n)).isoformat(),
        "currency": "EUR",
        "lines": [
            {"sku": s, "name": f"Name {s}", "category": "cat", "quantity": 1, "unit_price": "10"}
            for s in skus
        ],
    }
    answer = api.post("/orders", json=body)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["customer_id"])


def test_suggestions_follow_the_cosine_score_and_skip_what_is_owned(api: Any, hub: Hub) -> None:
    ids = {who: order(api, n, who, skus) for n, (who, skus) in enumerate(BASKETS.items())}
    back = {"return_id": "R", "lines": [{"sku": "E", "quantity": 1}]}
    assert api.post(f"/orders/S-{len(BASKETS) - 1}/returns", json=back).status_code == 201
    # Independently: kept baskets, buyers per product, cosine per pair.
    kept = {who: set(skus) - ({"E"} if who == "c5" else set()) for who, skus in BASKETS.items()}
    buyers = {s: sum(1 for b in kept.values() if s in b) for s in "ABCDE"}

    def sim(i: str, j: str) -> float:
        both = sum(1 for b in kept.values() if i in b and j in b)
        return both / math.sqrt(buyers[i] * buyers[j])

    expected = sorted(
        ((j, sim("A", j)) for j in "BCD" if sim("A", j) > 0), key=lambda x: (-x[1], x[0])
    )
    found = api.get(f"/customers/{ids['c5']}/suggestions").json()["items"]
    assert [(s["sku"], round(s["score"], 6)) for s in found] == [
        (j, round(v, 6)) for j, v in expected
    ]
    assert [s["sku"] for s in found] == ["C", "B"]  # never A (owned), E (returned), D (unrelated)
    assert found[0]["name"] == "Name C" and found[0]["because"] == ["A"]
    view = api.get(f"/customers/{ids['c5']}").json()
    assert view["suggestions"]["items"] == found
    limited = api.get(f"/customers/{ids['c5']}/suggestions", params={"limit": 1}).json()
    assert [s["sku"] for s in limited["items"]] == ["C"]
    unknown = api.get("/customers/00000000-0000-4000-8000-000000000000/suggestions")
    assert unknown.status_code == 404
    # As `contacthub replay` does, with nothing else projecting meanwhile.
    hub.projector.stop()
    hub.projector.rebuild()
    assert api.get(f"/customers/{ids['c5']}/suggestions").json()["items"] == found
