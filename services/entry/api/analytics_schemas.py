"""Response bodies of buying behaviour and the analytics routes.

Money is a decimal string with two places ("1234.50"), never a float: sums stay
exact for whoever adds them up again.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, Field

from domain.buying import Behaviour, Ranked

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
