"""Appointment reminders: a follower that sends each due reminder through the
outbound pipeline, as the hub (consent and quiet hours are checked there), and
records on the appointment that it went out or why it could not.

The send's idempotency key names the appointment and the schedule's revision,
so a crash between the send and its record sends nothing twice: the next round
finds the interaction and only records it. A refusal (opted out, quiet hours,
no address) is recorded as skipped and not retried.
"""

from __future__ import annotations

import html
import logging
import threading
from collections.abc import Callable
from datetime import datetime
from uuid import UUID, uuid4

import anyio

from domain import appointments as domain
from domain.appointments import AppointmentState
from events import AppointmentReminderSent, AppointmentReminderSkipped, Event
from projections.appointments import Appointments
from services.app.errors import CommandRefused, CustomerNotFound
from services.app.intake.recorder import Recorder
from services.app.operative.streams import decide_and_append
from services.app.outbound.email import EmailDraft, EmailMessaging
from services.app.outbound.messages import Messaging
from services.app.outbound.pipeline import SendOutcome
from services.infra.eventstore import EventStore
from services.infra.follower import FollowedService, Follower, each_until_stopped

log = logging.getLogger(__name__)

HUB_AGENT = "hub"


class AppointmentReminders(FollowedService):
    def __init__(
        self,
        store: EventStore,
        recorder: Recorder,
        view: Appointments,
        messaging: Callable[[], Messaging],
        email: Callable[[], EmailMessaging],
        *,
        clock: Callable[[], datetime],
        interval: float,
    ) -> None:
        self.store = store
        self.recorder = recorder
        self.view = view
        # Built on first use: a hub that never reminds by email needs no relay.
        self.messaging = messaging
        self.email = email
        self.clock = clock
        self._follower = Follower("appointment-reminders", self._round, poll_interval=interval)

    def _round(self, stop: threading.Event) -> None:
        each_until_stopped(self.view.due_reminders(self.clock()), self.remind, stop)

    def run_due(self) -> int:
        """One round now (for the CLI and tests); returns how many were handled."""
        due = self.view.due_reminders(self.clock())
        return sum(1 for appointment_id in due if self.remind(appointment_id))

    def remind(self, appointment_id: UUID) -> bool:
        """Sends or skips the appointment's due reminder; False if none is owed."""
        history = self.store.stream(appointment_id)
        state = domain.fold(history)
        now = self.clock()
        if state is None or state.reminder_at is None or state.reminder_at > now:
            return False
        channel = state.reminder_channel
        assert channel is not None
        if now >= state.starts_at:
            self._record(state, skipped="the appointment began before the reminder was due")
            return True
        location = _location(history)
        text = domain.reminder_text(state, location)
        key = f"appointment-reminder/{state.appointment_id}/{state.sequence}"
        try:
            outcome = anyio.run(self._send, state, text, key)
        except (CommandRefused, CustomerNotFound) as refused:
            self._record(state, skipped=str(refused))
            return True
        self._record(state, sent=outcome)
        return True

    async def _send(self, state: AppointmentState, text: str, key: str) -> SendOutcome:
        if state.reminder_channel == "sms":
            return await self.messaging().send_sms(
                state.customer_id, text, agent=HUB_AGENT, idempotency_key=key, initiated_by="hub"
            )
        email = self.email()
        draft = EmailDraft(
            subject="Reminder of your appointment",
            text=text,
            html=f"<p>{html.escape(text)}</p>",
        )
        return await email.outbound.send(
            email.mail,
            state.customer_id,
            draft,
            agent=HUB_AGENT,
            idempotency_key=key,
            initiated_by="hub",
        )

    def _record(
        self, state: AppointmentState, *, sent: SendOutcome | None = None, skipped: str = ""
    ) -> None:
        channel = state.reminder_channel
        assert channel is not None

        def decide(history: list[Event]) -> list[Event]:
            fresh = domain.fold(history)
            if fresh is None or fresh.reminded_sequence == state.sequence:
                return []  # recorded meanwhile
            now = self.clock()
            common = {
                "event_id": uuid4(),
                "originator_id": fresh.appointment_id,
                "originator_version": fresh.version + 1,
                "customer_id": fresh.customer_id,
                "occurred_at": now,
                "recorded_at": now,
                "sequence": state.sequence,
                "channel": channel,
            }
            if sent is not None:
                return [
                    AppointmentReminderSent(
                        **common, interaction_id=sent.interaction_id, status=sent.status
                    )
                ]
            log.info("appointment reminder skipped: %s", skipped)
            return [AppointmentReminderSkipped(**common, reason=skipped)]

        decide_and_append(self.store, self.recorder, state.appointment_id, decide)


def _location(history: list[Event]) -> str:
    for event in history:
        location = getattr(event, "location", None)
        if isinstance(location, str):
            return location
    return ""
