"""The opportunity stream (Vertriebschance): one stream per opportunity, from
capture to won or lost, and the prospect mark on the customer stream.

Amounts are integers in the currency's minor unit (cents), so that sums in the
pipeline report are exact.
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar, Literal
from uuid import UUID

from pydantic import Field

from events.envelope import Event


class ProspectMarked(Event):
    """On the customer stream: the customer is a prospect (no purchase yet), found
    through `source` (a campaign, a fair, the website form...)."""

    type: Literal["ProspectMarked"] = "ProspectMarked"
    source: str = Field(description="Where the prospect came from, e.g. fair, website-form.")
    by: str


class OpportunityOpened(Event):
    pii_fields: ClassVar[frozenset[str]] = frozenset({"title"})

    type: Literal["OpportunityOpened"] = "OpportunityOpened"
    title: str
    value_minor: int = Field(ge=0, description="Expected value in the currency's minor unit.")
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    stage: str = Field(description="The first stage, normally the pipeline's first.")
    owner: str = Field(description="The agent who owns the opportunity.")
    expected_close: date | None = None
    interaction_ids: tuple[UUID, ...] = Field(
        default=(), description="The interactions the opportunity came from or belongs to."
    )
    opened_by: str


class OpportunityStageChanged(Event):
    """Moved to another stage; into a closing stage (won, lost) with the reason,
    and, when an order closed it as won, the order's id."""

    pii_fields: ClassVar[frozenset[str]] = frozenset({"reason"})

    type: Literal["OpportunityStageChanged"] = "OpportunityStageChanged"
    from_stage: str
    to_stage: str
    by: str
    reason: str = ""
    order_id: str | None = None
