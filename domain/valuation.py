"""Customer valuation, purely from per-customer order figures.

- ABC: customers ranked by revenue in the window, largest first. A customer's
  class is decided by the share of the window's revenue that the customers
  ranked before them hold: under the A limit (default 80 %) -> A, under A + B
  (80 + 15 %) -> B, else C. So the top customer is always A, and A's customers
  together hold at least the A limit. Ties in revenue are broken by customer id,
  so the answer is deterministic. No revenue in the window: no class.
- RFM: recency (days since the last order), frequency (orders) and monetary
  (revenue) each scored 1-5 by quintile of the customers who ever ordered:
  score = 1 + floor(5 * r / n), r the number of customers strictly worse, so
  equal values always score equally; 5 is best (most recent, most, largest).
- Named segments from the scores (first rule that matches, see SEGMENT_RULES).
- Churn risk: a customer with at least CHURN_MIN_ORDERS orders whose time since
  the last order exceeds `factor` times their usual interval (the median gap
  between their orders), and at least CHURN_MIN_DAYS days.
"""

from __future__ import annotations

import bisect
import calendar
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction

from domain.buying import SECONDS_PER_DAY, usual_interval_days

CLASSES = ("A", "B", "C")
CHURN_MIN_ORDERS = 3
CHURN_MIN_DAYS = 30.0


class InvalidLimits(ValueError):
    """ABC limits that are not three positive percentages summing to 100."""


@dataclass(frozen=True)
class AbcLimits:
    """Revenue shares in percent; C takes the rest."""

    a: float = 80.0
    b: float = 15.0
    c: float = 5.0

    @classmethod
    def parse(cls, text: str) -> AbcLimits:
        """'80,15,5' -> limits; ValueError unless three positive shares summing to 100."""
        parts = [p.strip() for p in text.split(",")]
        if len(parts) != 3:
            raise InvalidLimits(f"ABC limits are three percentages like 80,15,5, not {text!r}")
        try:
            a, b, c = (float(p) for p in parts)
        except ValueError:
            raise InvalidLimits(f"ABC limits are numbers like 80,15,5, not {text!r}") from None
        if min(a, b, c) <= 0 or abs(a + b + c - 100) > 1e-9:
            raise InvalidLimits(f"ABC limits must be positive and sum to 100, not {text!r}")
        return cls(a, b, c)


def abc_classes(revenue_cents: Mapping[str, int], limits: AbcLimits) -> dict[str, str]:
    """Customer -> 'A' | 'B' | 'C' for every customer with positive revenue."""
    ranked = sorted(
        ((c, r) for c, r in revenue_cents.items() if r > 0), key=lambda x: (-x[1], x[0])
    )
    total = sum(r for _, r in ranked)
    a = Fraction(limits.a) / 100
    ab = Fraction(limits.a + limits.b) / 100
    classes: dict[str, str] = {}
    before = 0
    for customer, revenue in ranked:
        share = Fraction(before, total)
        classes[customer] = "A" if share < a else "B" if share < ab else "C"
        before += revenue
    return classes


def months_before(at: datetime, months: int) -> datetime:
    """The same instant `months` calendar months earlier (the day clamped to the
    month's length: 31 March minus one month is 28 or 29 February)."""
    index = at.year * 12 + at.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    last_day = calendar.monthrange(year, month)[1]
    return at.replace(year=year, month=month, day=min(at.day, last_day))


@dataclass(frozen=True)
class RfmInput:
    customer_id: str
    days_since_last: float
    orders: int
    revenue_cents: int


@dataclass(frozen=True)
class RfmScore:
    recency: int
    frequency: int
    monetary: int
    segment: str


def quintile_scores(values: Mapping[str, float]) -> dict[str, int]:
    """1-5 by how many customers have a strictly smaller value (higher = better)."""
    ordered = sorted(values.values())
    n = len(ordered)
    return {c: 1 + (5 * bisect.bisect_left(ordered, v)) // n for c, v in values.items()}


# (segment, rule over recency, frequency, monetary scores and the raw order count)
SEGMENT_RULES: tuple[tuple[str, Callable[[int, int, int, int], bool]], ...] = (
    ("champions", lambda r, f, m, n: r >= 4 and f >= 4 and m >= 4),
    ("loyal", lambda r, f, m, n: r >= 3 and f >= 4),
    ("new", lambda r, f, m, n: r >= 4 and n == 1),
    ("at_risk", lambda r, f, m, n: r <= 2 and f >= 3),
    ("hibernating", lambda r, f, m, n: r <= 2),
    ("potential", lambda r, f, m, n: r >= 3),
)
FALLBACK_SEGMENT = "needs_attention"
SEGMENTS = (*(name for name, _ in SEGMENT_RULES), FALLBACK_SEGMENT)


def segment_of(recency: int, frequency: int, monetary: int, orders: int) -> str:
    for name, rule in SEGMENT_RULES:
        if rule(recency, frequency, monetary, orders):
            return name
    return FALLBACK_SEGMENT


def rfm_scores(customers: Sequence[RfmInput]) -> dict[str, RfmScore]:
    # Recency: fewer days is better, so score the negated days.
    recency = quintile_scores({c.customer_id: -c.days_since_last for c in customers})
    frequency = quintile_scores({c.customer_id: c.orders for c in customers})
    monetary = quintile_scores({c.customer_id: c.revenue_cents for c in customers})
    return {
        c.customer_id: RfmScore(
            recency[c.customer_id],
            frequency[c.customer_id],
            monetary[c.customer_id],
            segment_of(
                recency[c.customer_id], frequency[c.customer_id], monetary[c.customer_id], c.orders
            ),
        )
        for c in customers
    }


@dataclass(frozen=True)
class ChurnRisk:
    at_risk: bool
    reason: str
    days_since_last: float | None
    usual_interval_days: float | None


def churn_risk(order_times: Sequence[datetime], now: datetime, factor: float) -> ChurnRisk:
    if not order_times:
        return ChurnRisk(False, "no orders", None, None)
    since = round((now - max(order_times)).total_seconds() / SECONDS_PER_DAY, 2)
    if len(order_times) < CHURN_MIN_ORDERS:
        return ChurnRisk(
            False, f"fewer than {CHURN_MIN_ORDERS} orders: no rhythm to compare", since, None
        )
    usual = usual_interval_days(order_times)
    assert usual is not None
    threshold = max(factor * usual, CHURN_MIN_DAYS)
    if since > threshold:
        reason = (
            f"no order for {since:g} days; usually one every {usual:g} days "
            f"(flagged beyond {threshold:g})"
        )
        return ChurnRisk(True, reason, since, usual)
    return ChurnRisk(False, f"last order {since:g} days ago, within {threshold:g}", since, usual)
