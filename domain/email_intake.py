"""The recorder's whole decision for an inbound email, and for an outbound one.

Inbound: resolve the sender to a customer (`plan_inbound`), thread the message
(`decide_conversation`), note it in the customer's subject stream and in the
index of its Message-ID (which replies name it by). The caller looks
everything up and passes it in.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from uuid import UUID

from domain.contacts import InboundPlan, plan_inbound
from domain.email_threads import (
    KnownMessage,
    SubjectUse,
    ThreadDecision,
    decide_conversation,
    names_message_id,
    new_conversation_id,
)
from events import (
    EmailMessageIndexed,
    EmailReceived,
    EmailSent,
    EmailThreaded,
    Event,
    customer_id_for_address,
    email_message_index_id,
    email_subject_stream_id,
    provider_event_id,
)


def subject_uses(stream: Sequence[Event]) -> list[SubjectUse]:
    return [
        SubjectUse(e.conversation_id, e.occurred_at) for e in stream if isinstance(e, EmailThreaded)
    ]


def threaded_event(
    *,
    customer_id: UUID,
    interaction_id: UUID,
    subject_key: str,
    decision: ThreadDecision,
    subject_version: int,
    occurred_at: datetime,
    now: datetime,
    causation_id: UUID,
) -> EmailThreaded:
    return EmailThreaded(
        event_id=provider_event_id("contacthub", "email-threaded", str(interaction_id)),
        originator_id=email_subject_stream_id(customer_id, subject_key),
        originator_version=subject_version + 1,
        customer_id=customer_id,
        occurred_at=occurred_at,
        recorded_at=now,
        causation_id=causation_id,
        conversation_id=decision.conversation_id,
        interaction_id=interaction_id,
        subject_key=subject_key,
        started=decision.started,
    )


def indexed_event(
    message: EmailReceived, *, customer_id: UUID, index_version: int, now: datetime
) -> EmailMessageIndexed:
    assert message.conversation_id is not None
    return EmailMessageIndexed(
        event_id=provider_event_id("contacthub", "email-indexed", str(message.originator_id)),
        originator_id=email_message_index_id(message.message_id),
        originator_version=index_version + 1,
        customer_id=customer_id,
        occurred_at=message.occurred_at,
        recorded_at=now,
        causation_id=message.event_id,
        interaction_id=message.originator_id,
        conversation_id=message.conversation_id,
    )


def plan_inbound_email(
    message: EmailReceived,
    *,
    claimed_by: UUID | None,
    already_recorded: bool,
    referenced: Sequence[KnownMessage | None],
    subject_stream: Sequence[Event],
    index_version: int = 0,
    window: timedelta,
    now: datetime,
    claim_version: int = 1,
    generation: int = 0,
) -> InboundPlan | None:
    """The events to append for an inbound email, or None for a duplicate.

    `subject_stream` is the customer's stream for the message's `subject_key`
    (empty for a new customer); its length places the new `EmailThreaded`, so
    two racing messages under one subject conflict and one decides again.
    `index_version` is the length of the stream indexing its Message-ID, which
    places the new `EmailMessageIndexed` the same way.
    """
    if already_recorded:
        return None
    customer_id = claimed_by or customer_id_for_address(message.address_key, generation)
    decision = decide_conversation(
        customer_id=customer_id,
        # The interaction, not the Message-ID: two emails under one reused
        # Message-ID that each start a conversation must not share it.
        message_key=str(message.originator_id),
        referenced=referenced,
        subject_key=message.subject_key,
        subject_uses=subject_uses(subject_stream),
        occurred_at=message.occurred_at,
        window=window,
    )
    threaded = message.model_copy(update={"conversation_id": decision.conversation_id})
    plan = plan_inbound(
        threaded,
        claimed_by=claimed_by,
        already_recorded=False,
        now=now,
        display_name=message.from_name,
        claim_version=claim_version,
        generation=generation,
    )
    assert plan is not None
    if names_message_id(message.message_id):
        plan.events.append(
            indexed_event(
                threaded, customer_id=plan.customer_id, index_version=index_version, now=now
            )
        )
    if message.subject_key:
        plan.events.append(
            threaded_event(
                customer_id=plan.customer_id,
                interaction_id=message.originator_id,
                subject_key=message.subject_key,
                decision=decision,
                subject_version=len(subject_stream),
                occurred_at=message.occurred_at,
                now=now,
                causation_id=message.event_id,
            )
        )
    return plan


def plan_outbound_email(
    sent: EmailSent, *, subject_stream: Sequence[Event], started: bool, now: datetime
) -> list[Event]:
    """The intent to send, and its place under its subject for header-less replies."""
    assert sent.customer_id is not None
    events: list[Event] = [sent]
    if sent.subject_key:
        events.append(
            threaded_event(
                customer_id=sent.customer_id,
                interaction_id=sent.originator_id,
                subject_key=sent.subject_key,
                decision=ThreadDecision(sent.conversation_id, started=started, via="new"),
                subject_version=len(subject_stream),
                occurred_at=sent.occurred_at,
                now=now,
                causation_id=sent.event_id,
            )
        )
    return events


__all__ = ["new_conversation_id", "plan_inbound_email", "plan_outbound_email", "subject_uses"]
