"""Calls as commands: click-to-call (a configuration of the outbound pipeline)
and agents' call notes.

Like outbound messages, the intent (`CallPlaced`) is recorded before Twilio is
asked to ring, so Twilio's status callbacks always find their call.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID, uuid4

from adapters.voice.sender import PlacedCall
from adapters.voice.translate import place_failed, placed_status
from adapters.voice.twiml import VoiceScript, connect_customer
from domain import calls
from domain.addresses import normalise_phone
from events import CallNoteRecorded, CallPlaced, ChannelAddressLinked, Event, provider_event_id
from services.app.errors import CommandRefused, CustomerNotFound
from services.app.intake.recorder import Recorder
from services.app.outbound.channel_parts import (
    TokenInteractionId,
    interaction_state,
    twilio_delivery,
)
from services.app.outbound.pipeline import (
    Delivery,
    Intent,
    InteractionState,
    Outbound,
    Planned,
    SendOutcome,
)
from services.infra.eventstore import EventStore

# The customer's number for a call: their voice number first, else their texting number.
PHONE_CHANNELS = ("voice", "sms", "whatsapp")


class CallPlacer(Protocol):
    def place(self, *, to: str, from_: str, twiml: str, status_callback: str) -> PlacedCall: ...


@dataclass(frozen=True)
class CallRequest:
    agent_phone: str | None = None
    to: str | None = None


@dataclass(frozen=True)
class NoteInput:
    outcome: str
    notes: str
    interaction_id: UUID | None = None
    direction: str | None = None
    phone: str | None = None
    duration_seconds: int | None = None
    occurred_at: datetime | None = None


@dataclass(frozen=True)
class VoiceChannel(TokenInteractionId):
    """Click-to-call as the pipeline places it: Twilio rings the agent, then the customer."""

    placer: CallPlacer | None
    from_number: str
    public_url: str
    default_region: str
    script: VoiceScript
    clock: Callable[[], datetime]
    channel: str = "voice"
    namespace: str = "call"

    def unconfigured(self) -> str | None:
        if self.placer is not None and self.from_number:
            return None
        return (
            "calling is not configured: set CONTACTHUB_TWILIO_ACCOUNT_SID, "
            "CONTACTHUB_TWILIO_AUTH_TOKEN and CONTACTHUB_TWILIO_FROM_NUMBER"
        )

    def fold(self, stream: list[Event]) -> InteractionState | None:
        return interaction_state(calls.fold, stream, lambda state: state.provider_call_id)

    def plan(self, intent: Intent, request: CallRequest) -> Planned:
        agent_raw = request.agent_phone or self.script.agent_number
        if not agent_raw:
            raise CommandRefused(
                "no agent phone: give `agent_phone` or set CONTACTHUB_VOICE_AGENT_NUMBER"
            )
        number = (
            normalise_phone(request.to, self.default_region)
            if request.to
            else phone_of(intent.history)
        )
        placed = CallPlaced(
            event_id=intent.interaction_id,
            originator_id=intent.interaction_id,
            customer_id=intent.customer_id,
            occurred_at=intent.now,
            recorded_at=intent.now,
            to_address=number,
            from_address=self.from_number,
            agent_address=normalise_phone(agent_raw, self.default_region),
            placed_by=intent.agent,
            consent_id=intent.consent_id,
        )
        return Planned([placed])

    async def deliver(self, planned: Planned, request: CallRequest) -> Delivery:
        placed = planned.events[0]
        placer = self.placer
        assert isinstance(placed, CallPlaced) and placer is not None
        interaction_id = placed.originator_id
        callback = f"{self.public_url}/webhooks/twilio/voice/status?interaction={interaction_id}"
        twiml = connect_customer(
            self.script, customer=placed.to_address, caller_id=self.from_number
        )
        return await twilio_delivery(
            lambda: placer.place(
                to=placed.agent_address,
                from_=self.from_number,
                twiml=twiml,
                status_callback=callback,
            ),
            interaction_id=interaction_id,
            failed=place_failed,
            answered=placed_status,
            clock=self.clock,
        )


class Calls:
    def __init__(
        self,
        store: EventStore,
        recorder: Recorder,
        outbound: Outbound,
        placer: CallPlacer | None,
        *,
        from_number: str,
        public_url: str,
        default_region: str,
        script: VoiceScript,
        clock: Callable[[], datetime],
    ) -> None:
        self.store = store
        self.recorder = recorder
        self.outbound = outbound
        self.voice = VoiceChannel(placer, from_number, public_url, default_region, script, clock)
        self.default_region = default_region
        self.script = script
        self.clock = clock

    async def place(
        self,
        customer_id: UUID,
        *,
        agent: str,
        agent_phone: str | None = None,
        to: str | None = None,
        idempotency_key: str | None = None,
    ) -> SendOutcome:
        return await self.outbound.send(
            self.voice,
            customer_id,
            CallRequest(agent_phone, to),
            agent=agent,
            idempotency_key=idempotency_key,
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
