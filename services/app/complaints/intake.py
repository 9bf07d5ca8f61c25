"""The complaint intake: a policy that follows the notification log.

For each recorded customer message it decides, with the domain's rules,
whether the message joins the customer's case, reopens a resolved one, or
opens a new case; an agent's outbound message joins the customer's active
case as a reply. Its position and its customer -> cases index are written in
one transaction after each batch, so it resumes after a restart where it left
off. Every decision is idempotent: a new case's id derives from the message's
event id and a linked interaction is never linked twice, so reprocessing a
message (a crash between append and position) records nothing new.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime
from uuid import UUID

from eventsourcing.persistence import IntegrityError, PersistenceError

from domain import complaints
from domain.complaint_intake import message_text, outbound_by_agent, route_inbound
from domain.complaints import ComplaintState, IllegalTransition, Stamp
from domain.satisfaction import answers, open_survey
from events import (
    ComplaintOpened,
    Event,
    InboundEvent,
    complaint_id_for,
    provider_event_id,
    survey_id_for_case,
)
from projections.complaints import CustomerCaseIndex
from services.app.complaints.config import ComplaintConfig
from services.app.complaints.desk import ComplaintDesk
from services.infra.eventstore import EventStore
from services.infra.follower import Follower

log = logging.getLogger(__name__)

BATCH = 200
SAVE_EVERY_SECONDS = 2.0


def customers_of(events: Iterable[Event]) -> set[UUID]:
    """The customers the events are about (the cases the batch may touch)."""
    return {e.customer_id for e in events if e.customer_id is not None}


MAX_ATTEMPTS = 8
# Channels whose replies can answer a satisfaction survey.
SURVEY_REPLY_CHANNELS = frozenset({"sms"})


class ComplaintIntake:
    def __init__(
        self,
        store: EventStore,
        desk: ComplaintDesk,
        index: CustomerCaseIndex,
        config: ComplaintConfig,
        *,
        clock: Callable[[], datetime],
    ) -> None:
        self.store = store
        self.desk = desk
        self.index = index
        self.config = config
        self.clock = clock
        # The follower thread passes its stop flag, so a long backlog does not hold
        # up shutdown; wakes before start() are kept.
        self._follower = Follower("complaint-intake", self.catch_up, poll_interval=0.5)
        self._lock = threading.Lock()
        self._position: int | None = None  # reached; may be ahead of the saved one
        self._saved_at = time.monotonic()

    def catch_up(self, stop: threading.Event | None = None) -> int:
        """Decides for everything recorded since the last position; returns how many
        events it looked at. The follower thread passes its stop flag, so a long
        backlog does not hold up shutdown."""
        seen = 0
        with self._lock:
            position = self._position if self._position is not None else self.index.position()
            while stop is None or not stop.is_set():
                batch = self.store.notifications(position, BATCH)
                if not batch:
                    break
                # The batch's customers' cases in one query; what the batch opens
                # is added as it goes (the intake is the index's only writer).
                known: dict[UUID, set[UUID]] = defaultdict(set)
                known.update(self.index.cases_of_many(customers_of(e for _, e in batch)))
                to_index: list[Event] = []
                for _, event in batch:
                    to_index.append(event)
                    to_index += self._handle(event, known)
                position = batch[-1][0]
                self._position = position
                seen += len(batch)
                # The index changes only with a new case: other batches just move the
                # position, which is saved now and then (redoing decisions is harmless).
                if any(isinstance(e, ComplaintOpened) for e in to_index) or self._save_due():
                    self._save(to_index, position)
        return seen

    def _save_due(self) -> bool:
        return time.monotonic() - self._saved_at >= SAVE_EVERY_SECONDS

    def _save(self, events: list[Event], position: int) -> None:
        self.index.process_batch(events, position)
        self._saved_at = time.monotonic()

    def flush(self) -> None:
        """Saves the position reached (at shutdown)."""
        with self._lock:
            if self._position is not None and self._position > self.index.position():
                self._save([], self._position)

    def _handle(self, event: Event, known: dict[UUID, set[UUID]]) -> list[Event]:
        for _ in range(MAX_ATTEMPTS):
            try:
                if isinstance(event, InboundEvent) and event.customer_id is not None:
                    return self._inbound(event, known)
                reply = outbound_by_agent(event)
                if reply is not None and event.customer_id is not None:
                    self._outbound(event, event.customer_id, *reply, known)
                return []
            except IntegrityError:
                continue  # an agent changed the case meanwhile: decide again
            except PersistenceError:
                raise  # the store is unreachable: the whole batch is retried later
            except Exception:  # an undecidable event must not stop the intake
                log.exception("complaint intake skipped %s %s", event.type, event.event_id)
                return []
        log.error("complaint intake gave up on %s %s (conflicts)", event.type, event.event_id)
        return []

    def _cases(self, customer_id: UUID, known: dict[UUID, set[UUID]]) -> list[ComplaintState]:
        found = (self.desk.case(i) for i in sorted(known[customer_id]))
        return [c for c in found if c is not None]

    def _inbound(self, message: InboundEvent, known: dict[UUID, set[UUID]]) -> list[Event]:
        assert message.customer_id is not None
        cases = self._cases(message.customer_id, known)
        if self._answers_survey(message, cases):
            return []  # a rating for a resolved case's survey: it reopens nothing
        stamp = Stamp(
            event_id=provider_event_id("contacthub", "complaint-intake", str(message.event_id)),
            occurred_at=message.occurred_at,
            recorded_at=self.clock(),
            correlation_id=message.correlation_id or message.event_id,
            causation_id=message.event_id,
        )
        routing = route_inbound(
            complaint_id=complaint_id_for(message.event_id),
            customer_id=message.customer_id,
            interaction_id=message.originator_id,
            channel=message.channel,
            text=message_text(message),
            occurred_at=message.occurred_at,
            cases=cases,
            rules=self.config.rules,
            reopen_window=self.config.reopen_window,
            stamp=stamp,
        )
        if routing.case is not None and routing.events:
            self.desk.recorder.append(list(routing.events))
            self.desk.on_write()
        if routing.new_case is None:
            return []
        outcome = self.desk.open(routing.new_case, stamp)
        known[message.customer_id].add(outcome.state.complaint_id)
        # The index learns of the case now, not only when the log reaches it.
        return list(self.store.stream(outcome.state.complaint_id)[:1])

    def _answers_survey(self, message: InboundEvent, cases: list[ComplaintState]) -> bool:
        """Whether the message is a score answering the survey of one of the
        customer's resolved cases (read from the store, not a read model, so it
        does not depend on how far the satisfaction view has got)."""
        if message.channel not in SURVEY_REPLY_CHANNELS:
            return False
        text = message_text(message)
        for case in cases:
            if case.status not in ("resolved", "closed"):
                continue
            survey = open_survey(self.store.stream(survey_id_for_case(case.complaint_id)))
            if survey is not None and answers(survey, message.channel, text, message.occurred_at):
                return True
        return False

    def _outbound(
        self,
        event: Event,
        customer_id: UUID,
        channel: str,
        agent: str,
        known: dict[UUID, set[UUID]],
    ) -> None:
        active = [c for c in self._cases(customer_id, known) if c.active]
        if not active or any(event.originator_id in c.interaction_ids for c in active):
            return
        case = max(active, key=lambda c: c.last_activity_at)
        stamp = Stamp(
            event_id=provider_event_id("contacthub", "complaint-reply", str(event.event_id)),
            occurred_at=event.occurred_at,
            recorded_at=self.clock(),
            correlation_id=event.correlation_id or event.event_id,
            causation_id=event.event_id,
        )
        try:
            events = complaints.agent_replied(
                case, stamp, agent=agent, channel=channel, interaction_id=event.originator_id
            )
        except IllegalTransition:
            return
        if events:
            self.desk.recorder.append(events)
            self.desk.on_write()

    # The follower thread --------------------------------------------------

    def wake(self) -> None:
        self._follower.wake()

    def start(self, poll_interval: float = 0.5) -> None:
        self._follower.poll_interval = poll_interval
        self._follower.start()

    def stop(self) -> None:
        self._follower.stop()
        try:
            self.flush()
        except Exception:  # the store is gone: the next start redoes a few decisions
            log.exception("could not save the complaint intake's position")
