"""Orders one at a time (the API, the Kafka topic): place, return, cancel.

Idempotent by the shop's ids: an order_id (or a return_id) already recorded is
reported, not recorded again. The store's unique (stream, version) arbitrates
races; on a conflict the decision is taken again on fresh state.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from domain import orders
from events import Event, OrderLine, OrderPlaced, ReturnedLine, order_stream_id
from services.app.intake.recorder import Recorder
from services.app.orders.customers import CustomerRef, address_of, owners, require_customer
from services.infra.eventstore import EventStore

MAX_ATTEMPTS = 8


log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OrderIn:
    order_id: str
    customer: CustomerRef
    ordered_at: datetime
    currency: str
    lines: Sequence[OrderLine]


@dataclass(frozen=True)
class OrderRecorded:
    order_id: str
    customer_id: UUID
    created: bool  # False: the order_id was recorded before, nothing new
    notification_id: int


class OrderBook:
    def __init__(
        self,
        store: EventStore,
        recorder: Recorder,
        *,
        address_secret: bytes,
        default_region: str,
        clock: Callable[[], datetime],
        on_placed: Callable[[UUID, str], object] | None = None,
    ) -> None:
        self.store = store
        self.recorder = recorder
        self.secret = address_secret
        self.region = default_region
        self.clock = clock
        # Told of each new order (customer, order id): an order wins the
        # customer's open opportunity (the operative desk's close_by_order).
        self.on_placed = on_placed

    def place(self, order: OrderIn, *, source: str = "api") -> OrderRecorded:
        orders.check_lines(order.lines)
        for _ in range(MAX_ATTEMPTS):
            try:
                placed = self._place_once(order, source)
            except IntegrityError:
                continue  # a concurrent first contact or the same order: decide again
            if placed.created and self.on_placed is not None:
                try:
                    self.on_placed(placed.customer_id, order.order_id)
                except Exception:  # the order is recorded; its follow-up must not undo the answer
                    log.exception("order %s: closing an opportunity failed", order.order_id)
            return placed
        raise IntegrityError(f"could not record order {order.order_id}")

    def _place_once(self, order: OrderIn, source: str) -> OrderRecorded:
        existing = self.store.stream(order_stream_id(order.order_id))
        if existing and isinstance(existing[0], OrderPlaced):
            assert existing[0].customer_id is not None
            return OrderRecorded(order.order_id, existing[0].customer_id, False, 0)
        now = self.clock()
        new = address_of(order.customer, self.secret, self.region)
        events: list[Event] = []
        if new is None:
            assert order.customer.customer_id is not None
            customer_id = order.customer.customer_id
            require_customer(self.store, customer_id)
        else:
            owner = owners(self.store, [new.address_key]).get(new.address_key)
            if owner is None:
                events += orders.first_contact_events(
                    new, at=order.ordered_at, now=now, cause=order_stream_id(order.order_id)
                )
                assert events[0].customer_id is not None
                customer_id = events[0].customer_id
            else:
                customer_id = owner
        placed = orders.place_order(
            order_id=order.order_id,
            customer_id=customer_id,
            ordered_at=order.ordered_at,
            currency=order.currency,
            lines=order.lines,
            source=source,
            now=now,
        )
        recorded = self.recorder.append([*events, placed])
        return OrderRecorded(order.order_id, customer_id, True, recorded.notification_ids[-1])

    def take_back(
        self,
        order_id: str,
        *,
        return_id: str,
        kind: str,
        lines: Sequence[ReturnedLine],
        at: datetime | None,
    ) -> tuple[UUID, int]:
        """Records a return or cancellation; returns (customer, notification id or 0)."""
        for _ in range(MAX_ATTEMPTS):
            state = orders.fold(self.store.stream(order_stream_id(order_id)))
            if state is None:
                raise orders.UnknownOrder(order_id)
            now = self.clock()
            decided = orders.take_back(
                state, return_id=return_id, kind=kind, lines=lines, at=at or now, now=now
            )
            try:
                recorded = self.recorder.append(decided)
            except IntegrityError:
                continue
            last = recorded.notification_ids[-1] if recorded.notification_ids else 0
            return state.customer_id, last
        raise IntegrityError(f"could not record the return of order {order_id}")
