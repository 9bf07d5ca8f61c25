"""Pure translation for the voice and letter channels: timeline rows, status moves
and the details a call or letter carries beyond a message (duration, outcome,
notes, recording, transcript, a letter's text)."""

from __future__ import annotations

from typing import Any

from domain.calls import call_status_rank
from domain.letters import letter_status_rank
from events import (
    CallNoteRecorded,
    CallPlaced,
    CallReceived,
    CallStatusChanged,
    Event,
    LetterReceived,
    LetterSent,
    LetterStatusChanged,
    RecordingAttached,
    TranscriptAttached,
)
from projections.customer360.rows import TimelineEntry, utc_iso

SUMMARY_CHARS = 280


def channel_entry(event: Event) -> TimelineEntry | None:
    common = {
        "interaction_id": str(event.originator_id),
        "customer_id": str(event.customer_id),
        "occurred_at": utc_iso(event),
    }
    if isinstance(event, CallReceived):
        return TimelineEntry(
            **common,
            channel="voice",
            direction="inbound",
            status="ringing",
            status_rank=call_status_rank("ringing"),
            summary="Anruf",
            address=event.from_address,
            provider_id=event.provider_call_id,
            agent=None,
        )
    if isinstance(event, CallPlaced):
        return TimelineEntry(
            **common,
            channel="voice",
            direction="outbound",
            status="requested",
            status_rank=call_status_rank("requested"),
            summary="Anruf (Click-to-Call)",
            address=event.to_address,
            provider_id=None,
            agent=event.placed_by,
        )
    if isinstance(event, CallNoteRecorded) and event.originator_version == 1:
        # A call made outside Twilio: the agent's note is all the hub knows of it.
        return TimelineEntry(
            **common,
            channel="voice",
            direction=event.direction or "outbound",
            status="completed",
            status_rank=call_status_rank("completed"),
            summary=f"Anruf: {event.outcome}",
            address=event.address or "",
            provider_id=None,
            agent=event.recorded_by,
        )
    if isinstance(event, LetterSent):
        return TimelineEntry(
            **common,
            channel="letter",
            direction="outbound",
            status="requested",
            status_rank=letter_status_rank("requested"),
            summary=event.subject,
            address=", ".join(event.recipient_lines),
            provider_id=None,
            agent=event.sent_by,
        )
    if isinstance(event, LetterReceived):
        return TimelineEntry(
            **common,
            channel="letter",
            direction="inbound",
            status="received",
            status_rank=0,
            summary=(event.text.strip()[:SUMMARY_CHARS] or f"Brief von {event.sender_name}"),
            address=event.from_address,
            provider_id=event.scan_id,
            agent=None,
        )
    return None


def channel_status(event: Event) -> dict[str, Any] | None:
    if isinstance(event, CallStatusChanged):
        return {
            "id": str(event.originator_id),
            "status": event.status.value,
            "rank": call_status_rank(event.status),
            "provider_id": event.provider_call_id,
            "error": event.error_message or event.error_code,
        }
    if isinstance(event, LetterStatusChanged):
        return {
            "id": str(event.originator_id),
            "status": event.status.value,
            "rank": letter_status_rank(event.status),
            "provider_id": event.provider_reference,
            "error": event.reason,
        }
    return None


DETAIL_COLUMNS = (
    "duration_seconds",
    "outcome",
    "notes",
    "recording_url",
    "transcript",
    "body_text",
)


def detail_update(event: Event) -> dict[str, Any] | None:
    """The detail columns an event sets (None: leaves the column as it is)."""
    values: dict[str, Any] = {}
    if isinstance(event, CallStatusChanged):
        values["duration_seconds"] = event.duration_seconds
    elif isinstance(event, RecordingAttached):
        values["recording_url"] = event.recording_url
        if event.source == "RecordVerb":
            values["outcome"] = "voicemail"
    elif isinstance(event, TranscriptAttached) and event.status == "completed":
        values["transcript"] = event.text
    elif isinstance(event, CallNoteRecorded):
        values.update(
            outcome=event.outcome, notes=event.notes, duration_seconds=event.duration_seconds
        )
    elif isinstance(event, LetterReceived):
        values["body_text"] = event.text
    elif isinstance(event, LetterSent):
        values["body_text"] = event.body
    if not any(v is not None for v in values.values()):
        return None
    row = dict.fromkeys(DETAIL_COLUMNS)
    row.update(values, interaction_id=str(event.originator_id), customer_id=str(event.customer_id))
    return row
