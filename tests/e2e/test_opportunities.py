"""Opportunities over HTTP on SQLite and PostgreSQL: moved through the stages,
one won by an order (the hook the order intake calls), one lost; the pipeline
report with the values, conversion and time in stage worked out by hand, the
same after the read models are rebuilt from the log; the SVG chart."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import httpx
import pytest

from events import OpportunityStageChanged, ProspectMarked
from services.entry.api.routes.opportunities import report_of
from services.infra.settings import Settings
from services.wiring.hub import Hub, build_hub
from tests.support.complaints import SettableClock, customer_id_of, customer_writes
from tests.support.hub import running_hub

T0 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)
PHONE = "+4917612345678"


@pytest.fixture
def clock() -> SettableClock:
    return SettableClock(T0)


@pytest.fixture
def hub(settings: Settings, port: int, clock: SettableClock) -> Iterator[Hub]:
    with running_hub(settings, port, clock=clock) as running:
        yield running


def open_one(api: Any, customer_id: str, title: str, value: str, **extra: Any) -> dict[str, Any]:
    response = api.post(
        "/opportunities",
        json={"customer_id": customer_id, "title": title, "value": value, **extra},
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def move(api: Any, opportunity: dict[str, Any], stage: str, reason: str = "") -> dict[str, Any]:
    response = api.post(
        f"/opportunities/{opportunity['opportunity_id']}/stage",
        json={"stage": stage, "reason": reason},
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_an_opportunity_won_by_an_order_shows_in_the_pipeline_report_also_after_replay(
    hub: Hub,
    settings: Settings,
    client: httpx.Client,
    base_url: str,
    api: Any,
    clock: SettableClock,
) -> None:
    customer_writes(client, base_url, 1, PHONE, "Ich interessiere mich für eine Wärmepumpe")
    customer_id = customer_id_of(api, PHONE)

    a = open_one(api, customer_id, "Wärmepumpe", "5000.00", prospect_source="fair")
    b = open_one(api, customer_id, "Solardach", "2000.00", owner="bert")
    assert (a["stage"], a["owner"], a["value"], a["currency"]) == (
        "new",
        "agent.test",
        "5000.00",
        "EUR",
    )
    clock.set(T0 + DAY)
    c = open_one(api, customer_id, "Wartungsvertrag", "100.50")
    move(api, a, "qualified")
    clock.set(T0 + 2 * DAY)
    move(api, b, "qualified")
    clock.set(T0 + 3 * DAY)
    move(api, a, "proposal")
    clock.set(T0 + 4 * DAY)
    move(api, a, "negotiation")
    clock.set(T0 + 5 * DAY)
    lost = move(api, b, "lost", reason="price")
    assert (lost["stage"], lost["close_reason"]) == ("lost", "price")
    clock.set(T0 + 6 * DAY)
    # The order intake's hook: the customer's order wins the opportunity furthest along.
    last = hub.opportunities.close_by_order(UUID(customer_id), "SO-2026-0042")
    assert last > 0
    [changed] = [e for e in hub.store.stream(UUID(a["opportunity_id"]))][-1:]
    assert isinstance(changed, OpportunityStageChanged)
    assert (changed.to_stage, changed.order_id) == ("won", "SO-2026-0042")
    hub.projector.wake()
    assert hub.projector.wait_for(last)
    assert any(isinstance(e, ProspectMarked) for e in hub.store.stream(UUID(customer_id)))

    clock.set(T0 + 7 * DAY)
    won = api.get(f"/opportunities/{a['opportunity_id']}").json()
    assert (won["stage"], won["order_id"], won["close_reason"]) == ("won", "SO-2026-0042", "order")
    mine = api.get("/opportunities", params={"owner": "agent.test"}).json()["items"]
    assert {o["title"] for o in mine} == {"Wärmepumpe", "Wartungsvertrag"}
    assert [
        o["title"] for o in api.get("/opportunities", params={"stage": "new"}).json()["items"]
    ] == ["Wartungsvertrag"]

    report = api.get("/analytics/pipeline").json()
    stages = {s["stage"]: s for s in report["stages"]}
    assert [s["stage"] for s in report["stages"]] == [
        "new",
        "qualified",
        "proposal",
        "negotiation",
        "won",
        "lost",
    ]
    assert (stages["new"]["count"], stages["new"]["value"]) == (1, {"EUR": "100.50"})
    assert (stages["won"]["count"], stages["won"]["value"]) == (1, {"EUR": "5000.00"})
    assert (stages["lost"]["count"], stages["lost"]["value"]) == (1, {"EUR": "2000.00"})
    assert stages["qualified"]["count"] == 0 and stages["qualified"]["value"] == {}
    assert (stages["new"]["reached"], stages["new"]["converted_to_next"]) == (3, 2)
    assert (stages["qualified"]["reached"], stages["qualified"]["converted_to_next"]) == (2, 1)
    assert stages["qualified"]["conversion_rate"] == 0.5
    assert stages["negotiation"]["conversion_rate"] == 1.0
    # new: a 1 day, b 2 days, c 6 days so far -> 3 days; qualified: a 2, b 3 -> 2.5 days
    assert stages["new"]["mean_seconds_in_stage"] == pytest.approx(3 * 86400)
    assert stages["qualified"]["mean_seconds_in_stage"] == pytest.approx(2.5 * 86400)
    assert report["won_by_reason"] == {"order": 1}
    assert report["lost_by_reason"] == {"price": 1}
    assert report["win_rate"] == 0.5
    assert c["stage"] == "new"

    chart = api.get("/reports/pipeline.svg")
    assert chart.status_code == 200
    assert chart.headers["content-type"].startswith("image/svg+xml")
    svg = ET.fromstring(chart.text)
    bars = {
        bar.get("data-stage"): float(bar.get("height", "0"))
        for bar in svg.iter("{http://www.w3.org/2000/svg}rect")
        if bar.get("data-stage")
    }
    assert bars["won"] > bars["lost"] > bars["new"] > 0 and bars["qualified"] == 0

    before = report_of(hub)
    hub.close()
    rebuilt = build_hub(settings, clock=clock, parts=("projector",))
    try:
        rebuilt.projector.rebuild()
        after = report_of(rebuilt)
    finally:
        rebuilt.close()
    assert after.model_dump(exclude={"generated_at"}) == before.model_dump(exclude={"generated_at"})


def test_bad_opportunity_commands_are_refused_and_change_nothing(
    hub: Hub, client: httpx.Client, base_url: str, api: Any
) -> None:
    customer_writes(client, base_url, 2, PHONE, "Angebot bitte")
    customer_id = customer_id_of(api, PHONE)
    unknown = "00000000-0000-0000-0000-000000000001"
    assert (
        api.post(
            "/opportunities", json={"customer_id": unknown, "title": "x", "value": "1"}
        ).status_code
        == 404
    )
    for bad in ({"value": "-1"}, {"value": "1.001"}, {"currency": "euro"}, {"title": ""}):
        body = {"customer_id": customer_id, "title": "Dach", "value": "10", **bad}
        response = api.post("/opportunities", json=body)
        assert response.status_code == 422, (bad, response.text)
    opened = open_one(api, customer_id, "Dach", "10")
    path = f"/opportunities/{opened['opportunity_id']}/stage"
    refused = api.post(path, json={"stage": "lost"})
    assert refused.status_code == 409 and "reason" in refused.json()["detail"]
    assert api.post(path, json={"stage": "signed"}).status_code == 409
    assert api.post(f"/opportunities/{unknown}/stage", json={"stage": "won"}).status_code == 404
    assert api.get(f"/opportunities/{unknown}").status_code == 404
    assert len(hub.store.stream(UUID(opened["opportunity_id"]))) == 1
    assert httpx.get(base_url + "/api/v1/opportunities").status_code == 401
    # The same Idempotency-Key opens nothing new.
    again = [
        api.post(
            "/opportunities",
            json={"customer_id": customer_id, "title": "Fenster", "value": "99"},
            headers={"Idempotency-Key": "k-1"},
        )
        for _ in range(2)
    ]
    assert [r.status_code for r in again] == [201, 200]
    assert again[0].json()["opportunity_id"] == again[1].json()["opportunity_id"]
