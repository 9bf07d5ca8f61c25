"""What agents' consoles are told, live: events -> (SSE event name, data).

Only ids and states travel, no personal data: the console fetches what it
shows through the API, with the agent's own token.
"""

from __future__ import annotations

import re
from typing import Any

from domain.complaint_intake import outbound_by_agent
from events import (
    ComplaintEscalated,
    ComplaintOpened,
    Event,
    InboundEvent,
    SlaBreached,
    SlaWarningRaised,
)
from events.complaints import (
    AgentReplied,
    ComplaintAssigned,
    ComplaintAwaitingCustomer,
    ComplaintCategorised,
    ComplaintClaimed,
    ComplaintClosed,
    ComplaintPrioritised,
    ComplaintReopened,
    ComplaintResolved,
    CustomerReplied,
)

QUEUE_CHANGES = (
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
)
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def _action(event: Event) -> str:
    # ComplaintOpened -> opened, CustomerReplied -> customer_replied
    return _CAMEL.sub("_", event.type.removeprefix("Complaint")).lower()


def console_message(event: Event) -> tuple[str, dict[str, Any]] | None:
    base = {
        "type": event.type,
        "customer_id": str(event.customer_id) if event.customer_id else None,
        "occurred_at": event.occurred_at.isoformat(),
    }
    outbound = outbound_by_agent(event)
    if isinstance(event, InboundEvent) or outbound is not None:
        channel = outbound[0] if outbound else getattr(event, "channel", None)
        return "interaction", base | {
            "interaction_id": str(event.originator_id),
            "channel": channel,
            "direction": "outbound" if outbound else "inbound",
        }
    if isinstance(event, QUEUE_CHANGES):
        data = base | {"complaint_id": str(event.originator_id), "action": _action(event)}
        if isinstance(event, ComplaintOpened):
            data |= {"case_number": event.case_number, "queue": event.queue}
            data["priority"] = event.priority
        if isinstance(event, ComplaintEscalated):
            data |= {"from_queue": event.from_queue, "queue": event.to_queue}
        return "queue", data
    if isinstance(event, SlaWarningRaised | SlaBreached):
        return "sla", base | {
            "complaint_id": str(event.originator_id),
            "kind": "warning" if isinstance(event, SlaWarningRaised) else "breach",
            "target": event.target,
            "due_at": event.due_at.isoformat(),
        }
    return None
