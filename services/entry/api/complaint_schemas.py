"""JSON shapes of the complaint API (documented in /openapi.json)."""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

import orjson
from pydantic import BaseModel, ConfigDict, Field

from domain import sla
from events import Priority
from projections.complaints.rows import iso

State = Literal["new", "assigned", "waiting", "resolved", "closed"]
StateFilter = Literal["open", "all", "new", "assigned", "waiting", "resolved", "closed"]
SlaState = Literal["ok", "warning", "paused", "breached", "met"]


class SlaTargetView(BaseModel):
    target_hours: float = Field(description="Business hours allowed under the current policy.")
    due_at: str | None = Field(description="ISO 8601 UTC; null while paused.")
    warn_at: str | None
    met_at: str | None
    breached: bool


class SlaView(BaseModel):
    state: SlaState
    policy_id: str
    next_at: str | None = Field(description="Next warning or due instant the scheduler watches.")
    first_response: SlaTargetView
    resolution: SlaTargetView


class Complaint(BaseModel):
    complaint_id: UUID
    case_number: str
    customer_id: UUID
    queue: str
    priority: Priority
    state: State
    assignee: str | None
    channel: str | None
    category: str | None
    product: str | None
    language: str | None
    opened_by: str
    opened_at: str
    last_activity_at: str
    first_response_at: str | None = Field(description="First agent reply.")
    resolved_at: str | None
    escalations: int
    reopens: int
    sla: SlaView


class ComplaintInteraction(BaseModel):
    interaction_id: UUID
    role: Literal["opened", "customer", "agent"]
    occurred_at: str


class ComplaintDetail(Complaint):
    subject: str
    interactions: list[ComplaintInteraction]


class ComplaintList(BaseModel):
    items: list[Complaint]


class OpenComplaint(BaseModel):
    model_config = ConfigDict(extra="forbid")
    customer_id: UUID
    interaction_id: UUID | None = Field(
        default=None,
        description="The interaction the case is about; a case opened from an interaction "
        "is opened once (the same request again returns it).",
    )
    queue: str | None = Field(default=None, min_length=1, max_length=100)
    priority: Priority = "normal"
    category: str | None = Field(default=None, max_length=100)
    product: str | None = Field(default=None, max_length=200)
    language: str | None = Field(default=None, pattern=r"^[a-z]{2}$")
    subject: str = Field(default="", max_length=2000)


class Assign(BaseModel):
    model_config = ConfigDict(extra="forbid")
    assignee: str = Field(min_length=1, max_length=200)


class Categorise(BaseModel):
    model_config = ConfigDict(extra="forbid")
    category: str | None = Field(default=None, max_length=100)
    product: str | None = Field(default=None, max_length=200)


class Prioritise(BaseModel):
    model_config = ConfigDict(extra="forbid")
    priority: Priority


class Escalate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    to_queue: str | None = Field(
        default=None, min_length=1, max_length=100, description="Default: the escalation queue."
    )
    reason: str = Field(default="", max_length=2000)


class Resolve(BaseModel):
    model_config = ConfigDict(extra="forbid")
    resolution: str = Field(default="", max_length=4000)


class QueueLine(BaseModel):
    queue: str
    priority: Priority
    open: int
    unassigned: int
    breached: int
    oldest_opened_at: str


class QueueSummary(BaseModel):
    items: list[QueueLine]


def _target(status: sla.TargetStatus, breached: bool) -> SlaTargetView:
    return SlaTargetView(
        target_hours=status.target.total_seconds() / 3600,
        due_at=iso(status.due_at),
        warn_at=iso(status.warn_at),
        met_at=iso(status.met_at),
        breached=breached,
    )


def complaint_from_row(row: dict[str, Any], policy: sla.SlaPolicy) -> Complaint:
    clock = sla.SlaClock.from_json(orjson.loads(row["clock"]))
    status = sla.evaluate(clock, policy)
    return Complaint.model_validate(
        {
            **row,
            "sla": SlaView(
                state=row["sla_state"],
                policy_id=policy.policy_id,
                next_at=row["sla_next_at"],
                first_response=_target(status.first_response, bool(row["fr_breached"])),
                resolution=_target(status.resolution, bool(row["res_breached"])),
            ),
        }
    )
