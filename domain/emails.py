"""Email interactions: state folded from their stream, and delivery decisions.

Delivery reports (the relay's answer, DSNs coming back) arrive late, twice or
out of order; they are applied monotonically, like SMS statuses: a message
that bounced cannot later be merely deferred.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from uuid import UUID

from domain.status_reports import later_status, recorded_report
from events import EmailDeliveryChanged, EmailReceived, EmailSent, EmailStatus, Event

# Higher ranks supersede lower ones; equal ranks are alternative final outcomes.
# `deferred` outranks `accepted`: a relay that accepted a message reports a
# delay (DSN action "delayed") afterwards, never before.
STATUS_RANK: dict[EmailStatus, int] = {
    EmailStatus.REQUESTED: 0,
    EmailStatus.ACCEPTED: 1,
    EmailStatus.DEFERRED: 2,
    EmailStatus.RECEIVED: 3,
    EmailStatus.DELIVERED: 3,
    EmailStatus.BOUNCED: 3,
    EmailStatus.FAILED: 3,
}


def status_rank(status: EmailStatus | str) -> int:
    return STATUS_RANK[EmailStatus(status)]


@dataclass(frozen=True)
class EmailState:
    interaction_id: UUID
    customer_id: UUID
    direction: str
    status: EmailStatus
    version: int
    message_id: str
    references: tuple[str, ...]
    subject: str
    conversation_id: UUID | None
    address: str
    seen_event_ids: frozenset[UUID] = field(default_factory=frozenset)


class UnknownEmail(LookupError):
    """A delivery report named an email the store does not have."""


def fold(events: Iterable[Event]) -> EmailState | None:
    """The state of one email interaction from its stream, or None if it has none."""
    state: EmailState | None = None
    for event in events:
        if isinstance(event, EmailReceived | EmailSent):
            assert event.customer_id is not None
            inbound = isinstance(event, EmailReceived)
            state = EmailState(
                interaction_id=event.originator_id,
                customer_id=event.customer_id,
                direction="inbound" if inbound else "outbound",
                status=EmailStatus.RECEIVED if inbound else EmailStatus.REQUESTED,
                version=event.originator_version,
                message_id=event.message_id,
                references=event.references,
                subject=event.subject,
                conversation_id=event.conversation_id,
                address=event.from_address
                if isinstance(event, EmailReceived)
                else event.to_address,
                seen_event_ids=frozenset({event.event_id}),
            )
        elif isinstance(event, EmailDeliveryChanged) and state is not None:
            state = replace(
                state,
                status=later_status(state.status, event.status, status_rank),
                version=event.originator_version,
                seen_event_ids=state.seen_event_ids | {event.event_id},
            )
    return state


def decide_delivery_change(
    state: EmailState | None, change: EmailDeliveryChanged
) -> list[EmailDeliveryChanged]:
    """Record a delivery report only if it is new and moves an outbound email forward."""
    if state is None or state.direction != "outbound":
        raise UnknownEmail(f"no outbound email {change.originator_id}")
    return recorded_report(
        change,
        seen=state.seen_event_ids,
        changes=status_rank(change.status) > status_rank(state.status),
        customer_id=state.customer_id,
        version=state.version,
    )
