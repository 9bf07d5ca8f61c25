"""Request and response bodies of merge and unmerge."""

from __future__ import annotations

from uuid import UUID

from pydantic import BaseModel, ConfigDict


class MergeCommand(BaseModel):
    model_config = ConfigDict(extra="forbid")

    other_customer_id: UUID


class UnmergeCommand(BaseModel):
    model_config = ConfigDict(extra="forbid")

    merge_id: UUID


class MergeOut(BaseModel):
    merge_id: UUID
    customer_id: UUID
    other_customer_id: UUID
