"""Which product each demo complaint is about: one the customer had ordered before
complaining, the more complaint-prone ones more often, so the report of
complaint rates by product ranks something worth looking at.

Proneness is heavy-tailed (a few products draw most complaints, as a faulty
batch of grinders would), chosen by the seed: same seed, same products. The
desk records the product on the case, as an agent categorising it would,
keeping the category the intake's rules gave it.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from domain import complaints
from domain.complaints import ComplaintState, IllegalTransition, Stamp
from events import Event, OrderPlaced, provider_event_id
from services.app.complaints.desk import ComplaintDesk, Decision
from services.app.demo_orders import PRODUCTS

# The demo's agent categorises a case a few minutes after it came in.
CATEGORISED_AFTER = timedelta(minutes=2)
DEMO_AGENT = "agent.mueller"


@dataclass(frozen=True)
class DemoComplaint:
    """A complaint of the demo's, by whom and when it came in."""

    complaint_id: UUID
    customer_id: UUID
    at: datetime


def proneness(seed: int) -> dict[str, float]:
    """Each product's complaint weight: Pareto, so a few products dominate."""
    rng = random.Random(seed * 104_729 + 3)
    return {sku: rng.paretovariate(1.2) for sku, _, _, _ in PRODUCTS}


def complaint_products(
    cases: Sequence[DemoComplaint], orders: Sequence[Event], *, seed: int
) -> dict[UUID, str]:
    """case -> the sku it is about; a case whose customer had ordered nothing by
    then names no product."""
    weights = proneness(seed)
    rng = random.Random(seed * 7_907 + 11)
    bought: dict[UUID, list[tuple[datetime, str]]] = {}
    for event in orders:
        if isinstance(event, OrderPlaced) and event.customer_id is not None:
            for line in event.lines:
                bought.setdefault(event.customer_id, []).append((event.occurred_at, line.sku))
    chosen: dict[UUID, str] = {}
    for case in cases:
        before = sorted({sku for at, sku in bought.get(case.customer_id, []) if at < case.at})
        if before:
            [sku] = rng.choices(before, weights=[weights[s] for s in before])
            chosen[case.complaint_id] = sku
    return chosen


def categorise_demo_cases(
    desk: ComplaintDesk, cases: Sequence[DemoComplaint], products: dict[UUID, str]
) -> int:
    """Records each case's product through the desk; returns how many were
    categorised (a case the rules did not open, or one done before, is skipped)."""
    done = 0
    for case in cases:
        complaint_id = case.complaint_id
        sku = products.get(complaint_id)
        if sku is None or desk.case(complaint_id) is None:
            continue
        at = case.at + CATEGORISED_AFTER
        stamp = Stamp(
            event_id=provider_event_id("demo", "categorise", str(complaint_id)),
            occurred_at=at,
            recorded_at=at,
        )
        try:
            outcome = desk.decide(complaint_id, _about(sku), stamp=stamp)
        except IllegalTransition:
            continue
        done += 1 if outcome.notification_ids else 0
    return done


def _about(sku: str) -> Decision:
    def decision(state: ComplaintState | None, stamp: Stamp) -> list[Event]:
        category = state.category if state is not None else None
        return complaints.categorise(state, stamp, category=category, product=sku, by=DEMO_AGENT)

    return decision
