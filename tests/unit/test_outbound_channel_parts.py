"""The parts several outbound channels share (services/app/outbound/channel_parts.py):
a Twilio answer or refusal becomes the interaction's next event, and a domain
fold is told to the pipeline as status and provider id."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from uuid import uuid4

import anyio

from adapters.sms.translate import send_failed, status_from_send
from adapters.twilio_rest import SendFailed
from events import Event, SmsStatus
from services.app.outbound.channel_parts import (
    TokenInteractionId,
    interaction_state,
    twilio_delivery,
)
from services.app.outbound.pipeline import InteractionState

AT = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
INTERACTION = uuid4()


@dataclass(frozen=True)
class Answer:
    sid: str
    status: str


def test_twilio_answer_is_recorded_with_its_sid() -> None:
    delivery = anyio.run(
        lambda: twilio_delivery(
            lambda: Answer("SM123", "queued"),
            interaction_id=INTERACTION,
            failed=send_failed,
            answered=status_from_send,
            clock=lambda: AT,
        )
    )
    assert (delivery.provider_id, delivery.error) == ("SM123", None)
    assert delivery.event.originator_id == INTERACTION
    assert delivery.event.status == SmsStatus.QUEUED


def test_twilio_refusal_is_recorded_as_failed_without_a_provider_id() -> None:
    def refuse() -> Answer:
        raise SendFailed("unreachable number", code=21614, transient=False)

    delivery = anyio.run(
        lambda: twilio_delivery(
            refuse,
            interaction_id=INTERACTION,
            failed=send_failed,
            answered=status_from_send,
            clock=lambda: AT,
        )
    )
    assert (delivery.provider_id, delivery.error) == (None, "unreachable number")
    assert delivery.event.status == SmsStatus.FAILED
    assert delivery.event.error_code == "21614"


class Status(Enum):
    SENT = "sent"


@dataclass(frozen=True)
class State:
    status: Status
    reference: str | None


def test_interaction_state_tells_status_and_provider_id_or_none() -> None:
    def fold(stream: list[Event]) -> State | None:
        return State(Status.SENT, "ref-1") if stream else None

    one: list[Event] = [object()]  # type: ignore[list-item]
    assert interaction_state(fold, one, lambda s: s.reference) == InteractionState("sent", "ref-1")
    assert interaction_state(fold, [], lambda s: s.reference) is None


def test_the_token_is_the_interaction_id() -> None:
    token = uuid4()
    assert TokenInteractionId().interaction_id(token) == token
