"""Opportunities as commands: open (optionally marking the customer a prospect),
move through the stages, close as won by an order; and the pipeline report."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from uuid import UUID, uuid4

from eventsourcing.persistence import IntegrityError

from domain import opportunities as domain
from domain.opportunities import (
    NewOpportunity,
    OpportunityNotFound,
    OpportunityRow,
    OpportunityState,
    Pipeline,
    PipelineReport,
    StageVisit,
)
from events import CustomerRegistered, Event, ProspectMarked
from projections.opportunities import Opportunities
from services.app.errors import CommandRefused, CustomerNotFound
from services.app.intake.recorder import Recorder
from services.app.operative.streams import MAX_ATTEMPTS, StreamConflict, decide_and_append
from services.infra.eventstore import EventStore


class OpportunityDesk:
    def __init__(
        self,
        store: EventStore,
        recorder: Recorder,
        view: Opportunities,
        pipeline: Pipeline,
        *,
        clock: Callable[[], datetime],
    ) -> None:
        self.store = store
        self.recorder = recorder
        self.view = view
        self.pipeline = pipeline
        self.clock = clock

    def open(
        self, new: NewOpportunity, *, by: str, prospect_source: str | None = None
    ) -> tuple[OpportunityState, int]:
        """Opens it (idempotent on its id); with `prospect_source`, the customer is
        marked a prospect first, unless they are already one."""
        customer = self.store.stream(new.customer_id)
        if not customer or not isinstance(customer[0], CustomerRegistered):
            raise CustomerNotFound(str(new.customer_id))
        for interaction_id in new.interaction_ids:
            stream = self.store.stream(interaction_id)
            if not stream or stream[0].customer_id != new.customer_id:
                raise CommandRefused(f"interaction {interaction_id} is not this customer's")
        last = 0
        if prospect_source:
            last = self._mark_prospect(new.customer_id, prospect_source, by)

        def decide(history: list[Event]) -> list[Event]:
            if history:
                return []  # opened before (the same idempotency key): report it
            return [
                domain.open_opportunity(
                    new, self.pipeline, by=by, event_id=uuid4(), now=self.clock()
                )
            ]

        history, notification = decide_and_append(
            self.store, self.recorder, new.opportunity_id, decide
        )
        state = domain.fold(history)
        if state is None or state.customer_id != new.customer_id:
            raise CommandRefused("this idempotency key opened another customer's opportunity")
        return state, max(last, notification)

    def _mark_prospect(self, customer_id: UUID, source: str, by: str) -> int:
        def decide(history: list[Event]) -> list[Event]:
            if any(isinstance(e, ProspectMarked) for e in history):
                return []
            now = self.clock()
            return [
                ProspectMarked(
                    event_id=uuid4(),
                    originator_id=customer_id,
                    originator_version=history[-1].originator_version + 1,
                    customer_id=customer_id,
                    occurred_at=now,
                    recorded_at=now,
                    source=source,
                    by=by,
                )
            ]

        return decide_and_append(self.store, self.recorder, customer_id, decide)[1]

    def move(
        self, opportunity_id: UUID, stage: str, *, by: str, reason: str = ""
    ) -> tuple[OpportunityState, int]:
        def decide(history: list[Event]) -> list[Event]:
            return domain.move(
                domain.fold(history),
                stage,
                self.pipeline,
                by=by,
                event_id=uuid4(),
                now=self.clock(),
                reason=reason,
            )

        history, notification = decide_and_append(self.store, self.recorder, opportunity_id, decide)
        state = domain.fold(history)
        if state is None:
            raise OpportunityNotFound(f"no opportunity {opportunity_id}")
        return state, notification

    def close_by_order(self, customer_id: UUID, order_id: str) -> int:
        """For the order intake: the customer's order wins their open opportunity
        (`domain.opportunities.close_by_order` picks which); 0 if none was open."""
        rows = self.view.listing(customer_id=customer_id, open_only=True)
        for _ in range(MAX_ATTEMPTS):
            # Decided on the streams, not the view: the view may lag a move.
            states = [
                s
                for s in (domain.fold(self.store.stream(UUID(r["opportunity_id"]))) for r in rows)
                if s is not None
            ]
            events = domain.close_by_order(
                states, self.pipeline, order_id=order_id, event_id=uuid4(), now=self.clock()
            )
            if not events:
                return 0
            try:
                return max(self.recorder.append(events).notification_ids, default=0)
            except IntegrityError:
                continue  # an agent moved it meanwhile: decide again
        raise StreamConflict(f"the opportunities of {customer_id} kept changing; try again")

    def report(self) -> PipelineReport:
        opportunities, visits = self.view.report_rows()
        return domain.pipeline_report(
            self.pipeline,
            [
                OpportunityRow(
                    r["opportunity_id"],
                    r["stage"],
                    int(r["value_minor"]),
                    r["currency"],
                    r["close_reason"],
                )
                for r in opportunities
            ],
            [
                StageVisit(
                    v["opportunity_id"],
                    v["stage"],
                    datetime.fromisoformat(v["entered_at"]),
                    datetime.fromisoformat(v["left_at"]) if v["left_at"] else None,
                )
                for v in visits
            ],
            self.clock(),
        )
