"""An appointment's email reminder reaches a real SMTP relay on loopback at its
lead time (a test clock), once, sent by the hub through the outbound pipeline."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest

from events import AppointmentReminderSent, EmailSent
from services.infra.settings import Settings
from services.wiring.hub import Hub
from tests.support.complaints import SettableClock
from tests.support.email_fixtures import mail, relay, settings, smtp_port, smtp_send
from tests.support.hub import running_hub, wait_until
from tests.support.smtp_relay import SmtpRelay

__all__ = ["relay", "settings", "smtp_port"]  # fixtures used by this module

NOW = datetime(2026, 6, 10, 8, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> SettableClock:
    return SettableClock(NOW)


@pytest.fixture
def hub(settings: Settings, port: int, clock: SettableClock) -> Iterator[Hub]:
    fast = settings.model_copy(
        update={"appointment_reminder_tick_seconds": 0.05, "quiet_hours": ""}
    )
    with running_hub(fast, port, clock=clock) as running:
        yield running


def test_an_email_reminder_reaches_the_relay_at_its_lead_time(
    hub: Hub, api: Any, relay: SmtpRelay, smtp_port: int, clock: SettableClock
) -> None:
    smtp_send(smtp_port, mail("Kundin <kundin@example.de>", "Termin", "Wann kommen Sie?"))
    [customer] = wait_until(
        lambda: api.get("/customers", params={"q": "kundin@example.de"}).json()["items"]
    )
    response = api.post(
        "/appointments",
        json={
            "customer_id": customer["customer_id"],
            "agent": "anna",
            "starts_at": "2026-06-11T09:00:00Z",
            "ends_at": "2026-06-11T09:30:00Z",
            "kind": "call",
            "timezone": "Europe/Berlin",
            "reminder": "email",
            "reminder_lead_minutes": 1440,
        },
    )
    assert response.status_code == 201, response.text
    appointment_id = UUID(response.json()["appointment_id"])
    clock.set(datetime(2026, 6, 10, 8, 59, tzinfo=UTC))
    assert hub.reminders.run_due() == 0
    assert relay.received == []
    clock.set(datetime(2026, 6, 10, 9, 0, tzinfo=UTC))
    hub.reminders.wake()
    [message] = wait_until(lambda: relay.received)
    assert message.rcpt_tos == ["kundin@example.de"]
    parsed = message.message
    assert parsed["Subject"] == "Reminder of your appointment"
    body = parsed.get_body(("plain",))
    assert body is not None
    assert "2026-06-11 at 11:00 (Europe/Berlin)" in body.get_content()  # 09:00 UTC, CEST
    [sent] = wait_until(
        lambda: [
            e for e in hub.store.stream(appointment_id) if isinstance(e, AppointmentReminderSent)
        ]
    )
    [email] = [e for e in hub.store.stream(sent.interaction_id) if isinstance(e, EmailSent)]
    assert email.sent_by == "hub"
    assert hub.reminders.run_due() == 0
    assert len(relay.received) == 1
