"""A customer's buying behaviour, from their orders: pure arithmetic.

Money is in cents (integers), so sums are exact. What came back (returns,
cancellations) does not count as bought: revenue is what the customer kept, and
an order counts as an order only if something of it was kept.
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

TOP = 3
SECONDS_PER_DAY = 86_400


@dataclass(frozen=True)
class OrderFacts:
    order_id: str
    ordered_at: datetime
    net_cents: int  # ordered minus refunded
    kept_items: int  # quantities not taken back


@dataclass(frozen=True)
class LineFacts:
    sku: str
    name: str
    category: str
    kept_quantity: int
    kept_cents: int


@dataclass(frozen=True)
class Ranked:
    key: str
    label: str
    quantity: int
    revenue_cents: int


@dataclass(frozen=True)
class Behaviour:
    revenue_cents: int
    order_count: int
    first_order_at: datetime | None
    last_order_at: datetime | None
    average_basket_cents: int | None  # revenue / order_count, rounded half up
    usual_interval_days: float | None  # median of the gaps between orders
    top_categories: tuple[Ranked, ...]
    top_products: tuple[Ranked, ...]


def counted(orders: Sequence[OrderFacts]) -> list[OrderFacts]:
    """The orders that count: something of them was kept, oldest first."""
    return sorted((o for o in orders if o.kept_items > 0), key=lambda o: (o.ordered_at, o.order_id))


def usual_interval_days(times: Sequence[datetime]) -> float | None:
    """The median gap between consecutive orders in days; None below two orders.
    The median, not the mean: one long pause does not make a regular buyer look rare."""
    ordered = sorted(times)
    if len(ordered) < 2:
        return None
    gaps = [(b - a).total_seconds() / SECONDS_PER_DAY for a, b in itertools.pairwise(ordered)]
    return round(statistics.median(gaps), 2)


def behaviour(orders: Sequence[OrderFacts], lines: Sequence[LineFacts]) -> Behaviour:
    kept = counted(orders)
    revenue = sum(o.net_cents for o in orders)
    count = len(kept)
    return Behaviour(
        revenue_cents=revenue,
        order_count=count,
        first_order_at=kept[0].ordered_at if kept else None,
        last_order_at=kept[-1].ordered_at if kept else None,
        average_basket_cents=(revenue * 2 + count) // (2 * count) if count else None,
        usual_interval_days=usual_interval_days([o.ordered_at for o in kept]),
        top_categories=_top(lines, by_category=True),
        top_products=_top(lines, by_category=False),
    )


def _top(lines: Sequence[LineFacts], *, by_category: bool) -> tuple[Ranked, ...]:
    """Categories ranked by revenue kept, products by quantity kept (ties by key)."""
    totals: dict[str, list[int]] = {}
    labels: dict[str, str] = {}
    for line in lines:
        if line.kept_quantity <= 0:
            continue
        key = line.category if by_category else line.sku
        if by_category and not key:
            continue
        labels.setdefault(key, key if by_category else line.name)
        quantity_cents = totals.setdefault(key, [0, 0])
        quantity_cents[0] += line.kept_quantity
        quantity_cents[1] += line.kept_cents
    rank = (lambda kv: (-kv[1][1], kv[0])) if by_category else (lambda kv: (-kv[1][0], kv[0]))
    ranked = sorted(totals.items(), key=rank)[:TOP]
    return tuple(Ranked(k, labels[k], q, c) for k, (q, c) in ranked)
