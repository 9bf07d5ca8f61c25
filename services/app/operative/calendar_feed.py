"""An agent's appointments as an iCalendar feed (RFC 5545), built with the
`icalendar` library so that calendar programs import it.

Each appointment is a VEVENT in its own time zone (DTSTART;TZID=..., with the
VTIMEZONE definitions included), its UID stable across reschedules and its
SEQUENCE the schedule's revision, so a subscribed calendar moves the entry
instead of adding another. Cancelled appointments are left out of the feed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import icalendar

PRODID = "-//contacthub//appointments//EN"
KIND_TITLES = {"call": "Call", "visit": "Visit", "meeting": "Meeting"}


def calendar_feed(
    agent: str, appointments: Sequence[Mapping[str, Any]], names: Mapping[str, str]
) -> bytes:
    """`appointments` are rows of the appointments view; `names` the customers'
    display names by id (a missing one shows as the customer's id)."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", f"contacthub: {agent}")
    for row in appointments:
        zone = ZoneInfo(row["timezone"])
        customer = names.get(row["customer_id"]) or row["customer_id"]
        event = icalendar.Event()
        event.add("uid", f"{row['appointment_id']}@contacthub")
        event.add("dtstamp", datetime.fromisoformat(row["updated_at"]))
        event.add("dtstart", datetime.fromisoformat(row["starts_at"]).astimezone(zone))
        event.add("dtend", datetime.fromisoformat(row["ends_at"]).astimezone(zone))
        event.add("summary", f"{KIND_TITLES.get(row['kind'], 'Appointment')}: {customer}")
        if row["location"]:
            event.add("location", row["location"])
        event.add("sequence", int(row["sequence"]))
        event.add("status", "CONFIRMED")
        event.add("categories", [row["kind"]])
        calendar.add_component(event)
    calendar.add_missing_timezones()
    data: bytes = calendar.to_ical()
    return data
