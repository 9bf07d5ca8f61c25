"""Merging two customers into one, and undoing it, on the absorbed customer's stream.

A merge deletes nothing: both customers' events keep their own `customer_id`.
The read models fold these events into an alias (the absorbed customer shows
as part of the one they were merged into) until the merge is undone.
"""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import Field

from events.envelope import Event


class CustomersMerged(Event):
    """The customer (`customer_id`, the stream's owner) became part of another."""

    type: Literal["CustomersMerged"] = "CustomersMerged"
    merge_id: UUID = Field(description="Names the merge, to undo it later.")
    into_customer_id: UUID = Field(description="The customer who now shows both histories.")
    merged_by: str | None = Field(default=None, description="The agent who merged them.")


class CustomersUnmerged(Event):
    """The merge `merge_id` was undone: the customer stands alone again."""

    type: Literal["CustomersUnmerged"] = "CustomersUnmerged"
    merge_id: UUID
    from_customer_id: UUID = Field(description="The customer they had been merged into.")
    unmerged_by: str | None = None
