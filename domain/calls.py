"""Call interactions: state folded from a call's stream, and the decisions on it.

Twilio's status, recording and transcription callbacks arrive late, twice or
out of order. Statuses apply monotonically (a late `ringing` after `completed`
changes nothing); a recording or transcript is attached once per provider id.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from uuid import UUID

from domain.status_reports import later_status, recorded_report
from events import (
    CallNoteRecorded,
    CallPlaced,
    CallReceived,
    CallStatus,
    CallStatusChanged,
    Event,
    RecordingAttached,
    TranscriptAttached,
)

# Higher ranks supersede lower ones; equal ranks are alternative final outcomes.
CALL_STATUS_RANK: dict[CallStatus, int] = {
    CallStatus.REQUESTED: 0,
    CallStatus.QUEUED: 1,
    CallStatus.INITIATED: 2,
    CallStatus.RINGING: 3,
    CallStatus.IN_PROGRESS: 4,
    CallStatus.COMPLETED: 5,
    CallStatus.BUSY: 5,
    CallStatus.NO_ANSWER: 5,
    CallStatus.FAILED: 5,
    CallStatus.CANCELED: 5,
}

CallUpdate = CallStatusChanged | RecordingAttached | TranscriptAttached | CallNoteRecorded


def call_status_rank(status: CallStatus | str) -> int:
    return CALL_STATUS_RANK[CallStatus(status)]


@dataclass(frozen=True)
class CallState:
    interaction_id: UUID
    customer_id: UUID
    direction: str
    status: CallStatus
    version: int
    provider_call_id: str | None
    recordings: frozenset[str] = field(default_factory=frozenset)
    transcriptions: frozenset[str] = field(default_factory=frozenset)
    seen_event_ids: frozenset[UUID] = field(default_factory=frozenset)


class UnknownCall(LookupError):
    """A callback or note named a call the store does not have."""


def fold(events: Iterable[Event]) -> CallState | None:
    """The state of one call from its stream, or None if it is no call."""
    state: CallState | None = None
    for event in events:
        if isinstance(event, CallReceived | CallPlaced) or (
            isinstance(event, CallNoteRecorded) and state is None
        ):
            assert event.customer_id is not None
            state = CallState(
                interaction_id=event.originator_id,
                customer_id=event.customer_id,
                direction=_direction(event),
                status=_initial_status(event),
                version=event.originator_version,
                provider_call_id=event.provider_call_id
                if isinstance(event, CallReceived)
                else None,
                seen_event_ids=frozenset({event.event_id}),
            )
            continue
        if state is None:
            continue
        state = replace(
            state,
            version=event.originator_version,
            seen_event_ids=state.seen_event_ids | {event.event_id},
        )
        if isinstance(event, CallStatusChanged):
            state = replace(
                state,
                status=later_status(state.status, event.status, call_status_rank),
                provider_call_id=event.provider_call_id or state.provider_call_id,
            )
        elif isinstance(event, RecordingAttached):
            state = replace(state, recordings=state.recordings | {event.provider_recording_id})
        elif isinstance(event, TranscriptAttached):
            state = replace(
                state, transcriptions=state.transcriptions | {event.provider_transcription_id}
            )
    return state


def decide_call_update(state: CallState | None, update: CallUpdate) -> list[Event]:
    """The events to append for a callback or note: none if it changes nothing."""
    if state is None:
        raise UnknownCall(f"no call interaction {update.originator_id}")
    return recorded_report(
        update,
        seen=state.seen_event_ids,
        changes=_changes(state, update),
        customer_id=state.customer_id,
        version=state.version,
    )


def _changes(state: CallState, update: CallUpdate) -> bool:
    """A status only moves forward; a recording or a transcript is new once; a
    note always counts."""
    if isinstance(update, CallStatusChanged):
        return call_status_rank(update.status) > call_status_rank(state.status)
    if isinstance(update, RecordingAttached):
        return update.provider_recording_id not in state.recordings
    if isinstance(update, TranscriptAttached):
        return update.provider_transcription_id not in state.transcriptions
    return True


def _direction(event: CallReceived | CallPlaced | CallNoteRecorded) -> str:
    if isinstance(event, CallReceived):
        return "inbound"
    if isinstance(event, CallPlaced):
        return "outbound"
    return event.direction or "outbound"


def _initial_status(event: CallReceived | CallPlaced | CallNoteRecorded) -> CallStatus:
    if isinstance(event, CallReceived):
        return CallStatus.RINGING
    if isinstance(event, CallPlaced):
        return CallStatus.REQUESTED
    return CallStatus.COMPLETED  # a call made outside Twilio is noted after it ended
