"""The order stream: what a customer bought, and what came back.

Orders come from a shop or ERP (the API, the CSV import, Kafka). Each order is
one stream, its id derived from the shop's `order_id`, so the same order sent
twice records nothing new. Amounts are decimal strings in JSON, never floats,
so sums in the read models are exact.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from events.envelope import Event

SKU = 100
TEXT = 200


class OrderLine(BaseModel):
    """One product of an order: how many, at what unit price."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sku: str = Field(min_length=1, max_length=SKU)
    name: str = Field(default="", max_length=TEXT)
    category: str = Field(default="", max_length=TEXT)
    quantity: int = Field(ge=1, le=1_000_000)
    unit_price: Decimal = Field(ge=0, le=Decimal("10000000"), decimal_places=2)


class ReturnedLine(BaseModel):
    """How many of one product came back."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sku: str = Field(min_length=1, max_length=SKU)
    quantity: int = Field(ge=1, le=1_000_000)


class OrderPlaced(Event):
    """A customer ordered (the order's first event; `occurred_at` is when)."""

    type: Literal["OrderPlaced"] = "OrderPlaced"
    order_id: str = Field(min_length=1, max_length=SKU, description="The shop's own order id.")
    currency: str = Field(min_length=3, max_length=3, description="ISO 4217, e.g. 'EUR'.")
    lines: tuple[OrderLine, ...] = Field(min_length=1)
    source: Literal["api", "import", "kafka", "demo"] = "api"


class OrderReturned(Event):
    """Products of an order came back (a return), or the whole rest of it was
    cancelled; `lines` lists what, `refund` their value at the ordered prices."""

    type: Literal["OrderReturned"] = "OrderReturned"
    order_id: str = Field(min_length=1, max_length=SKU)
    return_id: str = Field(min_length=1, max_length=SKU, description="The shop's return id.")
    kind: Literal["return", "cancellation"]
    lines: tuple[ReturnedLine, ...] = Field(min_length=1)
    refund: Decimal = Field(ge=0)
