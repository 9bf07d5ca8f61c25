"""ABC classes, RFM scores and segments, churn risk and value over time, for
every customer at once (the classes depend on everyone's revenue).

Computed from the orders read model by the pure functions in
domain/valuation.py, and kept as a snapshot until the read model moves on (a
new order, return or rebuild) or the hour changes (recency counts days): a
360 view or a report then reads a dictionary, not the whole order table.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from domain.valuation import (
    CLASSES,
    SEGMENTS,
    AbcLimits,
    ChurnRisk,
    RfmInput,
    RfmScore,
    abc_classes,
    churn_risk,
    months_before,
    rfm_scores,
)
from projections.orders import OrderHistory
from projections.orders.view import utc_text

SECONDS_PER_DAY = 86_400


@dataclass(frozen=True)
class ClassFigures:
    name: str
    customers: int
    revenue_cents: int
    share: float  # of the window's revenue, 0..1


@dataclass(frozen=True)
class Snapshot:
    computed_at: datetime
    since: datetime
    until: datetime
    limits: AbcLimits
    window_revenue: dict[str, int]  # customer -> cents in the window
    abc: dict[str, str]  # customer -> class
    classes: list[ClassFigures]
    monthly: list[tuple[str, dict[str, int]]]  # (YYYY-MM, class -> cents)
    rfm: dict[str, RfmScore]
    segments: dict[str, int]
    churn: dict[str, ChurnRisk]


class Valuations:
    def __init__(
        self,
        orders: OrderHistory,
        *,
        window_months: int,
        limits: AbcLimits,
        churn_factor: float,
        clock: Callable[[], datetime],
    ) -> None:
        self.orders = orders
        self.window_months = window_months
        self.limits = limits
        self.churn_factor = churn_factor
        self.clock = clock
        self._lock = threading.Lock()
        self._cached: tuple[tuple[int, str, int, AbcLimits], Snapshot] | None = None

    def snapshot(
        self, *, window_months: int | None = None, limits: AbcLimits | None = None
    ) -> Snapshot:
        """The valuation now (the configured window and limits unless given)."""
        months = window_months or self.window_months
        limits = limits or self.limits
        now = self.clock()
        key = (self.orders.position(), now.strftime("%Y-%m-%dT%H"), months, limits)
        with self._lock:
            if self._cached is not None and self._cached[0] == key:
                return self._cached[1]
            found = self._compute(now, months, limits)
            self._cached = (key, found)
            return found

    def _compute(self, now: datetime, months: int, limits: AbcLimits) -> Snapshot:
        since = months_before(now, months)
        window = {
            row["customer_id"]: int(row["revenue_cents"])
            for row in self.orders.customer_totals(utc_text(since), utc_text(now))
        }
        abc = abc_classes(window, limits)
        total = sum(r for r in window.values() if r > 0)
        classes = []
        for name in CLASSES:
            members = [c for c, k in abc.items() if k == name]
            revenue = sum(window[c] for c in members)
            classes.append(
                ClassFigures(name, len(members), revenue, revenue / total if total else 0.0)
            )
        monthly: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(CLASSES, 0))
        for row in self.orders.monthly_revenue(utc_text(since), utc_text(now)):
            klass = abc.get(row["customer_id"])
            if klass is not None:
                monthly[row["month"]][klass] += int(row["revenue_cents"])
        everyone = self.orders.customer_totals("", utc_text(now))
        # In customer order, once: the routes page through them without sorting
        # 100k entries per request.
        rfm = rfm_scores(
            [
                RfmInput(
                    row["customer_id"],
                    (now - datetime.fromisoformat(row["last_order_at"])).total_seconds()
                    / SECONDS_PER_DAY,
                    int(row["orders"]),
                    int(row["revenue_cents"]),
                )
                for row in everyone
                if row["last_order_at"] is not None
            ]
        )
        rfm = dict(sorted(rfm.items()))
        segments = dict.fromkeys(SEGMENTS, 0)
        for score in rfm.values():
            segments[score.segment] += 1
        churn = {
            customer: churn_risk([datetime.fromisoformat(t) for t in times], now, self.churn_factor)
            for customer, times in self.orders.order_times(until=utc_text(now)).items()
        }
        churn = dict(sorted(churn.items()))
        return Snapshot(
            computed_at=now,
            since=since,
            until=now,
            limits=limits,
            window_revenue=window,
            abc=abc,
            classes=classes,
            monthly=sorted(monthly.items()),
            rfm=rfm,
            segments=segments,
            churn=churn,
        )
