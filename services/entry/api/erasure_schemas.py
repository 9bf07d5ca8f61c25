"""The erasure route's request and answer."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field


class ErasureRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(
        min_length=1,
        max_length=500,
        pattern=r"\S",
        description="Why (a ticket number, the request's date); kept readable for the "
        "audit, so it must not name the person.",
    )


class ErasureView(BaseModel):
    customer_id: UUID
    erased: bool = Field(description="False: the customer had been erased before; nothing changed.")
    erased_at: datetime | None
    addresses_released: int = Field(ge=0)
    blobs_deleted: int = Field(ge=0)
    files_deleted: int = Field(ge=0)
