"""The complaint stream: one stream per case (Reklamation), from opening to closing.

A case's stream id is a uuid; cases opened by the rules derive it from the
triggering interaction's event id, so reprocessing that interaction finds the
case and opens nothing new. The human case number ("R-2026-000123") is
allocated from a per-year counter stream (`CaseNumberAssigned`), whose version
is the number: the store's uniqueness of (stream, version) makes it unique.
"""

from __future__ import annotations

from typing import ClassVar, Literal
from uuid import UUID

from pydantic import AwareDatetime, Field

from events.envelope import Event

Priority = Literal["low", "normal", "high", "urgent"]
SlaTarget = Literal["first_response", "resolution"]


class CaseNumberAssigned(Event):
    """A case number was taken from the year's counter stream (its version is the number)."""

    type: Literal["CaseNumberAssigned"] = "CaseNumberAssigned"
    complaint_id: UUID
    case_number: str


class ComplaintOpened(Event):
    """A case was opened, by an agent or by the auto-open rules."""

    pii_fields: ClassVar[frozenset[str]] = frozenset({"subject"})

    type: Literal["ComplaintOpened"] = "ComplaintOpened"
    case_number: str = Field(description="Human case number, e.g. R-2026-000123.")
    queue: str
    priority: Priority = "normal"
    channel: str | None = Field(
        default=None, description="Channel of the interaction that opened it, if any."
    )
    interaction_id: UUID | None = Field(
        default=None, description="The interaction that opened it, if any."
    )
    opened_by: str = Field(description="The agent, or `rules` for automatic opening.")
    category: str | None = None
    product: str | None = None
    language: str | None = None
    matched_keywords: tuple[str, ...] = ()
    subject: str = ""


class ComplaintCategorised(Event):
    type: Literal["ComplaintCategorised"] = "ComplaintCategorised"
    category: str | None
    product: str | None
    by: str


class ComplaintPrioritised(Event):
    type: Literal["ComplaintPrioritised"] = "ComplaintPrioritised"
    priority: Priority
    by: str


class ComplaintAssigned(Event):
    """A supervisor gave the case to an agent."""

    type: Literal["ComplaintAssigned"] = "ComplaintAssigned"
    assignee: str
    by: str


class ComplaintClaimed(Event):
    """An agent took the case (directly or as the next one of a queue)."""

    type: Literal["ComplaintClaimed"] = "ComplaintClaimed"
    agent: str


class CustomerReplied(Event):
    """A customer's message joined the case."""

    type: Literal["CustomerReplied"] = "CustomerReplied"
    interaction_id: UUID
    channel: str


class AgentReplied(Event):
    """An agent's message to the customer belongs to the case (the first one ends
    the first-response clock)."""

    type: Literal["AgentReplied"] = "AgentReplied"
    interaction_id: UUID | None = None
    channel: str
    agent: str


class ComplaintAwaitingCustomer(Event):
    """The agent waits for the customer: the resolution clock pauses until they reply."""

    type: Literal["ComplaintAwaitingCustomer"] = "ComplaintAwaitingCustomer"
    by: str


class ComplaintEscalated(Event):
    """Moved to another queue (unassigned there), e.g. to the supervisors."""

    pii_fields: ClassVar[frozenset[str]] = frozenset({"reason"})

    type: Literal["ComplaintEscalated"] = "ComplaintEscalated"
    from_queue: str
    to_queue: str
    reason: str = ""
    by: str


class ComplaintResolved(Event):
    pii_fields: ClassVar[frozenset[str]] = frozenset({"resolution"})

    type: Literal["ComplaintResolved"] = "ComplaintResolved"
    resolution: str = ""
    by: str


class ComplaintReopened(Event):
    """A resolved case is open again: an agent reopened it or the customer replied."""

    type: Literal["ComplaintReopened"] = "ComplaintReopened"
    by: str
    interaction_id: UUID | None = None


class ComplaintClosed(Event):
    """Final: a closed case is never reopened (a new message opens a new case)."""

    type: Literal["ComplaintClosed"] = "ComplaintClosed"
    by: str


class SlaWarningRaised(Event):
    """A target will be missed soon (the scheduler raised it at `occurred_at`)."""

    type: Literal["SlaWarningRaised"] = "SlaWarningRaised"
    target: SlaTarget
    due_at: AwareDatetime
    policy_id: str = Field(description="Fingerprint of the SLA policy and calendar used.")


class SlaBreached(Event):
    """A target was missed; `occurred_at` is the due time that passed."""

    type: Literal["SlaBreached"] = "SlaBreached"
    target: SlaTarget
    due_at: AwareDatetime
    policy_id: str = Field(description="Fingerprint of the SLA policy and calendar used.")


class ComplaintShared(Event):
    """The case was shared with a partner organisation (a repair service, a dealer):
    its tokens may now read it and act on it, and its webhooks hear of it."""

    type: Literal["ComplaintShared"] = "ComplaintShared"
    partner: str
    by: str


class ComplaintUnshared(Event):
    """The partner organisation no longer sees the case."""

    type: Literal["ComplaintUnshared"] = "ComplaintUnshared"
    partner: str
    by: str
