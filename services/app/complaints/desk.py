"""The complaint desk: commands on cases, decided on the case's stream.

Each command folds the case from the event store, lets the domain decide, and
appends at the next version. The store's uniqueness of (stream, version) is
the lock: a concurrent writer makes the append fail, and the command decides
again on the fresh state (so of two agents claiming one case, exactly one
wins and the other is told who did). Any SLA warning or breach that is due by
then is appended with the command's events, so a case resolved late always
carries its breach.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID, uuid4

from eventsourcing.persistence import IntegrityError

from domain import complaints, sla
from domain.complaint_intake import NewCase, open_case
from domain.complaints import CaseNotFound, ComplaintState, IllegalTransition, Stamp
from events import Event, case_counter_id
from projections.complaints import ComplaintQueues
from services.app.intake.recorder import Recorder
from services.infra.eventstore import EventStore

MAX_ATTEMPTS = 20

Decision = Callable[[ComplaintState | None, Stamp], list[Event]]


class CommandConflict(RuntimeError):
    """Kept losing to concurrent writers; the client may retry."""


@dataclass(frozen=True)
class Outcome:
    state: ComplaintState
    notification_ids: tuple[int, ...]
    created: bool = False

    @property
    def last_notification(self) -> int:
        return max(self.notification_ids, default=0)


class ComplaintDesk:
    def __init__(
        self,
        store: EventStore,
        recorder: Recorder,
        queues: ComplaintQueues,
        policy: sla.SlaPolicy,
        *,
        clock: Callable[[], datetime],
        on_write: Callable[[], None],
    ) -> None:
        self.store = store
        self.recorder = recorder
        self.queues = queues
        self.policy = policy
        self.clock = clock
        self.on_write = on_write

    def case(self, complaint_id: UUID) -> ComplaintState | None:
        return complaints.fold(self.store.stream(complaint_id))

    def open(self, new: NewCase, stamp: Stamp) -> Outcome:
        """Opens the case, or finds it if its id already exists (then `created` is False)."""
        for _ in range(MAX_ATTEMPTS):
            existing = self.case(new.complaint_id)
            if existing is not None:
                return Outcome(existing, ())
            counter = case_counter_id(stamp.occurred_at.year)
            last = self.store.recorder.select_events(counter, desc=True, limit=1)
            version = last[0].originator_version if last else 0
            events = open_case(new, stamp, counter_version=version)
            try:
                ids = self._append(events)
            except IntegrityError:
                continue  # another case took the number, or this case was opened meanwhile
            state = complaints.fold(events[1:])
            assert state is not None
            return Outcome(state, ids, created=True)
        raise CommandConflict(f"could not open complaint {new.complaint_id}")

    def decide(
        self, complaint_id: UUID, decision: Decision, *, stamp: Stamp | None = None
    ) -> Outcome:
        """Runs a decision on the case; IllegalTransition and CaseNotFound propagate."""
        for _ in range(MAX_ATTEMPTS):
            history = self.store.stream(complaint_id)
            state = complaints.fold(history)
            if state is None:
                raise CaseNotFound(f"no complaint {complaint_id}")
            now = self.clock()
            current = stamp or Stamp(event_id=uuid4(), occurred_at=now, recorded_at=now)
            events = decision(state, current)
            events += self._due_sla(state, events, now)
            if not events:
                return Outcome(state, ())
            try:
                ids = self._append(events)
            except IntegrityError:
                continue  # a concurrent writer: decide again on the fresh state
            after = complaints.fold([*history, *events])
            assert after is not None
            return Outcome(after, ids)
        raise CommandConflict(f"complaint {complaint_id} kept changing; try again")

    def raise_due_sla(self, complaint_id: UUID) -> Outcome | None:
        """Appends the SLA warnings and breaches due now (the scheduler's step)."""
        try:
            return self.decide(complaint_id, lambda state, stamp: [])
        except CaseNotFound:
            return None

    def claim_next(self, queue: str, agent: str) -> Outcome | None:
        """Claims the queue's first unclaimed case; a case another agent wins
        meanwhile is skipped for the next one."""

        def take(state: ComplaintState | None, stamp: Stamp) -> list[Event]:
            if state is not None and (state.queue != queue or state.assignee is not None):
                raise IllegalTransition("taken or moved meanwhile")  # the view lagged
            return complaints.claim(state, stamp, agent=agent)

        for _ in range(5):  # the read model may lag: a few rounds of candidates
            candidates = self.queues.claim_candidates(queue)
            if not candidates:
                return None
            for complaint_id in candidates:
                try:
                    return self.decide(complaint_id, take)
                except (IllegalTransition, CaseNotFound):
                    continue
        return None

    def _due_sla(
        self, state: ComplaintState, events: Sequence[Event], now: datetime
    ) -> list[Event]:
        after = complaints.fold_from(state, events)
        if after is None or after.clock is None:
            return []
        version = after.version
        found = []
        for due in sla.due_events(after.clock, self.policy, now):
            version += 1
            found.append(
                sla.sla_event(
                    due,
                    complaint_id=state.complaint_id,
                    customer_id=state.customer_id,
                    version=version,
                    policy_id=self.policy.policy_id,
                    recorded_at=now,
                )
            )
        return found

    def _append(self, events: list[Event]) -> tuple[int, ...]:
        ids = self.recorder.append(events).notification_ids
        self.on_write()
        return ids
