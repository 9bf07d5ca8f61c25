"""Appointments over HTTP on SQLite and PostgreSQL, with a test clock: the
reminder reaches the Twilio stand-in at its lead time (not before, once), the
iCalendar feed parses with the `icalendar` library and holds the event in its
time zone, a reschedule moves it, a cancellation removes it; an opted-out
customer gets no reminder, and the appointment records why; the visit
briefing holds the customer's open cases, last contacts, opportunities and
appointments."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import httpx
import icalendar
import pytest

from events import AppointmentReminderSent, AppointmentReminderSkipped
from services.infra.settings import Settings
from services.wiring.hub import Hub
from tests.support.complaints import SettableClock, cases_of, customer_id_of, customer_writes
from tests.support.hub import running_hub, wait_until
from tests.support.twilio_standin import TwilioStandIn

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 6, 10, 8, 0, tzinfo=UTC)
PHONE = "+4917612345678"


@pytest.fixture
def clock() -> SettableClock:
    return SettableClock(NOW)


@pytest.fixture
def hub(settings: Settings, port: int, clock: SettableClock) -> Iterator[Hub]:
    fast = settings.model_copy(update={"appointment_reminder_tick_seconds": 0.05})
    with running_hub(fast, port, clock=clock) as running:
        yield running


def visit(customer_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "customer_id": customer_id,
        "agent": "anna",
        "starts_at": "2026-06-11T14:00:00+02:00",
        "ends_at": "2026-06-11T15:00:00+02:00",
        "kind": "visit",
        "location": "Hauptstraße 1, 10115 Berlin",
        "timezone": "Europe/Berlin",
        "reminder": "sms",
        "reminder_lead_minutes": 60,
        **extra,
    }


def feed(api: Any, agent: str = "anna") -> icalendar.Calendar:
    response = api.get("/appointments.ics", params={"agent": agent})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/calendar")
    return icalendar.Calendar.from_ical(response.content)


def events_of(calendar: icalendar.Calendar) -> list[Any]:
    return list(calendar.walk("VEVENT"))


def test_a_reminder_goes_out_at_its_lead_time_once_and_the_feed_follows_the_schedule(
    hub: Hub,
    client: httpx.Client,
    base_url: str,
    api: Any,
    clock: SettableClock,
    twilio: TwilioStandIn,
) -> None:
    customer_writes(client, base_url, 1, PHONE, "Bitte kommen Sie vorbei")
    customer_id = customer_id_of(api, PHONE)
    response = api.post("/appointments", json=visit(customer_id))
    assert response.status_code == 201, response.text
    appointment = response.json()
    assert appointment["reminder_at"] == "2026-06-11T11:00:00.000000+00:00"

    [entry] = events_of(feed(api))
    start = entry.decoded("dtstart")
    assert start == datetime(2026, 6, 11, 14, 0, tzinfo=BERLIN)
    assert str(start.tzinfo) == "Europe/Berlin"
    assert entry["dtstart"].params["TZID"] == "Europe/Berlin"
    assert entry.decoded("dtend") == datetime(2026, 6, 11, 15, 0, tzinfo=BERLIN)
    assert str(entry["location"]) == "Hauptstraße 1, 10115 Berlin"
    assert str(entry["uid"]) == f"{appointment['appointment_id']}@contacthub"
    assert events_of(feed(api, "bert")) == []

    # One second before the lead time nothing is due; at it, the reminder goes out.
    clock.set(datetime(2026, 6, 11, 10, 59, 59, tzinfo=UTC))
    assert hub.reminders.run_due() == 0
    assert twilio.messages == []
    clock.set(datetime(2026, 6, 11, 11, 0, tzinfo=UTC))
    hub.reminders.wake()
    [sms] = wait_until(lambda: twilio.messages)
    assert sms.params["To"] == PHONE
    assert "2026-06-11 at 14:00 (Europe/Berlin)" in sms.params["Body"]
    stream = hub.store.stream(UUID(appointment["appointment_id"]))
    reminded = wait_until(
        lambda: [
            e
            for e in hub.store.stream(stream[0].originator_id)
            if isinstance(e, AppointmentReminderSent)
        ]
    )
    assert reminded[0].sequence == 0
    sent = hub.store.stream(reminded[0].interaction_id)
    assert sent[0].sent_by == "hub"  # type: ignore[attr-defined]
    assert hub.reminders.run_due() == 0
    assert len(twilio.messages) == 1

    # Moved to the next day: the feed moves it and a new reminder is owed.
    moved = api.post(
        f"/appointments/{appointment['appointment_id']}/reschedule",
        json={"starts_at": "2026-06-12T09:30:00+02:00", "ends_at": "2026-06-12T10:00:00+02:00"},
    )
    assert moved.status_code == 200, moved.text
    assert (moved.json()["sequence"], moved.json()["reminder_status"]) == (1, None)
    [entry] = events_of(feed(api))
    assert entry.decoded("dtstart") == datetime(2026, 6, 12, 9, 30, tzinfo=BERLIN)
    assert int(entry["sequence"]) == 1

    cancelled = api.post(f"/appointments/{appointment['appointment_id']}/cancel", json={})
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert events_of(feed(api)) == []
    clock.set(datetime(2026, 6, 12, 7, 0, tzinfo=UTC))
    assert hub.reminders.run_due() == 0
    assert len(twilio.messages) == 1
    refused = api.post(
        f"/appointments/{appointment['appointment_id']}/reschedule",
        json={"starts_at": "2026-06-13T09:30:00+02:00", "ends_at": "2026-06-13T10:00:00+02:00"},
    )
    assert refused.status_code == 409


def test_an_opted_out_customer_gets_no_reminder_and_the_appointment_says_why(
    hub: Hub,
    client: httpx.Client,
    base_url: str,
    api: Any,
    clock: SettableClock,
    twilio: TwilioStandIn,
) -> None:
    customer_writes(client, base_url, 2, PHONE, "Termin bitte")
    customer_id = customer_id_of(api, PHONE)
    opt_out = api.put(f"/customers/{customer_id}/consent", json={"channels": {"sms": False}})
    assert opt_out.status_code == 200, opt_out.text
    appointment = api.post("/appointments", json=visit(customer_id)).json()
    clock.set(datetime(2026, 6, 11, 11, 30, tzinfo=UTC))
    hub.reminders.wake()  # the follower handles it (run_due would race it for the count)
    [skipped] = wait_until(
        lambda: [
            e
            for e in hub.store.stream(UUID(appointment["appointment_id"]))
            if isinstance(e, AppointmentReminderSkipped)
        ]
    )
    assert "opted out" in skipped.reason
    assert twilio.messages == []
    shown = wait_until(
        lambda: api.get(f"/appointments/{appointment['appointment_id']}").json()["reminder_status"]
    )
    assert shown == "skipped"


def test_bad_appointments_are_refused_and_record_nothing(
    hub: Hub, client: httpx.Client, base_url: str, api: Any
) -> None:
    customer_writes(client, base_url, 3, PHONE, "Hallo")
    customer_id = customer_id_of(api, PHONE)
    before = hub.store.max_notification_id()
    for bad in (
        {"ends_at": "2026-06-11T13:00:00+02:00"},
        {"starts_at": "2026-06-11T14:00:00"},  # no offset: which 14:00?
        {"timezone": "Mars/Olympus"},
        {"kind": "party"},
        {"agent": ""},
        {"reminder": "fax"},
    ):
        response = api.post("/appointments", json=visit(customer_id, **bad))
        assert response.status_code == 422, (bad, response.text)
    unknown = "00000000-0000-0000-0000-000000000001"
    assert api.post("/appointments", json=visit(unknown)).status_code == 404
    assert api.post(f"/appointments/{unknown}/cancel", json={}).status_code == 404
    assert api.get("/appointments.ics").status_code == 422  # the agent is required
    assert httpx.get(base_url + "/api/v1/appointments.ics?agent=anna").status_code == 401
    assert hub.store.max_notification_id() == before


def test_the_briefing_holds_open_cases_last_contacts_opportunities_and_appointments(
    hub: Hub, client: httpx.Client, base_url: str, api: Any
) -> None:
    customer_writes(client, base_url, 4, PHONE, "Meine Waschmaschine ist kaputt")
    customer_id = customer_id_of(api, PHONE)
    case = api.post("/complaints", json={"customer_id": customer_id, "subject": "Waschmaschine"})
    assert case.status_code == 201, case.text
    opportunity = api.post(
        "/opportunities",
        json={
            "customer_id": customer_id,
            "title": "Neue Maschine",
            "value": "799.00",
            "prospect_source": "website-form",
        },
    )
    assert opportunity.status_code == 201
    assert api.post("/appointments", json=visit(customer_id)).status_code == 201
    response = api.get(f"/customers/{customer_id}/briefing")
    assert response.status_code == 200, response.text
    briefing = response.json()
    assert briefing["profile"]["customer_id"] == customer_id
    [contact] = briefing["profile"]["timeline"]["items"]
    assert contact["channel"] == "sms" and "Waschmaschine" in contact["summary"]
    # The agent's case and the one the rules opened from "kaputt": every open case.
    open_cases = {c["complaint_id"] for c in cases_of(api, customer_id, state="open")}
    assert {c["complaint_id"] for c in briefing["open_cases"]} == open_cases
    assert case.json()["complaint_id"] in open_cases
    assert [o["title"] for o in briefing["open_opportunities"]] == ["Neue Maschine"]
    assert briefing["prospect_source"] == "website-form"
    [upcoming] = briefing["upcoming_appointments"]
    assert upcoming["location"] == "Hauptstraße 1, 10115 Berlin"
    page = api.get(f"/customers/{customer_id}/briefing.html")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "Neue Maschine" in page.text and "Hauptstraße 1, 10115 Berlin" in page.text
    assert "Waschmaschine" in page.text and "website-form" in page.text
    unknown = "00000000-0000-0000-0000-000000000001"
    assert api.get(f"/customers/{unknown}/briefing").status_code == 404
    assert api.get(f"/customers/{unknown}/briefing.html").status_code == 404
