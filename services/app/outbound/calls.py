"""Calls as commands: click-to-call and agents' call notes.

Like outbound messages, the intent (`CallPlaced`) is recorded before Twilio is
asked to ring, so Twilio's status callbacks always find their call.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID, uuid4

from adapters.twilio_rest import SendFailed
from adapters.voice.sender import PlacedCall
from adapters.voice.translate import place_failed, placed_status
from adapters.voice.twiml import VoiceScript, connect_customer
from domain import calls
from domain.addresses import normalise_phone
from domain.consent import ContactRefused, QuietHours, check_contact
from events import CallNoteRecorded, CallPlaced, ChannelAddressLinked, Event, provider_event_id
from services.app.errors import CommandRefused, CustomerNotFound
from services.app.intake.recorder import Recorder
from services.infra.eventstore import EventStore

# The customer's number for a call: their voice number first, else their texting number.
PHONE_CHANNELS = ("voice", "sms", "whatsapp")


class CallPlacer(Protocol):
    def place(self, *, to: str, from_: str, twiml: str, status_callback: str) -> PlacedCall: ...


@dataclass(frozen=True)
class CallOutcome:
    interaction_id: UUID
    status: str
    provider_call_id: str | None
    error: str | None
    notification_id: int


@dataclass(frozen=True)
class NoteInput:
    outcome: str
    notes: str
    interaction_id: UUID | None = None
    direction: str | None = None
    phone: str | None = None
    duration_seconds: int | None = None
    occurred_at: datetime | None = None


class Calls:
    def __init__(
        self,
        store: EventStore,
        recorder: Recorder,
        placer: CallPlacer | None,
        *,
        from_number: str,
        public_url: str,
        default_region: str,
        script: VoiceScript,
        quiet: QuietHours | None,
        clock: Callable[[], datetime],
    ) -> None:
        self.store = store
        self.recorder = recorder
        self.placer = placer
        self.from_number = from_number
        self.public_url = public_url
        self.default_region = default_region
        self.script = script
        self.quiet = quiet
        self.clock = clock

    def place(
        self,
        customer_id: UUID,
        *,
        agent: str,
        agent_phone: str | None = None,
        to: str | None = None,
        idempotency_key: str | None = None,
    ) -> CallOutcome:
        if self.placer is None or not self.from_number:
            raise CommandRefused(
                "calling is not configured: set CONTACTHUB_TWILIO_ACCOUNT_SID, "
                "CONTACTHUB_TWILIO_AUTH_TOKEN and CONTACTHUB_TWILIO_FROM_NUMBER"
            )
        history = self.store.stream(customer_id)
        if not history:
            raise CustomerNotFound(str(customer_id))
        agent_raw = agent_phone or self.script.agent_number
        if not agent_raw:
            raise CommandRefused(
                "no agent phone: give `agent_phone` or set CONTACTHUB_VOICE_AGENT_NUMBER"
            )
        agent_number = normalise_phone(agent_raw, self.default_region)
        number = normalise_phone(to, self.default_region) if to else phone_of(history)
        interaction_id = (
            provider_event_id("contacthub", "call", str(customer_id), idempotency_key)
            if idempotency_key
            else uuid4()
        )
        existing = calls.fold(self.store.stream(interaction_id))
        if existing is not None:  # the same command again: report, do not ring twice
            return CallOutcome(
                interaction_id,
                existing.status.value,
                existing.provider_call_id,
                None,
                self.store.max_notification_id(),
            )
        now = self.clock()
        try:
            check_contact(history, "voice", now, self.quiet)
        except ContactRefused as exc:
            raise CommandRefused(str(exc)) from exc
        intent = CallPlaced(
            event_id=interaction_id,
            originator_id=interaction_id,
            customer_id=customer_id,
            occurred_at=now,
            recorded_at=now,
            to_address=number,
            from_address=self.from_number,
            agent_address=agent_number,
            placed_by=agent,
        )
        last = self.recorder.append([intent]).notification_ids[-1]
        callback = f"{self.public_url}/webhooks/twilio/voice/status?interaction={interaction_id}"
        twiml = connect_customer(self.script, customer=number, caller_id=self.from_number)
        result: Event
        error = sid = None
        try:
            placed = self.placer.place(
                to=agent_number, from_=self.from_number, twiml=twiml, status_callback=callback
            )
        except SendFailed as exc:
            error = str(exc)
            result = place_failed(
                interaction_id=interaction_id, code=exc.code, message=error, at=self.clock()
            )
        else:
            sid = placed.sid
            result = placed_status(
                interaction_id=interaction_id, sid=sid, status=placed.status, at=self.clock()
            )
        recorded = self.recorder.record(result)
        state = calls.fold(self.store.stream(interaction_id))
        assert state is not None
        return CallOutcome(
            interaction_id,
            state.status.value,
            sid,
            error,
            max((last, *recorded.notification_ids)),
        )

    def note(
        self, customer_id: UUID, note: NoteInput, *, agent: str, idempotency_key: str | None
    ) -> tuple[UUID, int]:
        """Records the note; returns the call's interaction id and the last notification id."""
        if not self.store.exists(customer_id):
            raise CustomerNotFound(str(customer_id))
        note_id = (
            provider_event_id("contacthub", "call-note", str(customer_id), idempotency_key)
            if idempotency_key
            else uuid4()
        )
        now = self.clock()
        if note.interaction_id is not None:
            state = calls.fold(self.store.stream(note.interaction_id))
            if state is None or state.customer_id != customer_id:
                raise CommandRefused(f"the customer has no call {note.interaction_id}")
            event = CallNoteRecorded(
                event_id=note_id,
                originator_id=note.interaction_id,
                occurred_at=now,
                outcome=note.outcome,
                notes=note.notes,
                recorded_by=agent,
            )
            recorded = self.recorder.record(event)
            return note.interaction_id, max(recorded.notification_ids, default=0)
        # A call made outside Twilio: the note starts the call's own stream.
        if self.store.exists(note_id):
            return note_id, self.store.max_notification_id()
        address = (
            normalise_phone(note.phone, self.default_region)
            if note.phone
            else phone_of(self.store.stream(customer_id), required=False)
        )
        event = CallNoteRecorded(
            event_id=note_id,
            originator_id=note_id,
            customer_id=customer_id,
            occurred_at=note.occurred_at or now,
            recorded_at=now,
            outcome=note.outcome,
            notes=note.notes,
            recorded_by=agent,
            direction="inbound" if note.direction == "inbound" else "outbound",
            address=address or "",
            duration_seconds=note.duration_seconds,
        )
        return note_id, self.recorder.append([event]).notification_ids[-1]


def phone_of(history: list[Event], *, required: bool = True) -> str:
    linked = {
        e.channel: e.address
        for e in history
        if isinstance(e, ChannelAddressLinked) and e.channel in PHONE_CHANNELS
    }
    for channel in PHONE_CHANNELS:
        if channel in linked:
            return linked[channel]
    if required:
        raise CommandRefused("the customer has no phone number; give `to` explicitly")
    return ""
