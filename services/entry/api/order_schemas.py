"""Request and response bodies of the order routes (the shop's or ERP's JSON)."""

from __future__ import annotations

from typing import Literal, Self
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from events import OrderLine, ReturnedLine

ORDER_ID = 100
MAX_LINES = 1000


class CustomerRefIn(BaseModel):
    """Who ordered: the hub's customer id, or an email address or phone number
    (an address the hub does not know registers a customer, like a first contact)."""

    model_config = ConfigDict(extra="forbid")

    customer_id: UUID | None = None
    email: str | None = Field(default=None, min_length=3, max_length=320)
    phone: str | None = Field(default=None, min_length=3, max_length=40)

    @model_validator(mode="after")
    def exactly_one(self) -> Self:
        given = [v for v in (self.customer_id, self.email, self.phone) if v is not None]
        if len(given) != 1:
            raise ValueError("name the customer by exactly one of customer_id, email, phone")
        return self


class OrderIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    order_id: str = Field(min_length=1, max_length=ORDER_ID, description="The shop's order id.")
    customer: CustomerRefIn
    ordered_at: AwareDatetime
    currency: str = Field(pattern=r"^[A-Za-z]{3}$", description="ISO 4217, e.g. EUR")
    lines: list[OrderLine] = Field(min_length=1, max_length=MAX_LINES)


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
