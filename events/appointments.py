"""The appointment stream: a call, visit or meeting with a customer, one stream
each, from scheduling through reschedules to the reminder or the cancellation.

`sequence` counts the schedule's revisions (RFC 5545's SEQUENCE): a reschedule
raises it, so calendar programs replace the old entry, and the reminder is
owed once per revision.
"""

from __future__ import annotations

from typing import ClassVar, Literal
from uuid import UUID

from pydantic import AwareDatetime, Field

from events.envelope import Event

AppointmentKind = Literal["call", "visit", "meeting"]
ReminderChannel = Literal["sms", "email"]


class AppointmentScheduled(Event):
    pii_fields: ClassVar[frozenset[str]] = frozenset({"location"})

    type: Literal["AppointmentScheduled"] = "AppointmentScheduled"
    agent: str
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    timezone: str = Field(description="IANA zone the appointment is kept in, e.g. Europe/Berlin.")
    kind: AppointmentKind
    location: str = ""
    reminder_channel: ReminderChannel | None = Field(
        default=None, description="How the customer is reminded; none: no reminder."
    )
    reminder_lead_minutes: int = Field(default=0, ge=0)
    scheduled_by: str


class AppointmentRescheduled(Event):
    type: Literal["AppointmentRescheduled"] = "AppointmentRescheduled"
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    sequence: int = Field(ge=1, description="The schedule's revision after this change.")
    by: str


class AppointmentCancelled(Event):
    pii_fields: ClassVar[frozenset[str]] = frozenset({"reason"})

    type: Literal["AppointmentCancelled"] = "AppointmentCancelled"
    by: str
    reason: str = ""


class AppointmentReminderSent(Event):
    """The reminder for revision `sequence` went out as interaction `interaction_id`."""

    type: Literal["AppointmentReminderSent"] = "AppointmentReminderSent"
    sequence: int = Field(ge=0)
    channel: ReminderChannel
    interaction_id: UUID
    status: str


class AppointmentReminderSkipped(Event):
    """The reminder for revision `sequence` could not go out (no consent, no
    address...): recorded, so it is not tried again and the agent sees why."""

    type: Literal["AppointmentReminderSkipped"] = "AppointmentReminderSkipped"
    sequence: int = Field(ge=0)
    channel: ReminderChannel
    reason: str
