"""Pure translation between Twilio's voice webhooks and our events.

The payload models validate what Twilio posts (unknown fields are ignored, as
Twilio adds fields over time), so a malformed request gets a 422 naming the
field before anything is recorded. Event ids derive from Twilio's own ids
(CallSid, (CallSid, status), RecordingSid, TranscriptionSid): a repeated
callback maps to the same event and records nothing new.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from domain.addresses import address_key, normalise_phone, sibling_address_keys
from events import (
    CallReceived,
    CallStatus,
    CallStatusChanged,
    RecordingAttached,
    TranscriptAttached,
    provider_event_id,
)

ACCOUNT = r"^AC[0-9a-fA-F]{32}$"
CALL = r"^CA[0-9a-fA-F]{32}$"
# Durations go into BIGINT columns of the read models: unbounded, a forged one
# could overflow them. No call or recording lasts a day.
MAX_SECONDS = 86_400


class _TwilioForm(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    AccountSid: str = Field(pattern=ACCOUNT)
    CallSid: str = Field(pattern=CALL)


class TwilioIncomingCall(_TwilioForm):
    """The form Twilio posts to a number's voice webhook when someone calls it."""

    From: str = Field(min_length=1, max_length=64)
    To: str = Field(min_length=1, max_length=64)


class TwilioCallStatus(_TwilioForm):
    """The form Twilio posts to a call's StatusCallback."""

    CallStatus: CallStatus
    CallDuration: int | None = Field(default=None, ge=0, le=MAX_SECONDS)
    ErrorCode: str | None = Field(default=None, max_length=16)
    ErrorMessage: str | None = Field(default=None, max_length=1000)


class TwilioRecording(_TwilioForm):
    """The form Twilio posts to a recordingStatusCallback."""

    RecordingSid: str = Field(pattern=r"^RE[0-9a-fA-F]{32}$")
    RecordingUrl: str = Field(pattern=r"^https?://", max_length=500)
    RecordingStatus: str = Field(default="completed", max_length=20)
    RecordingDuration: int | None = Field(default=None, ge=-1, le=MAX_SECONDS)
    RecordingSource: str | None = Field(default=None, max_length=40)


class TwilioTranscription(_TwilioForm):
    """The form Twilio posts to a transcribeCallback."""

    TranscriptionSid: str = Field(pattern=r"^TR[0-9a-fA-F]{32}$")
    TranscriptionStatus: str = Field(max_length=20)
    TranscriptionText: str = Field(default="", max_length=20_000)
    RecordingSid: str | None = Field(default=None, pattern=r"^RE[0-9a-fA-F]{32}$")


def call_stream_id(call_sid: str) -> UUID:
    """The interaction of an inbound call: derived from its CallSid."""
    return provider_event_id("twilio", "call", call_sid)


def incoming_call_event(
    call: TwilioIncomingCall,
    *,
    received_at: datetime,
    address_secret: bytes,
    default_region: str = "DE",
) -> CallReceived:
    caller = normalise_phone(call.From, default_region)
    event_id = call_stream_id(call.CallSid)
    return CallReceived(
        event_id=event_id,
        originator_id=event_id,
        occurred_at=received_at,
        provider_call_id=call.CallSid,
        from_address=caller,
        to_address=normalise_phone(call.To, default_region),
        address_key=address_key(address_secret, "voice", caller),
        sibling_address_keys=sibling_address_keys(address_secret, "voice", caller),
    )


def call_status_event(
    status: TwilioCallStatus, *, interaction_id: UUID, received_at: datetime
) -> CallStatusChanged:
    return CallStatusChanged(
        event_id=provider_event_id("twilio", "call-status", status.CallSid, status.CallStatus),
        originator_id=interaction_id,
        occurred_at=received_at,
        status=status.CallStatus,
        provider_call_id=status.CallSid,
        duration_seconds=status.CallDuration,
        error_code=status.ErrorCode,
        error_message=status.ErrorMessage,
    )


def recording_event(
    recording: TwilioRecording, *, interaction_id: UUID, received_at: datetime
) -> RecordingAttached | None:
    """The recording, once complete; None for `in-progress`, `absent` or `failed`."""
    if recording.RecordingStatus != "completed":
        return None
    duration = recording.RecordingDuration
    return RecordingAttached(
        event_id=provider_event_id("twilio", "recording", recording.RecordingSid),
        originator_id=interaction_id,
        occurred_at=received_at,
        provider_recording_id=recording.RecordingSid,
        recording_url=recording.RecordingUrl,
        duration_seconds=duration if duration is not None and duration >= 0 else None,
        source=recording.RecordingSource,
    )


def transcript_event(
    transcription: TwilioTranscription, *, interaction_id: UUID, received_at: datetime
) -> TranscriptAttached:
    return TranscriptAttached(
        event_id=provider_event_id("twilio", "transcription", transcription.TranscriptionSid),
        originator_id=interaction_id,
        occurred_at=received_at,
        provider_transcription_id=transcription.TranscriptionSid,
        provider_recording_id=transcription.RecordingSid,
        status=transcription.TranscriptionStatus,
        text=transcription.TranscriptionText,
    )


def placed_status(
    *, interaction_id: UUID, sid: str, status: str, at: datetime
) -> CallStatusChanged:
    """The status Twilio's REST answer reported; same id as that status's callback."""
    return CallStatusChanged(
        event_id=provider_event_id("twilio", "call-status", sid, status),
        originator_id=interaction_id,
        occurred_at=at,
        status=CallStatus(status),
        provider_call_id=sid,
    )


def place_failed(
    *, interaction_id: UUID, code: int | None, message: str, at: datetime
) -> CallStatusChanged:
    return CallStatusChanged(
        event_id=provider_event_id("contacthub", "call-failed", str(interaction_id)),
        originator_id=interaction_id,
        occurred_at=at,
        status=CallStatus.FAILED,
        error_code=str(code) if code is not None else None,
        error_message=message,
    )
