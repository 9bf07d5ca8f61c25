"""The voice stream: one interaction per call, inbound or outbound (click-to-call).

A call's stream starts with `CallReceived` (Twilio's inbound webhook) or
`CallPlaced` (an agent's click-to-call); provider callbacks then move its
status forward and attach the recording and its transcript; agents add notes.
A call made outside Twilio is recorded as a stream that starts with the
agent's `CallNoteRecorded`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar, Literal
from uuid import UUID

from pydantic import Field

from events.envelope import Event, InboundEvent

CallDirection = Literal["inbound", "outbound"]


class CallStatus(StrEnum):
    """Twilio's call statuses, plus `requested` before Twilio answered our create."""

    REQUESTED = "requested"
    QUEUED = "queued"
    INITIATED = "initiated"
    RINGING = "ringing"
    IN_PROGRESS = "in-progress"
    COMPLETED = "completed"
    BUSY = "busy"
    NO_ANSWER = "no-answer"
    FAILED = "failed"
    CANCELED = "canceled"


class CallReceived(InboundEvent):
    """A customer called one of our numbers (Twilio's voice webhook)."""

    pii_fields: ClassVar[frozenset[str]] = frozenset({"from_address"})

    type: Literal["CallReceived"] = "CallReceived"
    channel: Literal["voice"] = "voice"
    provider: Literal["twilio"] = "twilio"
    provider_call_id: str = Field(description="Twilio's CallSid.")
    from_address: str = Field(description="The caller's number in E.164.")
    to_address: str = Field(description="Our number that was called.")


class CallPlaced(Event):
    """An agent started a click-to-call: Twilio rings the agent, then the customer."""

    pii_fields: ClassVar[frozenset[str]] = frozenset({"to_address"})

    type: Literal["CallPlaced"] = "CallPlaced"
    channel: Literal["voice"] = "voice"
    provider: Literal["twilio"] = "twilio"
    to_address: str = Field(description="The customer's number in E.164.")
    from_address: str = Field(description="Our caller id shown to the customer.")
    agent_address: str = Field(description="The agent's phone, rung first.")
    placed_by: str | None = Field(default=None, description="The agent who placed it.")
    consent_id: UUID | None = Field(
        default=None,
        description="The ConsentChanged event in force when it was sent; null: the default "
        "service consent (the customer made no decision on the channel).",
    )


class CallStatusChanged(Event):
    """The provider reported a new status for a call (applied monotonically)."""

    type: Literal["CallStatusChanged"] = "CallStatusChanged"
    status: CallStatus
    provider_call_id: str | None = None
    duration_seconds: int | None = Field(default=None, ge=0)
    error_code: str | None = None
    error_message: str | None = None


class RecordingAttached(Event):
    """A recording of the call (conversation or voicemail) is available."""

    pii_fields: ClassVar[frozenset[str]] = frozenset({"recording_url"})

    type: Literal["RecordingAttached"] = "RecordingAttached"
    provider_recording_id: str = Field(description="Twilio's RecordingSid.")
    recording_url: str
    duration_seconds: int | None = Field(default=None, ge=0)
    source: str | None = Field(
        default=None, description="Twilio's RecordingSource, e.g. RecordVerb for voicemail."
    )


class TranscriptAttached(Event):
    """The text of a call's recording (Twilio's transcription callback)."""

    pii_fields: ClassVar[frozenset[str]] = frozenset({"text"})

    type: Literal["TranscriptAttached"] = "TranscriptAttached"
    provider_transcription_id: str = Field(description="Twilio's TranscriptionSid.")
    provider_recording_id: str | None = None
    status: str = Field(description="Twilio's TranscriptionStatus: completed or failed.")
    text: str = ""


class CallNoteRecorded(Event):
    """An agent recorded the outcome of a call and notes on it.

    On a call the hub knows, it is appended to that call's stream. For a call
    made outside Twilio it starts a stream of its own, with the direction,
    number and duration the agent gives.
    """

    pii_fields: ClassVar[frozenset[str]] = frozenset({"notes", "address"})

    type: Literal["CallNoteRecorded"] = "CallNoteRecorded"
    outcome: str = Field(description="e.g. reached, no-answer, voicemail, callback-requested.")
    notes: str = ""
    recorded_by: str | None = None
    direction: CallDirection | None = Field(
        default=None, description="Only on a call made outside Twilio."
    )
    address: str | None = Field(
        default=None, description="The customer's number, on a call made outside Twilio."
    )
    duration_seconds: int | None = Field(default=None, ge=0)
