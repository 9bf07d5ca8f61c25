"""Supervisor figures on a generated history equal figures computed here,
independently, from the raw events in the store."""

from __future__ import annotations

import math
import random
import statistics
from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from events import Event
from services.infra.auth import Role
from services.infra.settings import Settings
from services.wiring.hub import Hub
from tests.support.complaints import (
    SettableClock,
    agent_client,
    cases_of,
    customer_id_of,
    customer_writes,
)
from tests.support.hub import running_hub, wait_until

START = datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Europe/Berlin"))  # a Monday
COMPLAINTS = [
    "Mein Toaster ist kaputt",
    "Ich möchte das defekte Gerät reklamieren",
    "I want a refund for my order",
    "Beschwerde über den Kundendienst",
    "The kettle arrived broken",
]


@pytest.fixture
def clock() -> SettableClock:
    return SettableClock(START)


@pytest.fixture
def hub(settings: Settings, port: int, clock: SettableClock) -> Iterator[Hub]:
    tuned = settings.model_copy(update={"sla_tick_seconds": 0.05})
    with running_hub(tuned, port, clock=clock) as running:
        yield running


def generate(
    hub: Hub, client: httpx.Client, base_url: str, clock: SettableClock, seed: int
) -> None:
    rng = random.Random(seed)
    agents = {n: agent_client(hub, base_url, n) for n in ("anna", "ben", "cem")}
    boss = agent_client(hub, base_url, "sue", Role.SUPERVISOR)
    try:
        cases: list[str] = []
        customers: list[str] = []
        for step in range(45):
            clock.advance(timedelta(minutes=rng.randint(5, 150)))
            action = rng.choice(["sms", "sms", "whatsapp", "api", "act", "act", "act", "act"])
            if action in ("sms", "whatsapp") or not cases:
                phone = f"+49151{step:08d}"
                sender = f"whatsapp:{phone}" if action == "whatsapp" else phone
                customer_writes(client, base_url, 100 + step, sender, rng.choice(COMPLAINTS))
                customer = customer_id_of(agents["anna"], phone)
                [case] = wait_until(lambda c=customer: cases_of(agents["anna"], c))
                cases.append(case["complaint_id"])
                if action == "sms":
                    customers.append(customer)
            elif action == "api" and customers:
                opened = boss.post(
                    "/complaints",
                    json={
                        "customer_id": rng.choice(customers),
                        "queue": rng.choice(["billing", "complaints"]),
                        "priority": rng.choice(["low", "normal", "high", "urgent"]),
                    },
                )
                assert opened.status_code == 201, opened.text
                cases.append(opened.json()["complaint_id"])
            else:
                cid = rng.choice(cases)
                name = rng.choice(list(agents))
                agent = agents[name]
                verb = rng.choice(["claim", "reply", "resolve", "escalate", "reopen", "close"])
                if verb == "reply":
                    answer = agent.post(
                        f"/complaints/{cid}/reply", json={"body": "Wir prüfen das."}
                    )
                    assert answer.status_code in (200, 409), answer.text
                else:
                    answer = agent.post(f"/complaints/{cid}/{verb}")
                    assert answer.status_code in (200, 409), answer.text
        clock.advance(timedelta(days=2))
        hub.complaints.scheduler.tick()
    finally:
        for c in (*agents.values(), boss):
            c.close()


def durations(values: list[float]) -> dict[str, Any]:
    if not values:
        return {"count": 0, "median_seconds": None, "p90_seconds": None}
    ordered = sorted(values)
    rank = math.ceil(len(ordered) * 9 / 10)
    return {
        "count": len(ordered),
        "median_seconds": float(statistics.median(ordered)),
        "p90_seconds": float(ordered[rank - 1]),
    }


def expected_figures(events: list[Event], now: datetime) -> dict[str, Any]:
    """Walks the raw events: nothing from the read model or the domain's folds."""
    cases: dict[str, dict[str, Any]] = {}
    for e in events:
        key = str(e.originator_id)
        data = e.model_dump()
        if e.type == "ComplaintOpened":
            cases[key] = {
                "queue": data["queue"],
                "channel": data["channel"] or "none",
                "opened": e.occurred_at,
                "status": "open",
                "assignee": None,
                "first": None,
                "first_by": None,
                "resolved": None,
                "resolved_by": None,
                "breached": False,
            }
            continue
        case = cases.get(key)
        if case is None:
            continue
        if e.type in ("ComplaintClaimed", "ComplaintAssigned"):
            case["assignee"] = data.get("agent") or data.get("assignee")
        elif e.type == "ComplaintEscalated":
            case["queue"], case["assignee"] = data["to_queue"], None
        elif e.type == "AgentReplied" and case["first"] is None:
            case["first"], case["first_by"] = e.occurred_at, data["agent"]
        elif e.type == "ComplaintAwaitingCustomer":
            case["status"] = "waiting"
        elif e.type == "CustomerReplied" and case["status"] == "waiting":
            case["status"] = "open"
        elif e.type == "ComplaintResolved":
            case["status"], case["resolved"], case["resolved_by"] = (
                "resolved",
                e.occurred_at,
                data["by"],
            )
        elif e.type == "ComplaintReopened":
            case["status"], case["resolved"], case["resolved_by"] = "open", None, None
        elif e.type == "ComplaintClosed":
            case["status"] = "closed"
        elif e.type == "SlaBreached":
            case["breached"] = True

    def is_open(c: dict[str, Any]) -> bool:
        return c["status"] in ("open", "waiting")

    def done(c: dict[str, Any]) -> bool:
        return c["status"] in ("resolved", "closed")

    def compliance(group: list[dict[str, Any]]) -> float | None:
        if not group:
            return None
        return round(100.0 * sum(not c["breached"] for c in group) / len(group), 2)

    def figures(group: list[dict[str, Any]]) -> dict[str, Any]:
        ages = [(now - c["opened"]).total_seconds() for c in group if is_open(c)]
        return {
            "cases": len(group),
            "open": len(ages),
            "oldest_open_age_seconds": max(ages) if ages else None,
            "median_open_age_seconds": float(statistics.median(ages)) if ages else None,
            "sla_compliance_percent": compliance(group),
            "first_response": durations(
                [(c["first"] - c["opened"]).total_seconds() for c in group if c["first"]]
            ),
            "resolution": durations(
                [(c["resolved"] - c["opened"]).total_seconds() for c in group if done(c)]
            ),
        }

    by_queue: dict[str, list[dict[str, Any]]] = defaultdict(list)
    by_channel: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for c in cases.values():
        by_queue[c["queue"]].append(c)
        by_channel[c["channel"]].append(c)
    names = {c[k] for c in cases.values() for k in ("assignee", "first_by", "resolved_by")}
    agents = []
    for name in sorted(n for n in names if n):
        resolved = [c for c in cases.values() if c["resolved_by"] == name and done(c)]
        agents.append(
            {
                "agent": name,
                "open_assigned": sum(
                    1 for c in cases.values() if c["assignee"] == name and is_open(c)
                ),
                "resolved": len(resolved),
                "sla_compliance_percent": compliance(resolved),
                "first_response": durations(
                    [
                        (c["first"] - c["opened"]).total_seconds()
                        for c in cases.values()
                        if c["first_by"] == name
                    ]
                ),
                "resolution": durations(
                    [(c["resolved"] - c["opened"]).total_seconds() for c in resolved]
                ),
            }
        )
    return {
        "overall": figures(list(cases.values())),
        "queues": [{"queue": q, **figures(g)} for q, g in sorted(by_queue.items())],
        "channels": [{"channel": ch, **figures(g)} for ch, g in sorted(by_channel.items())],
        "agents": agents,
    }


def test_supervisor_figures_equal_figures_from_the_raw_events(
    hub: Hub, client: httpx.Client, base_url: str, api: Any, clock: SettableClock
) -> None:
    generate(hub, client, base_url, clock, seed=7)
    supervisor = agent_client(hub, base_url, "sue", Role.SUPERVISOR)
    try:
        assert api.get("/analytics/complaints").status_code == 403  # agents may not

        def matches() -> dict[str, Any] | None:
            hub.complaints.intake.catch_up()
            raw = [e for _, e in hub.store.notifications(0, 100_000)]
            expected = expected_figures(raw, clock())
            shown = supervisor.get("/analytics/complaints").json()
            shown.pop("generated_at")
            return expected if shown == expected else None

        expected = wait_until(matches, timeout=10)
    finally:
        supervisor.close()
    # The history is rich enough for the comparison to mean something.
    overall = expected["overall"]
    assert overall["cases"] >= 10 and overall["open"] >= 1
    assert overall["first_response"]["count"] >= 3 and overall["resolution"]["count"] >= 3
    assert 0 < overall["sla_compliance_percent"] < 100
    assert {c["channel"] for c in expected["channels"]} >= {"sms", "whatsapp"}
    assert len(expected["agents"]) >= 3

    # Rebuilt from the store, the queues equal the live ones.
    hub.projector.stop()
    hub.projector.catch_up()
    view = hub.views.complaints
    live = view.checksum()
    view.drop()
    hub.projector.catch_up()
    assert view.checksum() == live
