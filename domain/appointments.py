"""Appointments: the pure decisions (schedule, reschedule, cancel) and when a
reminder is owed.

A reminder is owed once per revision of the schedule (`sequence`): moving an
appointment makes the reminder due again for the new time, and one already
sent or skipped for this revision is never sent twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from events import (
    AppointmentCancelled,
    AppointmentKind,
    AppointmentReminderSent,
    AppointmentReminderSkipped,
    AppointmentRescheduled,
    AppointmentScheduled,
    Event,
    ReminderChannel,
)

MAX_DURATION = timedelta(days=14)


class AppointmentNotFound(LookupError):
    """No appointment has this id (404)."""


class IllegalAppointment(ValueError):
    """The appointment cannot be changed so in its state; the message says why (409)."""


class InvalidAppointmentTimes(ValueError):
    """The times or the time zone make no appointment (422)."""


@dataclass(frozen=True)
class AppointmentState:
    appointment_id: UUID
    customer_id: UUID
    agent: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    kind: AppointmentKind
    reminder_channel: ReminderChannel | None
    reminder_lead: timedelta
    version: int
    sequence: int = 0
    cancelled: bool = False
    reminded_sequence: int | None = None  # the revision whose reminder was sent or skipped

    @property
    def reminder_at(self) -> datetime | None:
        """When this revision's reminder is due; None if none is owed any more."""
        if self.cancelled or self.reminder_channel is None:
            return None
        if self.reminded_sequence == self.sequence:
            return None
        return self.starts_at - self.reminder_lead


def fold(history: Iterable[Event]) -> AppointmentState | None:
    state: AppointmentState | None = None
    for event in history:
        if isinstance(event, AppointmentScheduled):
            assert event.customer_id is not None
            state = AppointmentState(
                event.originator_id,
                event.customer_id,
                event.agent,
                event.starts_at,
                event.ends_at,
                event.timezone,
                event.kind,
                event.reminder_channel,
                timedelta(minutes=event.reminder_lead_minutes),
                event.originator_version,
            )
        elif state is None:
            continue
        elif isinstance(event, AppointmentRescheduled):
            state = replace(
                state,
                starts_at=event.starts_at,
                ends_at=event.ends_at,
                sequence=event.sequence,
                version=event.originator_version,
            )
        elif isinstance(event, AppointmentCancelled):
            state = replace(state, cancelled=True, version=event.originator_version)
        elif isinstance(event, AppointmentReminderSent | AppointmentReminderSkipped):
            state = replace(
                state, reminded_sequence=event.sequence, version=event.originator_version
            )
    return state


def check_times(starts_at: datetime, ends_at: datetime, timezone: str) -> None:
    if ends_at <= starts_at:
        raise InvalidAppointmentTimes("ends_at must be after starts_at")
    if ends_at - starts_at > MAX_DURATION:
        raise InvalidAppointmentTimes(f"an appointment lasts at most {MAX_DURATION.days} days")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidAppointmentTimes(f"unknown time zone {timezone!r}") from None


@dataclass(frozen=True)
class NewAppointment:
    appointment_id: UUID
    customer_id: UUID
    agent: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    kind: AppointmentKind
    location: str
    reminder_channel: ReminderChannel | None
    reminder_lead_minutes: int


def schedule(
    new: NewAppointment, *, by: str, event_id: UUID, now: datetime
) -> AppointmentScheduled:
    check_times(new.starts_at, new.ends_at, new.timezone)
    return AppointmentScheduled(
        event_id=event_id,
        originator_id=new.appointment_id,
        customer_id=new.customer_id,
        occurred_at=now,
        recorded_at=now,
        agent=new.agent,
        starts_at=new.starts_at,
        ends_at=new.ends_at,
        timezone=new.timezone,
        kind=new.kind,
        location=new.location,
        reminder_channel=new.reminder_channel,
        reminder_lead_minutes=new.reminder_lead_minutes,
        scheduled_by=by,
    )


def _live(state: AppointmentState | None) -> AppointmentState:
    if state is None:
        raise AppointmentNotFound("no such appointment")
    if state.cancelled:
        raise IllegalAppointment("the appointment was cancelled")
    return state


def reschedule(
    state: AppointmentState | None,
    starts_at: datetime,
    ends_at: datetime,
    *,
    by: str,
    event_id: UUID,
    now: datetime,
) -> list[Event]:
    live = _live(state)
    check_times(starts_at, ends_at, live.timezone)
    if starts_at == live.starts_at and ends_at == live.ends_at:
        return []
    return [
        AppointmentRescheduled(
            event_id=event_id,
            originator_id=live.appointment_id,
            originator_version=live.version + 1,
            customer_id=live.customer_id,
            occurred_at=now,
            recorded_at=now,
            starts_at=starts_at,
            ends_at=ends_at,
            sequence=live.sequence + 1,
            by=by,
        )
    ]


def cancel(
    state: AppointmentState | None, *, by: str, reason: str, event_id: UUID, now: datetime
) -> list[Event]:
    if state is not None and state.cancelled:
        return []  # cancelling again changes nothing
    live = _live(state)
    return [
        AppointmentCancelled(
            event_id=event_id,
            originator_id=live.appointment_id,
            originator_version=live.version + 1,
            customer_id=live.customer_id,
            occurred_at=now,
            recorded_at=now,
            by=by,
            reason=reason,
        )
    ]


def reminder_due(state: AppointmentState | None, now: datetime) -> bool:
    """Whether the reminder of the current revision is to go out now: due, and
    the appointment not yet begun (a reminder after the start helps nobody)."""
    if state is None or state.reminder_at is None:
        return False
    return state.reminder_at <= now < state.starts_at


def reminder_text(state: AppointmentState, location: str) -> str:
    """The reminder in the appointment's own time zone."""
    local = state.starts_at.astimezone(ZoneInfo(state.timezone))
    what = {"call": "call", "visit": "visit", "meeting": "meeting"}[state.kind]
    where = f" at {location}" if location and state.kind != "call" else ""
    return (
        f"Reminder: your {what} with us on {local:%Y-%m-%d} at {local:%H:%M}"
        f" ({state.timezone}){where}."
    )
