"""What several outbound channels do alike, written once (each channel is still
its own small configuration of the pipeline, services/app/outbound/pipeline.py):

- `TokenInteractionId`: calls, texts and letters use the pipeline's token as the
  interaction id (email alone derives it from the Message-ID);
- `interaction_state`: a channel's domain fold, told to the pipeline as where
  the interaction stands and the provider's id of it;
- `twilio_delivery`: a Twilio REST call (a text, a call) made off the event
  loop, its answer or its `SendFailed` recorded as the interaction's next event.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from enum import Enum
from typing import Protocol, TypeVar
from uuid import UUID

import anyio.to_thread

from adapters.twilio_rest import SendFailed
from events import Event
from services.app.outbound.pipeline import Delivery, InteractionState


class TokenInteractionId:
    """For channels whose interaction id is the pipeline's token itself."""

    def interaction_id(self, token: UUID) -> UUID:
        return token


class Folded(Protocol):
    """A domain fold's state as far as the pipeline reads it."""

    @property
    def status(self) -> Enum: ...


S = TypeVar("S", bound=Folded)


def interaction_state(
    fold: Callable[[list[Event]], S | None],
    stream: list[Event],
    provider_id: Callable[[S], str | None],
) -> InteractionState | None:
    """The stream folded by the channel's domain; None: no such interaction."""
    state = fold(stream)
    if state is None:
        return None
    return InteractionState(state.status.value, provider_id(state))


class TwilioAnswer(Protocol):
    """What Twilio answered when it took a message or a call."""

    @property
    def sid(self) -> str: ...

    @property
    def status(self) -> str: ...


class FailedEvent(Protocol):
    def __call__(
        self, *, interaction_id: UUID, code: int | None, message: str, at: datetime
    ) -> Event: ...


class AnsweredEvent(Protocol):
    def __call__(self, *, interaction_id: UUID, sid: str, status: str, at: datetime) -> Event: ...


async def twilio_delivery(
    request: Callable[[], TwilioAnswer],
    *,
    interaction_id: UUID,
    failed: FailedEvent,
    answered: AnsweredEvent,
    clock: Callable[[], datetime],
) -> Delivery:
    """Makes the (blocking) Twilio request in a worker thread; a refusal is the
    `failed` event with Twilio's code and no provider id, an answer the
    `answered` event with its sid and status."""
    try:
        answer = await anyio.to_thread.run_sync(request)
    except SendFailed as exc:
        event = failed(interaction_id=interaction_id, code=exc.code, message=str(exc), at=clock())
        return Delivery(event, None, str(exc))
    event = answered(
        interaction_id=interaction_id, sid=answer.sid, status=answer.status, at=clock()
    )
    return Delivery(event, answer.sid, None)
