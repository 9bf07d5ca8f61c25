"""Appointments as commands: schedule, reschedule and cancel, each an event on
the appointment's own stream."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from uuid import UUID, uuid4

from domain import appointments as domain
from domain.appointments import AppointmentNotFound, AppointmentState, NewAppointment
from events import CustomerRegistered, Event
from services.app.errors import CommandRefused, CustomerNotFound
from services.app.intake.recorder import Recorder
from services.app.operative.streams import decide_and_append
from services.infra.eventstore import EventStore


class AppointmentBook:
    def __init__(
        self, store: EventStore, recorder: Recorder, *, clock: Callable[[], datetime]
    ) -> None:
        self.store = store
        self.recorder = recorder
        self.clock = clock

    def schedule(self, new: NewAppointment, *, by: str) -> tuple[AppointmentState, int]:
        """Schedules it (idempotent on its id: the same key reports the first)."""
        customer = self.store.stream(new.customer_id)
        if not customer or not isinstance(customer[0], CustomerRegistered):
            raise CustomerNotFound(str(new.customer_id))

        def decide(history: list[Event]) -> list[Event]:
            if history:
                return []
            return [domain.schedule(new, by=by, event_id=uuid4(), now=self.clock())]

        history, notification = decide_and_append(
            self.store, self.recorder, new.appointment_id, decide
        )
        state = domain.fold(history)
        if state is None or state.customer_id != new.customer_id:
            raise CommandRefused("this idempotency key scheduled another customer's appointment")
        return state, notification

    def reschedule(
        self, appointment_id: UUID, starts_at: datetime, ends_at: datetime, *, by: str
    ) -> tuple[AppointmentState, int]:
        def decide(history: list[Event]) -> list[Event]:
            return domain.reschedule(
                domain.fold(history), starts_at, ends_at, by=by, event_id=uuid4(), now=self.clock()
            )

        return self._run(appointment_id, decide)

    def cancel(self, appointment_id: UUID, *, by: str, reason: str) -> tuple[AppointmentState, int]:
        def decide(history: list[Event]) -> list[Event]:
            return domain.cancel(
                domain.fold(history), by=by, reason=reason, event_id=uuid4(), now=self.clock()
            )

        return self._run(appointment_id, decide)

    def _run(
        self, appointment_id: UUID, decide: Callable[[list[Event]], list[Event]]
    ) -> tuple[AppointmentState, int]:
        history, notification = decide_and_append(self.store, self.recorder, appointment_id, decide)
        state = domain.fold(history)
        if state is None:
            raise AppointmentNotFound(f"no appointment {appointment_id}")
        return state, notification
