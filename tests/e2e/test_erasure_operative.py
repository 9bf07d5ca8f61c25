"""Erasure reaches the operative read models too: an erased customer's
opportunity titles and appointment locations (personal fields of their events)
leave the opportunities and appointments tables, the pipeline keeps the values
and stages, and a rebuild ends in the same rows. SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from services.infra.auth import Role
from services.infra.settings import Settings
from services.wiring.hub import Hub
from tests.support.complaints import SettableClock, customer_id_of, customer_writes
from tests.support.hub import running_hub

T0 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
PHONE = "+4917612345670"
TITLE = "Kanarienvogel-Waermepumpe"
LOCATION = "Kanarienweg 7, 12345 Vogelsang"


@pytest.fixture
def clock() -> SettableClock:
    return SettableClock(T0)


@pytest.fixture
def hub(settings: Settings, port: int, clock: SettableClock) -> Iterator[Hub]:
    with running_hub(settings, port, clock=clock) as running:
        yield running


def rows(hub: Hub, table: str) -> list[dict[str, Any]]:
    return hub.views.customer360.db.query(f"SELECT * FROM {table}")


def test_erasure_drops_opportunity_titles_and_appointment_locations(
    hub: Hub, client: httpx.Client, base_url: str, api: Any
) -> None:
    customer_writes(client, base_url, 1, PHONE, "Bitte um ein Angebot")
    customer_id = customer_id_of(api, PHONE)
    opened = api.post(
        "/opportunities", json={"customer_id": customer_id, "title": TITLE, "value": "900.00"}
    )
    assert opened.status_code == 201, opened.text
    lost = api.post(
        f"/opportunities/{opened.json()['opportunity_id']}/stage",
        json={"stage": "lost", "reason": "Kanarienpreis zu hoch"},
    )
    assert lost.status_code == 200, lost.text
    starts = T0 + timedelta(days=3)
    booked = api.post(
        "/appointments",
        json={
            "customer_id": customer_id,
            "agent": "agent.test",
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=1)).isoformat(),
            "kind": "visit",
            "location": LOCATION,
        },
    )
    assert booked.status_code == 201, booked.text
    hub.projector.wait_for(hub.store.max_notification_id())
    assert [r["title"] for r in rows(hub, "opportunities")] == [TITLE]
    assert [r["location"] for r in rows(hub, "appointments")] == [LOCATION]

    with httpx.Client(
        base_url=base_url + "/api/v1",
        headers={"Authorization": f"Bearer {hub.tokens.create(Role.ADMIN, 'root')}"},
        timeout=30,
    ) as admin:
        erased = admin.post(f"/customers/{customer_id}/erase", json={"reason": "ticket 4712"})
        assert erased.status_code == 200, erased.text
    hub.projector.wait_for(hub.store.max_notification_id())

    [opportunity] = rows(hub, "opportunities")
    assert (opportunity["title"], opportunity["close_reason"]) == ("[erased]", "[erased]")
    assert (opportunity["stage"], opportunity["value_minor"]) == ("lost", 90000)
    [appointment] = rows(hub, "appointments")
    assert appointment["location"] == "[erased]"
    assert appointment["status"] == "scheduled"
    for view in (hub.views.opportunities, hub.views.appointments):
        text = repr(view.db.query(f"SELECT * FROM {next(iter(view.tables))}"))
        assert "Kanarien" not in text

    # Rebuilt from the events (whose personal fields now read as erased): the same rows.
    live = {v.name: v.checksum() for v in (hub.views.opportunities, hub.views.appointments)}
    hub.projector.stop()
    hub.projector.rebuild()
    rebuilt = {v.name: v.checksum() for v in (hub.views.opportunities, hub.views.appointments)}
    assert rebuilt == live
