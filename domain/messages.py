"""Message interactions (SMS, WhatsApp): state folded from events, and decisions.

Provider status callbacks arrive late, twice or out of order; the decision
applies them monotonically, so the state only ever moves forward.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from uuid import UUID

from domain.status_reports import later_status, recorded_report
from events import Event, SmsReceived, SmsSent, SmsStatus, SmsStatusChanged

# Higher ranks supersede lower ones; equal ranks are alternative final outcomes
# (a delivered message cannot later fail, and the reverse).
STATUS_RANK: dict[SmsStatus, int] = {
    SmsStatus.REQUESTED: 0,
    SmsStatus.ACCEPTED: 1,
    SmsStatus.SCHEDULED: 1,
    SmsStatus.QUEUED: 2,
    SmsStatus.SENDING: 3,
    SmsStatus.SENT: 4,
    SmsStatus.RECEIVING: 4,
    SmsStatus.RECEIVED: 5,
    SmsStatus.DELIVERED: 6,
    SmsStatus.UNDELIVERED: 6,
    SmsStatus.FAILED: 6,
    SmsStatus.CANCELED: 6,
    SmsStatus.READ: 7,
}


def status_rank(status: SmsStatus | str) -> int:
    return STATUS_RANK[SmsStatus(status)]


@dataclass(frozen=True)
class MessageState:
    interaction_id: UUID
    customer_id: UUID
    direction: str
    status: SmsStatus
    version: int
    provider_message_id: str | None
    seen_event_ids: frozenset[UUID] = field(default_factory=frozenset)


class UnknownInteraction(LookupError):
    """A status callback named an interaction the store does not have."""


def fold(events: Iterable[Event]) -> MessageState | None:
    """The state of one message interaction from its stream, or None if empty."""
    state: MessageState | None = None
    for event in events:
        if isinstance(event, SmsReceived | SmsSent):
            assert event.customer_id is not None
            inbound = isinstance(event, SmsReceived)
            state = MessageState(
                interaction_id=event.originator_id,
                customer_id=event.customer_id,
                direction="inbound" if inbound else "outbound",
                status=SmsStatus.RECEIVED if inbound else SmsStatus.REQUESTED,
                version=event.originator_version,
                provider_message_id=event.provider_message_id
                if isinstance(event, SmsReceived)
                else None,
                seen_event_ids=frozenset({event.event_id}),
            )
        elif isinstance(event, SmsStatusChanged) and state is not None:
            state = MessageState(
                interaction_id=state.interaction_id,
                customer_id=state.customer_id,
                direction=state.direction,
                status=later_status(state.status, event.status, status_rank),
                version=event.originator_version,
                provider_message_id=event.provider_message_id or state.provider_message_id,
                seen_event_ids=state.seen_event_ids | {event.event_id},
            )
    return state


def decide_status_change(
    state: MessageState | None, change: SmsStatusChanged
) -> list[SmsStatusChanged]:
    """Record a provider status only if it is new and moves the message forward.

    A repeated callback (same event id) and a late one (lower or equal rank, e.g.
    `sent` after `delivered`) record nothing: they change no state.
    """
    if state is None:
        raise UnknownInteraction(f"no message interaction {change.originator_id}")
    return recorded_report(
        change,
        seen=state.seen_event_ids,
        changes=status_rank(change.status) > status_rank(state.status),
        customer_id=state.customer_id,
        version=state.version,
    )
