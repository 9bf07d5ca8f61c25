"""Sample orders for the demo's customers: few customers make most revenue.

Each customer gets an order count from a Pareto distribution (most buy a few
times or never, a few buy often), a rhythm of their own, and baskets from a
catalogue whose products are Zipf-popular within six categories. Some orders
come back in part. Same seed, same orders; ids derive from the seed, so a
second load records nothing new.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from uuid import UUID

from domain import orders
from events import Event, OrderLine, ReturnedLine
from services.infra.eventstore import EventStore

CATALOGUE: dict[str, list[tuple[str, str]]] = {
    "coffee": [
        ("Espresso beans 1 kg", "18.90"),
        ("Filter coffee 500 g", "8.50"),
        ("Decaf 250 g", "6.20"),
        ("Cold brew kit", "24.00"),
    ],
    "tea": [
        ("Green tea", "5.90"),
        ("Earl Grey", "4.80"),
        ("Rooibos", "4.20"),
        ("Chai mix", "7.40"),
    ],
    "machines": [("Espresso machine", "349.00"), ("Grinder", "129.00"), ("Kettle", "59.00")],
    "cups": [("Cup set", "29.00"), ("Travel mug", "19.50"), ("Glass mug", "9.90")],
    "accessories": [
        ("Milk frother", "39.00"),
        ("Descaler", "9.50"),
        ("Filter papers", "3.50"),
        ("Tamper", "22.00"),
    ],
    "books": [("Barista handbook", "24.90"), ("Tea atlas", "32.00")],
}
PRODUCTS = [
    (f"{category[:3].upper()}-{n + 1:02d}", name, category, Decimal(price))
    for category, items in CATALOGUE.items()
    for n, (name, price) in enumerate(items)
]
BUYER_SHARE = 0.75
RETURN_SHARE = 0.06
MAX_ORDERS = 60


def generate_orders(customer_ids: Sequence[UUID], *, seed: int, now: datetime) -> list[Event]:
    rng = random.Random(seed * 7919 + 1)
    weights = [1 / (rank + 1) for rank in range(len(PRODUCTS))]
    shuffled = PRODUCTS[:]
    rng.shuffle(shuffled)  # which products are popular is the seed's choice
    events: list[Event] = []
    for index, customer_id in enumerate(customer_ids):
        if rng.random() > BUYER_SHARE:
            continue
        count = min(int(rng.paretovariate(1.1)), MAX_ORDERS)
        rhythm = rng.uniform(7, 90)  # days between orders, their own
        at = now - timedelta(days=rng.uniform(1, 720))
        times = []
        for _ in range(count):
            times.append(at)
            at += timedelta(days=rng.expovariate(1 / rhythm))
        times = [t for t in times if t < now] or [now - timedelta(days=1)]
        for n, ordered_at in enumerate(times):
            order_id = f"DEMO-{seed}-{index}-{n}"
            picked = {p[0]: p for p in rng.choices(shuffled, weights=weights, k=rng.randint(1, 4))}
            lines = [
                OrderLine(
                    sku=sku, name=name, category=cat, quantity=rng.randint(1, 3), unit_price=price
                )
                for sku, name, cat, price in picked.values()
            ]
            placed = orders.place_order(
                order_id=order_id,
                customer_id=customer_id,
                ordered_at=ordered_at,
                currency="EUR",
                lines=lines,
                source="demo",
                now=ordered_at,
            )
            events.append(placed)
            if rng.random() < RETURN_SHARE:
                state = orders.fold([placed])
                back = lines[0]
                events += orders.take_back(
                    state,
                    return_id=f"{order_id}-R",
                    kind="return",
                    lines=[ReturnedLine(sku=back.sku, quantity=1)],
                    at=min(ordered_at + timedelta(days=rng.uniform(2, 14)), now),
                    now=now,
                )
    return events


def load_demo_orders(
    store: EventStore,
    customer_ids: Sequence[UUID],
    *,
    seed: int,
    now: datetime,
    progress: Callable[[int], None] = lambda n: None,
    batch_size: int = 2000,
) -> list[Event]:
    """Appends the sample orders; returns the events recorded."""
    events = generate_orders(customer_ids, seed=seed, now=now)
    for start in range(0, len(events), batch_size):
        batch = events[start : start + batch_size]
        store.append(batch)
        progress(len(batch))
    return events
