"""SLA due times, pauses, warnings and breaches over HTTP, with a fixed clock and
the German calendar (Mon-Fri 08:00-18:00 Europe/Berlin, nationwide holidays),
against values computed by hand; and a scheduler that survives restarts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import httpx
import pytest

from domain import complaints
from projections.complaints import CaseFilter
from services.infra.auth import Role
from services.infra.settings import Settings
from services.wiring.hub import Hub
from tests.support.complaints import SettableClock, cases_of, customer_id_of, customer_writes
from tests.support.hub import running_hub, wait_until

CLI = str(Path(sys.executable).parent / "contacthub")
BERLIN = ZoneInfo("Europe/Berlin")
PHONE = "+4917612345678"
SLA = {
    "sla_targets": {
        "urgent": {"first_response": 1, "resolution": 4},
        "normal": {"first_response": 4, "resolution": 16},
    },
    "sla_warning_ratio": 0.8,
    "sla_timezone": "Europe/Berlin",
    "sla_workdays": "mon-fri",
    "sla_hours": "08:00-18:00",
    "sla_holidays": "DE",
    "sla_tick_seconds": 0.05,
}


def berlin(month: int, day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, second, tzinfo=BERLIN)


def utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


@pytest.fixture
def clock() -> SettableClock:
    # Thursday 30 April 2026, 16:00; Friday 1 May is Labour Day.
    return SettableClock(berlin(4, 30, 16))


@pytest.fixture
def sla_settings(settings: Settings) -> Settings:
    return settings.model_copy(update=SLA)


@pytest.fixture
def hub(sla_settings: Settings, port: int, clock: SettableClock) -> Iterator[Hub]:
    with running_hub(sla_settings, port, clock=clock) as running:
        yield running


def sla_events(hub: Hub, complaint_id: str) -> list[tuple[str, str, str]]:
    return [
        (e.type, e.target, utc(e.occurred_at))  # type: ignore[attr-defined]
        for e in hub.store.stream(UUID(complaint_id))
        if e.type in ("SlaWarningRaised", "SlaBreached")
    ]


def test_due_times_pause_warning_and_breach_across_weekend_and_holiday(
    hub: Hub, client: httpx.Client, base_url: str, api: Any, clock: SettableClock
) -> None:
    customer_writes(client, base_url, 1, PHONE, "Das Gerät ist defekt")
    customer = customer_id_of(api, PHONE)
    [case] = wait_until(lambda: cases_of(api, customer))
    cid = case["complaint_id"]
    assert case["opened_at"] == utc(berlin(4, 30, 16))
    first, resolution = case["sla"]["first_response"], case["sla"]["resolution"]
    # 4 h: Thu 16-18, (Fri holiday, weekend), Mon 08-10.
    assert first["due_at"] == utc(berlin(5, 4, 10))
    assert first["warn_at"] == utc(berlin(5, 4, 9, 12))  # 3.2 h
    # 16 h: Thu 2 h, Mon 10 h, Tue 4 h.
    assert resolution["due_at"] == utc(berlin(5, 5, 12))
    assert case["sla"]["state"] == "ok" and case["sla"]["next_at"] == first["warn_at"]

    # Monday 09:00: the agent answers and waits for the customer (3 h used).
    clock.set(berlin(5, 4, 9))
    reply = api.post(
        f"/complaints/{cid}/reply", json={"body": "Bitte ein Foto senden", "await_customer": True}
    )
    assert reply.status_code == 200, reply.text
    waiting = reply.json()["complaint"]
    assert waiting["sla"]["state"] == "paused"
    assert waiting["sla"]["first_response"]["met_at"] == utc(berlin(5, 4, 9))
    assert waiting["sla"]["resolution"]["due_at"] is None

    # Nothing falls due while paused, however long the customer takes.
    clock.set(berlin(5, 5, 9))
    hub.complaints.scheduler.tick()
    assert sla_events(hub, cid) == []

    # Tuesday 09:00 the customer answers: 13 h left -> Tue 9 h, Wed 4 h.
    customer_writes(client, base_url, 2, PHONE, "Foto anbei")
    resumed = wait_until(
        lambda: (c := api.get(f"/complaints/{cid}").json())["state"] == "new" and c
    )
    assert resumed["sla"]["resolution"]["due_at"] == utc(berlin(5, 6, 12))
    assert resumed["sla"]["resolution"]["warn_at"] == utc(berlin(5, 6, 8, 48))  # 12.8 h

    clock.set(berlin(5, 6, 8, 50))
    warned = wait_until(
        lambda: (c := api.get(f"/complaints/{cid}").json())["sla"]["state"] == "warning" and c
    )
    assert warned["sla"]["next_at"] == utc(berlin(5, 6, 12))
    clock.set(berlin(5, 6, 12, 0, 1))
    wait_until(lambda: api.get(f"/complaints/{cid}").json()["sla"]["state"] == "breached")
    breached = api.get("/complaints", params={"sla": "breached"}).json()["items"]
    assert [c["complaint_id"] for c in breached] == [cid]
    assert breached[0]["sla"]["resolution"]["breached"] is True
    assert breached[0]["sla"]["first_response"]["breached"] is False

    # More ticks raise nothing more.
    assert hub.complaints.scheduler.tick() == 0
    assert sla_events(hub, cid) == [
        ("SlaWarningRaised", "resolution", utc(berlin(5, 6, 8, 48))),
        ("SlaBreached", "resolution", utc(berlin(5, 6, 12))),
    ]


def test_a_late_resolution_carries_its_breach(
    hub: Hub, client: httpx.Client, base_url: str, api: Any, clock: SettableClock
) -> None:
    customer_writes(client, base_url, 3, PHONE, "Hallo")
    customer = customer_id_of(api, PHONE)
    hub.complaints.scheduler.stop()  # only the resolution may notice the breaches
    cid = api.post("/complaints", json={"customer_id": customer, "priority": "urgent"}).json()[
        "complaint_id"
    ]
    clock.set(berlin(5, 4, 12))  # urgent: 1 h / 4 h -> due Thu 17:00 / Mon 10:00
    resolved = api.post(f"/complaints/{cid}/resolve").json()
    assert resolved["sla"]["state"] == "breached"
    assert sla_events(hub, cid) == [
        ("SlaBreached", "first_response", utc(berlin(4, 30, 17))),
        ("SlaBreached", "resolution", utc(berlin(5, 4, 10))),
    ]


def test_the_scheduler_catches_up_after_a_restart_and_never_repeats(
    sla_settings: Settings, port: int, client: httpx.Client, clock: SettableClock
) -> None:
    base_url = f"http://127.0.0.1:{port}"
    clock.set(berlin(5, 8, 17))  # Friday 17:00
    with running_hub(sla_settings, port, clock=clock) as hub:
        customer_writes(client, base_url, 4, PHONE, "Hallo")
        customer = wait_until(lambda: hub.views.customer360.search(PHONE, PHONE, 1), timeout=5)[0][
            "customer_id"
        ]
        token = hub.tokens.create(Role.AGENT, "a")
        answer = client.post(
            base_url + "/api/v1/complaints",
            json={"customer_id": customer, "priority": "urgent"},
            headers={"Authorization": f"Bearer {token}"},
        )
        cid = answer.json()["complaint_id"]
        assert sla_events(hub, cid) == []

    clock.set(berlin(5, 11, 12))  # Monday noon, while the hub was down
    expected = [
        ("SlaWarningRaised", "first_response", utc(berlin(5, 8, 17, 48))),
        ("SlaBreached", "first_response", utc(berlin(5, 8, 18))),
        # 4 h: Fri 1 h + Mon 3 h; warning at 3.2 h.
        ("SlaWarningRaised", "resolution", utc(berlin(5, 11, 10, 12))),
        ("SlaBreached", "resolution", utc(berlin(5, 11, 11))),
    ]
    with running_hub(sla_settings, port, clock=clock) as hub:
        wait_until(lambda: len(sla_events(hub, cid)) == 4)
        assert sorted(sla_events(hub, cid), key=lambda e: e[2]) == expected
    with running_hub(sla_settings, port, clock=clock) as hub:
        hub.complaints.scheduler.tick()
        assert len(sla_events(hub, cid)) == 4


def test_a_changed_policy_is_reapplied_to_history_by_the_cli(
    sla_settings: Settings, port: int, client: httpx.Client, clock: SettableClock
) -> None:
    base_url = f"http://127.0.0.1:{port}"
    lenient = {"normal": {"first_response": 40, "resolution": 80}}
    with running_hub(
        sla_settings.model_copy(update={"sla_targets": lenient}), port, clock=clock
    ) as hub:
        customer_writes(client, base_url, 5, PHONE, "Der Fernseher ist kaputt")
        customer = customer_id_of_hub(hub)
        [case] = wait_until(lambda: hub.views.complaints.cases(CaseFilter(state=None)))
        cid = case["complaint_id"]
        clock.set(berlin(5, 5, 12))  # 16 business hours later: fine under 80 h
        hub.complaints.desk.decide(
            UUID(cid), lambda s, st: complaints.resolve(s, st, resolution="", by="a")
        )
        assert sla_events(hub, cid) == []
        assert customer

    # The stricter policy (4 h / 16 h) is configured and re-applied to the history.
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONTACTHUB_")}
    env |= {
        "CONTACTHUB_DATA_DIR": str(sla_settings.data_dir),
        "CONTACTHUB_SLA_TARGETS": json.dumps(SLA["sla_targets"]),
    }
    if sla_settings.database_url:
        env["CONTACTHUB_DATABASE_URL"] = sla_settings.database_url
    run = {"env": env, "capture_output": True, "text": True, "check": True}
    done = subprocess.run([CLI, "sla", "reapply"], **run)  # type: ignore[call-overload]
    policy_id, cases, recorded = done.stdout.split()
    assert (int(cases), int(recorded)) == (1, 1)
    again = subprocess.run([CLI, "sla", "reapply"], **run)  # type: ignore[call-overload]
    assert again.stdout.split()[2] == "0"

    with running_hub(sla_settings, port, clock=clock) as hub:
        assert hub.complaints.config.policy.policy_id == policy_id
        # Opened Thu 16:00 (Thu 2 h, Mon 10 h, Tue 4 h): due Tue 12:00, resolved Tue 12:00
        # exactly: on time for resolution; first response (4 h) was due Mon 10:00.
        assert sla_events(hub, cid) == [
            ("SlaBreached", "first_response", utc(berlin(5, 4, 10))),
        ]
        row = hub.views.complaints.case(UUID(cid))
        assert row is not None and row["sla_state"] == "breached" and row["fr_breached"] == 1


def customer_id_of_hub(hub: Hub) -> str:
    found = wait_until(lambda: hub.views.customer360.search(PHONE, PHONE, 1))
    return str(found[0]["customer_id"])
