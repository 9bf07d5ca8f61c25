"""Response bodies of buying behaviour and the analytics routes.

Money is a decimal string with two places ("1234.50"), never a float: sums stay
exact for whoever adds them up again.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field

from domain.buying import Behaviour, Ranked
from domain.suggestions import Suggestion
from domain.valuation import ChurnRisk
from services.app.analytics.suggestions import Catalogue
from services.app.analytics.valuations import Snapshot

CENT = Decimal("0.01")


def money(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(CENT)


class RankedOut(BaseModel):
    key: str = Field(description="The category, or the product's sku.")
    label: str = Field(description="The category, or the product's name.")
    quantity: int
    revenue: Decimal

    @classmethod
    def of(cls, ranked: Ranked) -> RankedOut:
        return cls(
            key=ranked.key,
            label=ranked.label,
            quantity=ranked.quantity,
            revenue=money(ranked.revenue_cents),
        )


class BuyingBehaviour(BaseModel):
    """What the customer bought: everything kept (returns and cancellations taken off)."""

    revenue: Decimal
    order_count: int = Field(description="Orders of which something was kept.")
    first_order_at: datetime | None
    last_order_at: datetime | None
    average_basket: Decimal | None = Field(description="revenue / order_count")
    usual_interval_days: float | None = Field(
        description="Median days between consecutive orders (null below two orders)."
    )
    top_categories: list[RankedOut] = Field(description="By revenue, up to three.")
    top_products: list[RankedOut] = Field(description="By quantity, up to three.")

    @classmethod
    def of(cls, found: Behaviour) -> BuyingBehaviour:
        return cls(
            revenue=money(found.revenue_cents),
            order_count=found.order_count,
            first_order_at=found.first_order_at,
            last_order_at=found.last_order_at,
            average_basket=(
                None if found.average_basket_cents is None else money(found.average_basket_cents)
            ),
            usual_interval_days=found.usual_interval_days,
            top_categories=[RankedOut.of(r) for r in found.top_categories],
            top_products=[RankedOut.of(r) for r in found.top_products],
        )


class RfmOut(BaseModel):
    recency: int = Field(ge=1, le=5)
    frequency: int = Field(ge=1, le=5)
    monetary: int = Field(ge=1, le=5)
    segment: str


class ChurnOut(BaseModel):
    at_risk: bool
    reason: str
    days_since_last_order: float | None
    usual_interval_days: float | None


class Classification(BaseModel):
    """The customer's valuation among all customers (docs/analytics.md)."""

    abc_class: Literal["A", "B", "C"] | None = Field(
        description="null: no revenue in the ABC window."
    )
    window_revenue: Decimal
    rfm: RfmOut | None = Field(description="null: never ordered.")
    churn: ChurnOut


class AbcClassOut(BaseModel):
    abc_class: Literal["A", "B", "C"]
    customers: int
    revenue: Decimal
    share: float = Field(description="Of the window's revenue, 0 to 1.")


class MonthOut(BaseModel):
    month: str = Field(description="YYYY-MM (UTC)")
    revenue_by_class: dict[str, Decimal]


class AbcReport(BaseModel):
    since: datetime
    until: datetime
    limits: dict[str, float]
    classes: list[AbcClassOut]
    monthly: list[MonthOut] = Field(description="Customer value over time: revenue per class.")


class SegmentCount(BaseModel):
    segment: str
    customers: int


class RfmCustomer(BaseModel):
    customer_id: UUID
    recency: int
    frequency: int
    monetary: int
    segment: str


class RfmReport(BaseModel):
    customers: int = Field(description="Customers who ever ordered.")
    segments: list[SegmentCount]
    items: list[RfmCustomer] = Field(description="Per customer, filtered and limited.")


class ChurnCustomer(BaseModel):
    customer_id: UUID
    reason: str
    days_since_last_order: float
    usual_interval_days: float


class ChurnReport(BaseModel):
    at_risk: int
    items: list[ChurnCustomer]


def classification_of(snapshot: Snapshot, customer_id: str) -> Classification:
    score = snapshot.rfm.get(customer_id)
    churn = snapshot.churn.get(customer_id) or ChurnRisk(False, "no orders", None, None)
    klass = snapshot.abc.get(customer_id)
    return Classification(
        abc_class=klass if klass in ("A", "B", "C") else None,
        window_revenue=money(max(snapshot.window_revenue.get(customer_id, 0), 0)),
        rfm=None
        if score is None
        else RfmOut(
            recency=score.recency,
            frequency=score.frequency,
            monetary=score.monetary,
            segment=score.segment,
        ),
        churn=ChurnOut(
            at_risk=churn.at_risk,
            reason=churn.reason,
            days_since_last_order=churn.days_since_last,
            usual_interval_days=churn.usual_interval_days,
        ),
    )


class SuggestionOut(BaseModel):
    sku: str
    name: str
    category: str
    score: float = Field(description="Sum of cosine similarities to the products owned.")
    because: list[str] = Field(description="The owned products (skus) that count most.")


class SuggestionList(BaseModel):
    items: list[SuggestionOut]


def suggestions_of(catalogue: Catalogue, found: list[Suggestion]) -> SuggestionList:
    return SuggestionList(
        items=[
            SuggestionOut(
                sku=s.sku,
                name=catalogue.names.get(s.sku, ("", ""))[0],
                category=catalogue.names.get(s.sku, ("", ""))[1],
                score=s.score,
                because=list(s.because),
            )
            for s in found
        ]
    )
