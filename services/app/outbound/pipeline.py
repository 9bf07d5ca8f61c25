"""The one outbound pipeline: every send over every channel goes through it.

configured? -> interaction id (deterministic from the idempotency key, else
random) -> already recorded? report it, do not resend -> consent and quiet
hours (`domain.consent.decide_contact`) -> record the intent -> call the
provider -> record its answer -> one `SendOutcome`.

The intent is recorded before the provider is called, so a status callback
or a bounce can never arrive for an interaction the store does not know, and a
crash between the two leaves a visible `requested` interaction, not a silent
send. What differs per channel is an `OutboundChannel`: a small configuration
object, not a copy of this sequence.

The pipeline is async (email's relay client is); store calls and synchronous
providers run in worker threads, off the event loop.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, Protocol, TypeVar
from uuid import UUID, uuid4

import anyio
import anyio.to_thread
from eventsourcing.persistence import IntegrityError

from domain.consent import Initiator, QuietHours, decide_contact
from domain.erasure import ERASED_REFUSAL, is_erased
from events import Event, Purpose, provider_event_id
from services.app.errors import CommandRefused, CustomerNotFound
from services.app.intake.recorder import Recorder
from services.infra.eventstore import EventStore

# Appending the intent can lose a race (a concurrent send with the same key, or
# an email under the same subject); each retry re-reads and decides again.
MAX_ATTEMPTS = 8

R = TypeVar("R", contravariant=True)

# When the customer's own last message on a channel arrived (None: never).
LastInbound = Callable[[UUID, str], datetime | None]


@dataclass(frozen=True)
class SendOutcome:
    interaction_id: UUID
    status: str
    # The provider's id of what was sent: Twilio's sid, the Message-ID, the letter's reference.
    provider_id: str | None
    error: str | None
    notification_id: int


@dataclass(frozen=True)
class InteractionState:
    """An interaction as its stream tells it: where it stands, the provider's id."""

    status: str
    provider_id: str | None


@dataclass(frozen=True)
class Intent:
    """What a channel needs to build its intent events, decided by the pipeline."""

    customer_id: UUID
    interaction_id: UUID
    # The deterministic or random token the interaction id derives from.
    token: UUID
    history: list[Event]
    now: datetime
    agent: str
    consent_id: UUID | None


@dataclass(frozen=True)
class Planned:
    """The intent events to append, the first of them the interaction's start.

    A channel that hands the provider more than the events hold (a letter's PDF,
    an email's attachments) plans a subclass that carries it.
    """

    events: list[Event]


P = TypeVar("P", bound=Planned)


@dataclass(frozen=True)
class Delivery:
    """The provider's answer as the event that records it."""

    event: Event
    provider_id: str | None
    error: str | None


class OutboundChannel(Protocol[R, P]):
    """One channel's configuration of the pipeline; `R` is its command's input."""

    @property
    def channel(self) -> str:
        """Whose consent and quiet hours apply: sms, whatsapp, email, voice, letter."""
        ...

    @property
    def namespace(self) -> str:
        """Of the deterministic interaction ids made from idempotency keys."""
        ...

    def unconfigured(self) -> str | None:
        """Why the channel cannot send (what to set), or None if it can."""
        ...

    def interaction_id(self, token: UUID) -> UUID: ...

    def fold(self, stream: list[Event]) -> InteractionState | None:
        """The interaction's state, or None if its stream is empty."""
        ...

    def plan(self, intent: Intent, request: R) -> P:
        """The intent events; raises CommandRefused if the command cannot be sent."""
        ...

    async def deliver(self, planned: P, request: R) -> Delivery:
        """Hands the message to the provider; a refusal or failure is a Delivery too."""
        ...


@dataclass(frozen=True)
class _Begun(Generic[P]):
    planned: P
    notification_id: int


class Outbound:
    def __init__(
        self,
        store: EventStore,
        recorder: Recorder,
        *,
        quiet: QuietHours | None,
        clock: Callable[[], datetime],
        last_inbound: LastInbound | None = None,
    ) -> None:
        self.store = store
        self.recorder = recorder
        self.quiet = quiet
        self.clock = clock
        self.last_inbound = last_inbound

    async def send(
        self,
        channel: OutboundChannel[R, P],
        customer_id: UUID,
        request: R,
        *,
        agent: str,
        idempotency_key: str | None = None,
        initiated_by: Initiator = "agent",
        purpose: Purpose = "service",
    ) -> SendOutcome:
        """`purpose`: agent replies and notices are `service`; campaigns `marketing`,
        which needs the customer's opt-in on the channel."""
        refusal = channel.unconfigured()
        if refusal is not None:
            raise CommandRefused(refusal)
        token = (
            provider_event_id("contacthub", channel.namespace, str(customer_id), idempotency_key)
            if idempotency_key
            else uuid4()
        )
        begun = await anyio.to_thread.run_sync(
            self._record_intent, channel, customer_id, request, token, agent, initiated_by, purpose
        )
        if isinstance(begun, SendOutcome):  # the same command again: report, do not resend
            return begun
        # Once the intent is recorded, see the send through and record its outcome even
        # if the caller goes away (a client that hangs up must not leave it `requested`);
        # every provider client has its own timeout.
        with anyio.CancelScope(shield=True):
            delivery = await channel.deliver(begun.planned, request)
            outcome = await anyio.to_thread.run_sync(
                self._record_outcome,
                channel,
                channel.interaction_id(token),
                delivery,
                begun.notification_id,
            )
        return outcome

    def _record_intent(
        self,
        channel: OutboundChannel[R, P],
        customer_id: UUID,
        request: R,
        token: UUID,
        agent: str,
        initiated_by: Initiator,
        purpose: Purpose,
    ) -> _Begun[P] | SendOutcome:
        history = self.store.stream(customer_id)
        if not history:
            raise CustomerNotFound(str(customer_id))
        if is_erased(history):
            raise CommandRefused(ERASED_REFUSAL)
        interaction_id = channel.interaction_id(token)
        for _ in range(MAX_ATTEMPTS):
            existing = channel.fold(self.store.stream(interaction_id))
            if existing is not None:
                return SendOutcome(
                    interaction_id,
                    existing.status,
                    existing.provider_id,
                    None,
                    self.store.max_notification_id(),
                )
            now = self.clock()
            decision = decide_contact(
                history,
                channel.channel,
                now,
                self.quiet,
                purpose=purpose,
                initiated_by=initiated_by,
                last_inbound_at=self._last_inbound(customer_id, channel.channel, now),
            )
            if not decision.allowed:
                raise CommandRefused(decision.reason)
            intent = Intent(
                customer_id, interaction_id, token, history, now, agent, decision.consent_id
            )
            planned = channel.plan(intent, request)
            try:
                ids = self.recorder.append(planned.events).notification_ids
            except IntegrityError:
                continue  # lost a race: re-read the interaction and decide again
            return _Begun(planned, ids[-1])
        raise CommandRefused(f"could not record the {channel.channel}: too many concurrent writes")

    def _last_inbound(self, customer_id: UUID, channel: str, now: datetime) -> datetime | None:
        # Only quiet hours ask when the customer last wrote: spare the read otherwise.
        if self.last_inbound is None or self.quiet is None or not self.quiet.contains(now):
            return None
        return self.last_inbound(customer_id, channel)

    def _record_outcome(
        self,
        channel: OutboundChannel[R, P],
        interaction_id: UUID,
        delivery: Delivery,
        intent_notification_id: int,
    ) -> SendOutcome:
        recorded = self.recorder.record(delivery.event)
        state = channel.fold(self.store.stream(interaction_id))
        assert state is not None  # the intent was recorded before the provider was called
        return SendOutcome(
            interaction_id,
            state.status,
            delivery.provider_id,
            delivery.error,
            max((intent_notification_id, *recorded.notification_ids)),
        )
