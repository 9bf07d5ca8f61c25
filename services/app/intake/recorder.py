"""The recorder: intake events (from the bus) -> the event store.

Resolves each inbound message to its customer, appends the decided events in
one transaction, and treats the store's uniqueness of (stream, version) as the
arbiter of races: on a conflict it reloads and decides again, so a redelivered
or concurrently delivered message records nothing new.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from domain import calls, emails, letters, messages
from domain.consent_keywords import keyword_consent_event, keyword_message
from domain.contacts import InboundPlan, plan_inbound
from domain.email_intake import plan_inbound_email
from domain.email_threads import KnownMessage, names_message_id, referenced_ids
from domain.erasure import Claim, claim_of
from events import (
    CallNoteRecorded,
    CallStatusChanged,
    EmailDeliveryChanged,
    EmailMessageIndexed,
    EmailReceived,
    EmailSent,
    Event,
    InboundEvent,
    LetterStatusChanged,
    RecordingAttached,
    SmsReceived,
    SmsStatusChanged,
    TranscriptAttached,
    address_claim_id,
    email_interaction_id,
    email_message_index_id,
    email_subject_stream_id,
)
from services.infra.eventstore import EventStore

MAX_ATTEMPTS = 8
EMAIL_THREAD_WINDOW = timedelta(days=30)


@dataclass(frozen=True)
class Recorded:
    """What recording one intake event did."""

    customer_id: UUID | None
    notification_ids: tuple[int, ...]

    @property
    def duplicate(self) -> bool:
        return not self.notification_ids


class RecordingConflict(RuntimeError):
    """Kept conflicting with concurrent writers; the caller may retry later."""


def utcnow() -> datetime:
    return datetime.now(UTC)


class Recorder:
    def __init__(
        self,
        store: EventStore,
        clock: Callable[[], datetime] = utcnow,
        *,
        email_thread_window: timedelta = EMAIL_THREAD_WINDOW,
    ) -> None:
        self.store = store
        self.clock = clock
        self.email_thread_window = email_thread_window
        # Told how many events each committed write appended (the API's metrics).
        self._written_observers: list[Callable[[int], None]] = []

    def on_written(self, observer: Callable[[int], None]) -> None:
        """Calls `observer(n)` after each write that appended n > 0 events."""
        self._written_observers.append(observer)

    def notify_written(self, count: int) -> None:
        """Tells the observers of a write made elsewhere (the group commit's)."""
        for observer in self._written_observers:
            observer(count)

    def _written(self, ids: list[int]) -> list[int]:
        if ids:
            self.notify_written(len(ids))
        return ids

    def record(self, intake: Event) -> Recorded:
        for _ in range(MAX_ATTEMPTS):
            try:
                return self._record_once(intake)
            except IntegrityError:
                continue  # a concurrent writer won the race: decide again on fresh state
        raise RecordingConflict(f"could not record {intake.type} {intake.event_id}")

    def decide(self, intake: Event) -> list[Event]:
        """The events recording `intake` would append now (on the store's current
        state), without appending them: the Kafka batch recorder writes them with
        its consumer position in one transaction."""
        decided: list[Event] = []
        deciding = copy.copy(self)

        def collect(events: list[Event]) -> list[int]:
            decided.extend(events)
            return []

        deciding._write = collect  # type: ignore[method-assign]
        deciding._record_once(intake)
        return decided

    def _write(self, events: list[Event]) -> list[int]:
        return self._written(self.store.append(events)) if events else []

    def append(self, events: list[Event]) -> Recorded:
        """Appends events decided elsewhere (API commands); conflicts propagate."""
        ids = self._written(self.store.append(events)) if events else []
        customer = events[0].customer_id if events else None
        return Recorded(customer, tuple(ids))

    def _record_once(self, intake: Event) -> Recorded:
        if isinstance(intake, EmailReceived):
            return self._record_email(intake)
        if isinstance(intake, InboundEvent):
            return self._record_inbound(intake)
        if isinstance(intake, SmsStatusChanged):
            return self._record_status(intake)
        if isinstance(
            intake, CallStatusChanged | RecordingAttached | TranscriptAttached | CallNoteRecorded
        ):
            return self._record_call_update(intake)
        if isinstance(intake, LetterStatusChanged):
            state = letters.fold(self.store.stream(intake.originator_id))
            decided = letters.decide_letter_status(state, intake)
            return self._append_decided(state.customer_id if state else None, list(decided))
        if isinstance(intake, EmailDeliveryChanged):
            return self._record_email_delivery(intake)
        raise TypeError(f"the recorder does not take {intake.type} from the intake")

    def _record_inbound(self, message: InboundEvent) -> Recorded:
        already = self.store.exists(message.originator_id)
        claim = self._claim_of(message.address_key)
        claimed_by = None if already else claim.owner
        join = None
        if not already and claimed_by is None:
            join = self._sibling_owner(message.sibling_address_keys)
        now = self.clock()
        plan = plan_inbound(
            message,
            claimed_by=claimed_by,
            already_recorded=already,
            now=now,
            join=join,
            claim_version=claim.next_version,
            generation=claim.generation,
        )
        if plan is None:
            return Recorded(None, ())
        events = plan.events
        if isinstance(message, SmsReceived) and keyword_message(message) is not None:
            events = events + self._keyword_consent(message, plan, now)
        return Recorded(plan.customer_id, tuple(self._write(events)))

    def _keyword_consent(
        self, message: SmsReceived, plan: InboundPlan, now: datetime
    ) -> list[Event]:
        """A STOP or START message also records the consent change, in the same
        transaction as the message: an opt-out acknowledged is never lost."""
        on_customer = [
            e.originator_version for e in plan.events if e.originator_id == plan.customer_id
        ]
        if on_customer:
            version = max(on_customer)
        else:
            version = self.store.stream(plan.customer_id)[-1].originator_version
        change = keyword_consent_event(message, plan.customer_id, version + 1, now)
        return [] if change is None else [change]

    def _record_status(self, change: SmsStatusChanged) -> Recorded:
        state = messages.fold(self.store.stream(change.originator_id))
        decided = messages.decide_status_change(state, change)
        now = self.clock()
        stamped: list[Event] = [e.model_copy(update={"recorded_at": now}) for e in decided]
        ids = self._write(stamped) if stamped else []
        return Recorded(state.customer_id if state else None, tuple(ids))

    def _record_call_update(self, update: calls.CallUpdate) -> Recorded:
        state = calls.fold(self.store.stream(update.originator_id))
        decided = calls.decide_call_update(state, update)
        return self._append_decided(state.customer_id if state else None, decided)

    def _append_decided(self, customer_id: UUID | None, decided: list[Event]) -> Recorded:
        now = self.clock()
        stamped: list[Event] = [e.model_copy(update={"recorded_at": now}) for e in decided]
        ids = self._write(stamped) if stamped else []
        return Recorded(customer_id, tuple(ids))

    def _sibling_owner(self, keys: tuple[str, ...]) -> tuple[UUID, int] | None:
        """(customer, last version) of the first sibling address's owner."""
        for key in keys:
            owner = self._owner_of(key)
            if owner is not None:
                return owner, self.store.stream(owner)[-1].originator_version
        return None

    def _record_email(self, message: EmailReceived) -> Recorded:
        if self.store.exists(message.originator_id):
            return Recorded(None, ())
        claim = self._claim_of(message.address_key)
        claimed_by = claim.owner
        customer_id = claimed_by or claim.new_customer_id(message.address_key)
        parents = referenced_ids(message.in_reply_to, message.references)
        subject_stream = (
            self.store.stream(email_subject_stream_id(customer_id, message.subject_key))
            if message.subject_key
            else []
        )
        index = (
            self.store.stream(email_message_index_id(message.message_id))
            if names_message_id(message.message_id)
            else []
        )
        plan = plan_inbound_email(
            message,
            claimed_by=claimed_by,
            already_recorded=False,
            referenced=[known for p in parents for known in self._known_emails(p)],
            subject_stream=subject_stream,
            index_version=len(index),
            window=self.email_thread_window,
            now=self.clock(),
            claim_version=claim.next_version,
            generation=claim.generation,
        )
        assert plan is not None
        return Recorded(plan.customer_id, tuple(self._write(plan.events)))

    def _known_emails(self, message_id: str) -> list[KnownMessage]:
        """The emails the store has under a Message-ID: the one we sent (or an
        inbound one recorded when ids derived from the Message-ID alone), then
        the inbound ones its index lists, of whichever senders."""
        found: list[KnownMessage] = []
        for event in self.store.stream(email_interaction_id(message_id)):
            if isinstance(event, EmailReceived | EmailSent) and event.conversation_id:
                assert event.customer_id is not None
                found.append(KnownMessage(event.customer_id, event.conversation_id))
                break
        for event in self.store.stream(email_message_index_id(message_id)):
            if isinstance(event, EmailMessageIndexed) and event.customer_id is not None:
                found.append(KnownMessage(event.customer_id, event.conversation_id))
        return found

    def _record_email_delivery(self, change: EmailDeliveryChanged) -> Recorded:
        state = emails.fold(self.store.stream(change.originator_id))
        decided = emails.decide_delivery_change(state, change)
        now = self.clock()
        stamped: list[Event] = [e.model_copy(update={"recorded_at": now}) for e in decided]
        ids = self._write(stamped) if stamped else []
        return Recorded(state.customer_id if state else None, tuple(ids))

    def _owner_of(self, address_key: str) -> UUID | None:
        return self._claim_of(address_key).owner

    def _claim_of(self, address_key: str) -> Claim:
        # The last claim holds until an erasure releases the address.
        return claim_of(self.store.stream(address_claim_id(address_key)))
