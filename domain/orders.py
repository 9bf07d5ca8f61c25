"""Orders: the pure decisions for placing an order and taking goods back.

An order from a shop names its customer by id, email or phone. An address the
hub has never seen registers a customer exactly as a first contact over that
channel would (same deterministic ids), so a later email or SMS from that
address finds the customer the order created, and the other way round.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from events import (
    AddressClaimed,
    ChannelAddressLinked,
    CustomerRegistered,
    Event,
    OrderLine,
    OrderPlaced,
    OrderReturned,
    ReturnedLine,
    address_claim_id,
    customer_id_for_address,
    order_stream_id,
    provider_event_id,
)
from events.envelope import Channel


class OrderRefused(ValueError):
    """The order or return cannot be recorded as sent; the message says why."""


class UnknownOrder(LookupError):
    """No order has this id."""


@dataclass(frozen=True)
class NewAddress:
    """An address no customer owns yet: the order registers its customer."""

    channel: Channel
    address: str
    address_key: str


def first_contact_events(
    new: NewAddress, *, at: datetime, now: datetime, cause: UUID
) -> list[Event]:
    """A customer registered for an unknown address, with the ids a first
    contact over the channel would have (see domain/contacts.py)."""
    customer_id = customer_id_for_address(new.address_key)
    common = {
        "customer_id": customer_id,
        "occurred_at": at,
        "recorded_at": now,
        "causation_id": cause,
        "correlation_id": cause,
    }
    return [
        CustomerRegistered(
            event_id=provider_event_id("contacthub", "customer", str(customer_id)),
            originator_id=customer_id,
            originator_version=1,
            source_channel=new.channel,
            **common,
        ),
        ChannelAddressLinked(
            event_id=provider_event_id("contacthub", "link", str(customer_id), new.address_key),
            originator_id=customer_id,
            originator_version=2,
            channel=new.channel,
            address=new.address,
            address_key=new.address_key,
            **common,
        ),
        AddressClaimed(
            event_id=provider_event_id("contacthub", "claim", new.address_key),
            originator_id=address_claim_id(new.address_key),
            originator_version=1,
            channel=new.channel,
            address_key=new.address_key,
            **common,
        ),
    ]


def check_lines(lines: Sequence[OrderLine]) -> None:
    """One line per product: a return names a product, so it must be unambiguous."""
    seen: set[str] = set()
    for line in lines:
        if line.sku in seen:
            raise OrderRefused(f"sku {line.sku!r} appears on two lines; merge them into one")
        seen.add(line.sku)


def place_order(
    *,
    order_id: str,
    customer_id: UUID,
    ordered_at: datetime,
    currency: str,
    lines: Sequence[OrderLine],
    source: str,
    now: datetime,
) -> OrderPlaced:
    check_lines(lines)
    stream = order_stream_id(order_id)
    return OrderPlaced.model_validate(
        {
            "event_id": provider_event_id("shop", "order", order_id),
            "originator_id": stream,
            "customer_id": customer_id,
            "occurred_at": ordered_at,
            "recorded_at": now,
            "order_id": order_id,
            "currency": currency.upper(),
            "lines": lines,
            "source": source,
        }
    )


@dataclass
class OrderState:
    """An order as its stream tells it: what was bought, what is still kept."""

    order_id: str
    customer_id: UUID
    version: int
    prices: dict[str, Decimal]
    kept: dict[str, int]
    return_ids: set[str] = field(default_factory=set)


def fold(events: Sequence[Event]) -> OrderState | None:
    state: OrderState | None = None
    for event in events:
        if isinstance(event, OrderPlaced):
            assert event.customer_id is not None
            state = OrderState(
                order_id=event.order_id,
                customer_id=event.customer_id,
                version=event.originator_version,
                prices={line.sku: line.unit_price for line in event.lines},
                kept={line.sku: line.quantity for line in event.lines},
            )
        elif isinstance(event, OrderReturned) and state is not None:
            state.version = event.originator_version
            state.return_ids.add(event.return_id)
            for line in event.lines:
                state.kept[line.sku] -= line.quantity
    return state


def take_back(
    state: OrderState | None,
    *,
    return_id: str,
    kind: str,
    lines: Sequence[ReturnedLine],
    at: datetime,
    now: datetime,
) -> list[Event]:
    """The return (or cancellation) to record; [] if this return_id is recorded.

    A cancellation takes back everything still kept (its `lines` may be empty);
    a return names products and quantities, never more than are still kept.
    """
    if state is None:
        raise UnknownOrder("no such order")
    if return_id in state.return_ids:
        return []
    if kind == "cancellation":
        taken = [ReturnedLine(sku=s, quantity=q) for s, q in state.kept.items() if q > 0]
        if not taken:
            raise OrderRefused("nothing is left to cancel: every product came back already")
    else:
        taken = _checked_return(state, lines)
    refund = sum((state.prices[line.sku] * line.quantity for line in taken), Decimal(0))
    return [
        OrderReturned(
            event_id=provider_event_id("shop", "return", state.order_id, return_id),
            originator_id=order_stream_id(state.order_id),
            originator_version=state.version + 1,
            customer_id=state.customer_id,
            occurred_at=at,
            recorded_at=now,
            order_id=state.order_id,
            return_id=return_id,
            kind="cancellation" if kind == "cancellation" else "return",
            lines=tuple(taken),
            refund=refund,
        )
    ]


def _checked_return(state: OrderState, lines: Sequence[ReturnedLine]) -> list[ReturnedLine]:
    if not lines:
        raise OrderRefused("a return names at least one line (sku and quantity)")
    wanted: dict[str, int] = {}
    for line in lines:
        wanted[line.sku] = wanted.get(line.sku, 0) + line.quantity
    for sku, quantity in wanted.items():
        if sku not in state.kept:
            raise OrderRefused(f"sku {sku!r} is not on order {state.order_id!r}")
        if quantity > state.kept[sku]:
            raise OrderRefused(
                f"only {state.kept[sku]} of sku {sku!r} are still kept, not {quantity}"
            )
    return [ReturnedLine(sku=s, quantity=q) for s, q in wanted.items()]
