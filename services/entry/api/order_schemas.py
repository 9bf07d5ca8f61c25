"""Request and response bodies of the order routes (the shop's or ERP's JSON)."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

from events import OrderLine, ReturnedLine
from services.app.orders import book
from services.app.orders.customers import CustomerRef

ORDER_ID = 100
MAX_LINES = 1000


# Who ordered: the hub's customer id, or an email address or phone number (an
# address the hub does not know registers a customer, like a first contact).
class CustomerById(BaseModel):
    model_config = ConfigDict(extra="forbid")
    customer_id: UUID


class CustomerByEmail(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: str = Field(min_length=3, max_length=320)


class CustomerByPhone(BaseModel):
    model_config = ConfigDict(extra="forbid")
    phone: str = Field(min_length=3, max_length=40, description="E.164, or national")


CustomerRefIn = CustomerById | CustomerByEmail | CustomerByPhone

# A price: a decimal string with up to two places ("19.99"), or whole units (a
# number with cents is taken too, but its binary float has no exact cents, so
# the document offers the string).
PRICE_SCHEMA: JsonDict = {
    "anyOf": [
        {"type": "integer", "minimum": 0, "maximum": 10_000_000},
        {"type": "string", "pattern": r"^[0-9]{1,7}(\.[0-9]{1,2})?$"},
    ]
}


class OrderLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: str = Field(min_length=1, max_length=100)
    name: str = Field(default="", max_length=200)
    category: str = Field(default="", max_length=200)
    quantity: int = Field(ge=1, le=1_000_000)
    unit_price: Decimal = Field(
        ge=0, le=Decimal(10_000_000), decimal_places=2, json_schema_extra=PRICE_SCHEMA
    )

    def line(self) -> OrderLine:
        return OrderLine.model_validate(self.model_dump())


class OrderIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    order_id: str = Field(min_length=1, max_length=ORDER_ID, description="The shop's order id.")
    customer: CustomerRefIn
    ordered_at: AwareDatetime
    currency: str = Field(pattern=r"^[A-Za-z]{3}$", description="ISO 4217, e.g. EUR")
    lines: list[OrderLineIn] = Field(min_length=1, max_length=MAX_LINES)


class OrderAccepted(BaseModel):
    order_id: str
    customer_id: UUID
    created: bool = Field(description="False: this order_id was recorded before; nothing new.")


class ReturnIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    return_id: str = Field(min_length=1, max_length=ORDER_ID, description="The shop's return id.")
    kind: Literal["return", "cancellation"] = "return"
    lines: list[ReturnedLine] = Field(
        default_factory=list,
        max_length=MAX_LINES,
        description="What came back; a cancellation takes back all that is still kept.",
    )
    returned_at: AwareDatetime | None = None


class ReturnAccepted(BaseModel):
    order_id: str
    return_id: str
    customer_id: UUID
    created: bool = Field(description="False: this return_id was recorded before; nothing new.")


def command_of(order: OrderIn) -> book.OrderIn:
    """The use case's order from the shop's JSON (the API and the Kafka topic)."""
    ref = order.customer
    return book.OrderIn(
        order_id=order.order_id,
        customer=CustomerRef(
            customer_id=ref.customer_id if isinstance(ref, CustomerById) else None,
            email=ref.email if isinstance(ref, CustomerByEmail) else None,
            phone=ref.phone if isinstance(ref, CustomerByPhone) else None,
        ),
        ordered_at=order.ordered_at,
        currency=order.currency,
        lines=[line.line() for line in order.lines],
    )
