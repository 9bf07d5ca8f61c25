"""The recorder for a consumed batch: intake events -> the event store, with
the consumer's positions in the same transaction (exactly-once effect).

The decisions are the single-event recorder's (`plan_inbound`,
`decide_status_change`), made for the whole batch on state read in a few
queries and carried forward in memory, so a batch with two messages from one
new address registers one customer. The events and one `Tracking` per input
partition are written in ONE transaction through the process recorder.

Intakes whose decision needs more than the batch state holds (an email's
thread, a first contact that may join a sibling channel's customer, call and
letter updates) are decided by the single-event recorder on the store's state
and written alone with their position; the batch is cut around them, so every
partition's position still only moves forward.

A conflict (IntegrityError) means another writer got there first: a recorder
that still held the partition during a rebalance, or an agent's command on the
same stream. The batch is then decided again on fresh state, without the
messages whose position is already tracked: what exists is not written twice,
and a batch that turns out all duplicates still advances its positions.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from eventsourcing.persistence import IntegrityError, StoredEvent, Tracking

from domain import messages
from domain.consent_keywords import keyword_message
from domain.contacts import plan_inbound
from domain.erasure import claim_of
from events import (
    AddressClaimed,
    EmailReceived,
    Event,
    InboundEvent,
    SmsStatusChanged,
    address_claim_id,
    customer_id_for_address,
)
from services.app.intake.recorder import Recorder, RecordingConflict
from services.infra.eventstore import EventStore
from services.infra.eventstore.store import TRANSIENT_STORE_ERRORS

log = logging.getLogger(__name__)

MAX_CONFLICTS = 8

# Errors that cannot be cured by trying again: the message goes to the dead letters.
PERMANENT = (TypeError, LookupError, ValueError)
# Errors of the store itself: the whole batch waits and is tried again.
TRANSIENT: tuple[type[Exception], ...] = TRANSIENT_STORE_ERRORS


@dataclass(frozen=True)
class Positioned:
    """One consumed message: its position, and its event or why it has none.

    The embedded group commit has no consumer position: its items carry none,
    and a conflict is cured by deciding again on fresh state (what exists is
    then decided a duplicate)."""

    tracking: Tracking | None
    event: Event | None
    error: Exception | None = None

    @property
    def position(self) -> Tracking:
        """The consumed message's position (a Kafka consumer's items all have one)."""
        if self.tracking is None:
            raise ValueError("this item has no consumer position")
        return self.tracking


class NeedsSingleRecorder(Exception):
    """The batch state cannot decide this intake; the single-event recorder will."""


@dataclass
class BatchPlan:
    # Set when planning stopped at an item the batch state cannot decide: the
    # plan covers the items before it.
    stopped_at: int | None = None
    stored: list[StoredEvent] = field(default_factory=list)
    trackings: list[Tracking] = field(default_factory=list)
    recorded: int = 0
    duplicates: int = 0
    rejected: list[tuple[Positioned, Exception]] = field(default_factory=list)


@dataclass(frozen=True)
class BatchOutcome:
    recorded: int
    duplicates: int
    rejected: int
    skipped: int
    notification_ids: tuple[int, ...]


class BatchRecorder:
    def __init__(
        self,
        store: EventStore,
        clock: Callable[[], datetime],
        max_attempts: int = 3,
        single: Recorder | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.max_attempts = max_attempts
        self.single = single or Recorder(store, clock)
        self._failures: dict[Tracking, int] = {}

    def record(
        self,
        items: Sequence[Positioned],
        before_write: Callable[[list[tuple[Positioned, Exception]]], None] = lambda _: None,
    ) -> BatchOutcome:
        """Records the batch; `before_write` gets the rejected messages first (the
        dead-letter publish), so none is tracked as done before it is parked."""
        total = BatchOutcome(0, 0, 0, 0, ())
        pending = list(items)
        while pending:
            outcome, rest = self._record_prefix(pending, before_write)
            if rest:  # the first of `rest` needs the single-event recorder
                alone = self._record_alone(rest[0], before_write)
                outcome = _sum(outcome, alone)
                rest = rest[1:]
            total = _sum(total, outcome)
            pending = rest
        return total

    def _record_prefix(
        self,
        items: list[Positioned],
        before_write: Callable[[list[tuple[Positioned, Exception]]], None],
    ) -> tuple[BatchOutcome, list[Positioned]]:
        """Writes the items up to the first that the batch cannot decide; returns
        what it did and the items from that one on."""
        pending = items
        skipped = 0
        for _ in range(MAX_CONFLICTS):
            plan = self.plan(pending)
            planned = pending if plan.stopped_at is None else pending[: plan.stopped_at]
            rest = [] if plan.stopped_at is None else pending[plan.stopped_at :]
            before_write(plan.rejected)
            try:
                ids = self.store.append_tracked(plan.stored, plan.trackings) if planned else []
            except IntegrityError:
                fresh = self.untracked(pending)
                skipped += len(pending) - len(fresh)
                pending = fresh
                continue
            for item in planned:
                if item.tracking is not None:
                    self._failures.pop(item.tracking, None)
            outcome = BatchOutcome(
                plan.recorded, plan.duplicates, len(plan.rejected), skipped, tuple(ids)
            )
            return outcome, rest
        raise RecordingConflict(f"a batch of {len(items)} kept conflicting with other writers")

    def _record_alone(
        self,
        item: Positioned,
        before_write: Callable[[list[tuple[Positioned, Exception]]], None],
    ) -> BatchOutcome:
        """One intake decided by the single-event recorder, written with its position."""
        assert item.event is not None
        for _ in range(MAX_CONFLICTS):
            if not self.untracked([item]):
                return BatchOutcome(0, 0, 0, 1, ())
            try:
                decided = self.single.decide(item.event)
                stored = [self.store.mapper.to_stored_event(e) for e in decided]
            except TRANSIENT:
                raise
            except PERMANENT as exc:
                before_write([(item, exc)])
                if item.tracking is not None:
                    self.store.append_tracked([], [item.tracking])
                return BatchOutcome(0, 0, 1, 0, ())
            try:
                ids = self.store.append_tracked(stored, _trackings_of([item]))
            except IntegrityError:
                continue  # a concurrent writer: decide again on fresh state
            recorded = 1 if decided else 0
            return BatchOutcome(recorded, 1 - recorded, 0, 0, tuple(ids))
        raise RecordingConflict(f"{item.tracking} kept conflicting with other writers")

    def untracked(self, items: Sequence[Positioned]) -> list[Positioned]:
        """The items whose position the store has not recorded yet (all those
        without a position)."""
        names = {item.tracking.application_name for item in items if item.tracking}
        tracked = {name: self.store.max_tracking_id(name) for name in names}
        return [
            item
            for item in items
            if item.tracking is None
            or (done := tracked[item.tracking.application_name]) is None
            or item.tracking.notification_id > done
        ]

    def plan(self, items: Sequence[Positioned]) -> BatchPlan:
        """Decides every item on state read in a few queries; raises only for
        transient store errors (and then for the whole batch)."""
        plan = BatchPlan()
        intakes = [i.event for i in items if i.event is not None]
        state = _BatchState.load(self.store, intakes)
        # Their customers' keys in two queries, not a transaction per new customer.
        self.store.keys.prepare(state.customers_of(intakes))
        now = self.clock()
        for index, item in enumerate(items):
            try:
                if item.event is None:
                    raise item.error or ValueError("no event")
                decided = state.decide(item.event, now)
                stored = [self.store.mapper.to_stored_event(e) for e in decided]
            except NeedsSingleRecorder:
                plan.stopped_at = index
                break
            except TRANSIENT:
                raise
            except PERMANENT as exc:
                plan.rejected.append((item, exc))
                continue
            except Exception as exc:  # unexpected: retried a few times, then parked
                if item.tracking is not None:
                    attempts = self._failures.get(item.tracking, 0) + 1
                    self._failures[item.tracking] = attempts
                    if attempts < self.max_attempts:
                        raise
                else:  # no position to retry from: its caller gets the error now
                    attempts = 1
                log.exception("giving up on %s after %d attempts", item.tracking, attempts)
                plan.rejected.append((item, exc))
                continue
            state.accept(item.event, decided)
            plan.stored += stored
            if decided:
                plan.recorded += 1
            else:
                plan.duplicates += 1
        planned = items if plan.stopped_at is None else items[: plan.stopped_at]
        plan.trackings = _trackings_of(planned)
        return plan


@dataclass
class _BatchState:
    """What the decisions need, read once per batch and updated as it is planned."""

    recorded: set[UUID]
    owners: dict[str, UUID]
    # Addresses released by an erasure at least once (their claims are not version 1).
    released: set[str]
    streams: dict[UUID, list[Event]]

    @classmethod
    def load(cls, store: EventStore, events: Sequence[Event]) -> _BatchState:
        inbound = [e for e in events if isinstance(e, InboundEvent)]
        changes = [e for e in events if isinstance(e, SmsStatusChanged)]
        # Sibling channels' claims too: a first contact joins their owner, if any.
        keys = {e.address_key for e in inbound} | {
            key for e in inbound for key in e.sibling_address_keys
        }
        claims = {address_claim_id(key): key for key in keys}
        owners: dict[str, UUID] = {}
        released: set[str] = set()
        for claim_id, stream in store.streams(claims).items():
            claim = claim_of(stream)
            if claim.owner is not None:
                owners[claims[claim_id]] = claim.owner
            if claim.generation:  # erased once: the single recorder places the new claim
                released.add(claims[claim_id])
        return cls(
            recorded=store.existing(e.originator_id for e in inbound),
            owners=owners,
            released=released,
            streams=store.streams(e.originator_id for e in changes),
        )

    def customers_of(self, intakes: Sequence[Event]) -> list[UUID]:
        """The customers the batch will write personal data for (known or new)."""
        found: list[UUID] = []
        for intake in intakes:
            if isinstance(intake, InboundEvent):
                owner = self.owners.get(intake.address_key)
                found.append(owner or customer_id_for_address(intake.address_key))
        return found

    def decide(self, intake: Event, now: datetime) -> list[Event]:
        if isinstance(intake, EmailReceived):
            raise NeedsSingleRecorder  # threading reads the customer's conversations
        if isinstance(intake, InboundEvent):
            if intake.address_key in self.released:
                raise NeedsSingleRecorder  # a contact after an erasure claims a later version
            owner = self.owners.get(intake.address_key)
            recorded = intake.originator_id in self.recorded
            joins_sibling = any(key in self.owners for key in intake.sibling_address_keys)
            if owner is None and not recorded and joins_sibling:
                raise NeedsSingleRecorder  # a first contact joins a sibling channel's customer
            if not recorded and keyword_message(intake) is not None:
                raise NeedsSingleRecorder  # STOP/START writes on the customer stream too
            plan = plan_inbound(
                intake,
                claimed_by=self.owners.get(intake.address_key),
                already_recorded=intake.originator_id in self.recorded,
                now=now,
            )
            return [] if plan is None else plan.events
        if isinstance(intake, SmsStatusChanged):
            stream = self.streams.get(intake.originator_id, [])
            decided = messages.decide_status_change(messages.fold(stream), intake)
            return [e.model_copy(update={"recorded_at": now}) for e in decided]
        raise NeedsSingleRecorder

    def accept(self, intake: Event, decided: Sequence[Event]) -> None:
        """Carries the decided events forward for the rest of the batch."""
        if isinstance(intake, InboundEvent):
            self.recorded.add(intake.originator_id)
            for event in decided:
                if isinstance(event, AddressClaimed) and event.customer_id is not None:
                    self.owners[event.address_key] = event.customer_id
        for event in decided:
            if event.originator_id in self.streams:
                self.streams[event.originator_id].append(event)


def _trackings_of(items: Sequence[Positioned]) -> list[Tracking]:
    """The furthest position of each input among the items."""
    positions: dict[str, int] = {}
    for item in items:
        if item.tracking is None:
            continue
        name, offset = item.tracking.application_name, item.tracking.notification_id
        positions[name] = max(offset, positions.get(name, offset))
    return [Tracking(name, offset) for name, offset in positions.items()]


def _sum(a: BatchOutcome, b: BatchOutcome) -> BatchOutcome:
    return BatchOutcome(
        a.recorded + b.recorded,
        a.duplicates + b.duplicates,
        a.rejected + b.rejected,
        a.skipped + b.skipped,
        a.notification_ids + b.notification_ids,
    )
