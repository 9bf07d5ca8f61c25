"""Bodies of the segment routes; the filter language is in docs/analytics.md."""

from __future__ import annotations

from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, JsonValue


class SegmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    description: str = Field(default="", max_length=1000)
    filter: dict[str, JsonValue] = Field(
        description='e.g. {"all": [{"field": "abc_class", "op": "eq", "value": "A"}, '
        '{"field": "opted_out", "op": "contains", "value": "email"}]}'
    )


class SegmentOut(BaseModel):
    segment_id: UUID
    name: str
    description: str
    filter: dict[str, JsonValue]
    created_by: str
    created_at: str
    members: int = Field(description="Customers matching now.")


class SegmentList(BaseModel):
    items: list[SegmentOut]


class SegmentMembers(BaseModel):
    segment_id: UUID
    members: int
    customer_ids: list[UUID] = Field(description="Sorted; paged by limit and offset.")
