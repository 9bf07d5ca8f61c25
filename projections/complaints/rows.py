"""Pure translation: a complaint event -> the change to its case row.

A row carries the case's SLA clock (JSON), so the SLA columns are recomputed
from the clock with the view's policy after every event, exactly as the write
side computes them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson

from domain import sla
from domain.complaints import PRIORITY_RANK
from events import (
    AgentReplied,
    ComplaintAssigned,
    ComplaintAwaitingCustomer,
    ComplaintCategorised,
    ComplaintClaimed,
    ComplaintClosed,
    ComplaintEscalated,
    ComplaintOpened,
    ComplaintPrioritised,
    ComplaintReopened,
    ComplaintResolved,
    CustomerReplied,
    Event,
    SlaBreached,
    SlaWarningRaised,
)

CASE_EVENTS = (
    ComplaintOpened,
    ComplaintCategorised,
    ComplaintPrioritised,
    ComplaintAssigned,
    ComplaintClaimed,
    CustomerReplied,
    AgentReplied,
    ComplaintAwaitingCustomer,
    ComplaintEscalated,
    ComplaintResolved,
    ComplaintReopened,
    ComplaintClosed,
    SlaWarningRaised,
    SlaBreached,
)

COLUMNS = (
    "complaint_id",
    "case_number",
    "customer_id",
    "queue",
    "priority",
    "priority_rank",
    "status",
    "state",
    "assignee",
    "channel",
    "category",
    "product",
    "language",
    "opened_by",
    "opened_at",
    "last_activity_at",
    "first_response_at",
    "first_response_by",
    "resolved_at",
    "resolved_by",
    "escalations",
    "reopens",
    "fr_due_at",
    "fr_warn_at",
    "res_due_at",
    "res_warn_at",
    "fr_breached",
    "res_breached",
    "sla_state",
    "sla_next_at",
    "clock",
)


def iso(value: datetime | None) -> str | None:
    # Fixed-width UTC text sorts in time order on both stores.
    return value.astimezone(UTC).isoformat(timespec="microseconds") if value else None


def interaction_link(event: Event) -> dict[str, Any] | None:
    """The interaction an event links to its case, as a row, if any."""
    role = {
        ComplaintOpened: "opened",
        CustomerReplied: "customer",
        AgentReplied: "agent",
        ComplaintReopened: "customer",
    }.get(type(event))
    interaction = getattr(event, "interaction_id", None)
    if role is None or interaction is None:
        return None
    return {
        "complaint_id": str(event.originator_id),
        "interaction_id": str(interaction),
        "role": role,
        "occurred_at": iso(event.occurred_at),
    }


def new_row(event: ComplaintOpened) -> dict[str, Any]:
    return {
        "complaint_id": str(event.originator_id),
        "case_number": event.case_number,
        "customer_id": str(event.customer_id),
        "queue": event.queue,
        "priority": event.priority,
        "priority_rank": PRIORITY_RANK[event.priority],
        "status": "open",
        "assignee": None,
        "channel": event.channel,
        "category": event.category,
        "product": event.product,
        "language": event.language,
        "opened_by": event.opened_by,
        "opened_at": iso(event.occurred_at),
        "last_activity_at": iso(event.occurred_at),
        "first_response_at": None,
        "first_response_by": None,
        "resolved_at": None,
        "resolved_by": None,
        "escalations": 0,
        "reopens": 0,
    }


def change_row(row: dict[str, Any], event: Event) -> None:
    """Applies one later event of the case to its row, in place."""
    at = iso(event.occurred_at)
    if isinstance(event, ComplaintCategorised):
        row.update(category=event.category, product=event.product)
    elif isinstance(event, ComplaintPrioritised):
        row.update(priority=event.priority, priority_rank=PRIORITY_RANK[event.priority])
    elif isinstance(event, ComplaintAssigned):
        row["assignee"] = event.assignee
    elif isinstance(event, ComplaintClaimed):
        row["assignee"] = event.agent
    elif isinstance(event, CustomerReplied):
        if row["status"] == "waiting":
            row["status"] = "open"
    elif isinstance(event, AgentReplied):
        if row["first_response_at"] is None:
            row.update(first_response_at=at, first_response_by=event.agent)
    elif isinstance(event, ComplaintAwaitingCustomer):
        row["status"] = "waiting"
    elif isinstance(event, ComplaintEscalated):
        row.update(queue=event.to_queue, assignee=None, escalations=row["escalations"] + 1)
    elif isinstance(event, ComplaintResolved):
        row.update(status="resolved", resolved_at=at, resolved_by=event.by)
    elif isinstance(event, ComplaintReopened):
        row.update(status="open", resolved_at=None, resolved_by=None, reopens=row["reopens"] + 1)
    elif isinstance(event, ComplaintClosed):
        row["status"] = "closed"
    if not isinstance(event, SlaWarningRaised | SlaBreached) and at is not None:
        row["last_activity_at"] = max(row["last_activity_at"], at)


def with_sla(row: dict[str, Any], clock: sla.SlaClock, policy: sla.SlaPolicy) -> dict[str, Any]:
    """The row with its state and SLA columns recomputed from the clock."""
    status = sla.evaluate(clock, policy)
    pid = policy.policy_id
    row = dict(row)
    row["state"] = (
        ("assigned" if row["assignee"] else "new") if row["status"] == "open" else row["status"]
    )
    row.update(
        fr_due_at=iso(status.first_response.due_at),
        fr_warn_at=iso(status.first_response.warn_at),
        res_due_at=iso(status.resolution.due_at),
        res_warn_at=iso(status.resolution.warn_at),
        fr_breached=int((pid, "first_response", "breach") in clock.raised),
        res_breached=int((pid, "resolution", "breach") in clock.raised),
        sla_state=sla.sla_state(clock, policy, active=row["status"] in ("open", "waiting")),
        sla_next_at=(
            iso(sla.next_due(clock, policy)) if row["status"] in ("open", "waiting") else None
        ),
        clock=orjson.dumps(clock.to_json()).decode(),
    )
    return row
