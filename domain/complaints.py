"""The complaint case: its state folded from events, and the lifecycle decisions.

Every decision takes the current state and a `Stamp` (ids and times chosen by
the caller) and returns the events to append at the next versions, or raises
`IllegalTransition` with the reason (the API answers 409 with it). A decision
that would change nothing returns no events, so repeating a command is safe.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from domain import sla
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
    ComplaintShared,
    ComplaintUnshared,
    CustomerReplied,
    Event,
    Priority,
    provider_event_id,
)

Status = Literal["open", "waiting", "resolved", "closed"]
PRIORITY_RANK: dict[str, int] = {"low": 0, "normal": 1, "high": 2, "urgent": 3}
ACTIVE: frozenset[str] = frozenset({"open", "waiting"})


class IllegalTransition(ValueError):
    """The case cannot do that now; the message is the reason."""


class CaseNotFound(LookupError):
    pass


@dataclass(frozen=True)
class ComplaintState:
    complaint_id: UUID
    case_number: str
    customer_id: UUID
    version: int
    status: Status
    queue: str
    priority: Priority
    assignee: str | None
    channel: str | None
    category: str | None
    product: str | None
    language: str | None
    opened_at: datetime
    last_activity_at: datetime
    interaction_ids: frozenset[UUID] = frozenset()
    escalations: int = 0
    reopens: int = 0
    resolved_at: datetime | None = None
    clock: sla.SlaClock | None = None
    # The partner organisations the case is shared with (domain/partner_access.py).
    partners: frozenset[str] = frozenset()

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    @property
    def state(self) -> str:
        """What a queue shows: new, assigned, waiting, resolved or closed."""
        if self.status == "open":
            return "assigned" if self.assignee else "new"
        return self.status


def evolve(state: ComplaintState | None, event: Event) -> ComplaintState | None:
    """The case after one event of its stream."""
    if isinstance(event, ComplaintOpened):
        assert event.customer_id is not None
        return ComplaintState(
            complaint_id=event.originator_id,
            case_number=event.case_number,
            customer_id=event.customer_id,
            version=event.originator_version,
            status="open",
            queue=event.queue,
            priority=event.priority,
            assignee=None,
            channel=event.channel,
            category=event.category,
            product=event.product,
            language=event.language,
            opened_at=event.occurred_at,
            last_activity_at=event.occurred_at,
            interaction_ids=frozenset({event.interaction_id} if event.interaction_id else ()),
            clock=sla.step(None, event),
        )
    if state is None:
        return None
    new = replace(state, version=event.originator_version, clock=sla.step(state.clock, event))
    changes: dict[str, Any] = {}
    if isinstance(event, ComplaintCategorised):
        changes = {"category": event.category, "product": event.product}
    elif isinstance(event, ComplaintPrioritised):
        changes = {"priority": event.priority}
    elif isinstance(event, ComplaintAssigned):
        changes = {"assignee": event.assignee}
    elif isinstance(event, ComplaintClaimed):
        changes = {"assignee": event.agent}
    elif isinstance(event, CustomerReplied):
        changes = {"interaction_ids": state.interaction_ids | {event.interaction_id}}
        if state.status == "waiting":
            changes["status"] = "open"
    elif isinstance(event, AgentReplied):
        if event.interaction_id is not None:
            changes = {"interaction_ids": state.interaction_ids | {event.interaction_id}}
    elif isinstance(event, ComplaintAwaitingCustomer):
        changes = {"status": "waiting"}
    elif isinstance(event, ComplaintEscalated):
        changes = {"queue": event.to_queue, "assignee": None, "escalations": state.escalations + 1}
    elif isinstance(event, ComplaintResolved):
        changes = {"status": "resolved", "resolved_at": event.occurred_at}
    elif isinstance(event, ComplaintReopened):
        changes = {"status": "open", "resolved_at": None, "reopens": state.reopens + 1}
        if event.interaction_id is not None:
            changes["interaction_ids"] = state.interaction_ids | {event.interaction_id}
    elif isinstance(event, ComplaintClosed):
        changes = {"status": "closed"}
    elif isinstance(event, ComplaintShared):
        return replace(new, partners=state.partners | {event.partner})
    elif isinstance(event, ComplaintUnshared):
        return replace(new, partners=state.partners - {event.partner})
    else:
        return new  # SLA events change only the clock
    return replace(new, last_activity_at=max(state.last_activity_at, event.occurred_at), **changes)


def fold(events: Iterable[Event]) -> ComplaintState | None:
    return fold_from(None, events)


def fold_from(state: ComplaintState | None, events: Iterable[Event]) -> ComplaintState | None:
    for event in events:
        state = evolve(state, event)
    return state


@dataclass(frozen=True)
class Stamp:
    """What the caller decides for new events: a base id, times, correlation."""

    event_id: UUID
    occurred_at: datetime
    recorded_at: datetime
    correlation_id: UUID | None = None
    causation_id: UUID | None = None

    def ids(self, n: int) -> list[UUID]:
        """The base id for one event; derived ids when a decision makes several."""
        if n == 1:
            return [self.event_id]
        return [
            provider_event_id("contacthub", "part", str(self.event_id), str(i)) for i in range(n)
        ]


def _events(
    state: ComplaintState, stamp: Stamp, *made: tuple[type[Event], dict[str, Any]]
) -> list[Event]:
    ids = stamp.ids(len(made))
    return [
        cls(
            event_id=event_id,
            originator_id=state.complaint_id,
            originator_version=state.version + 1 + i,
            customer_id=state.customer_id,
            occurred_at=stamp.occurred_at,
            recorded_at=stamp.recorded_at,
            correlation_id=stamp.correlation_id,
            causation_id=stamp.causation_id,
            **fields,
        )
        for i, (event_id, (cls, fields)) in enumerate(zip(ids, made, strict=True))
    ]


def _require(state: ComplaintState | None) -> ComplaintState:
    if state is None:
        raise CaseNotFound("no such complaint")
    return state


def _refuse_unless_active(state: ComplaintState, action: str) -> None:
    if state.status == "closed":
        raise IllegalTransition(f"case {state.case_number} is closed; it cannot be {action}")
    if state.status == "resolved":
        raise IllegalTransition(
            f"case {state.case_number} is resolved; reopen it before it can be {action}"
        )


def claim(state: ComplaintState | None, stamp: Stamp, *, agent: str) -> list[Event]:
    case = _require(state)
    _refuse_unless_active(case, "claimed")
    if case.assignee == agent:
        return []
    if case.assignee is not None:
        raise IllegalTransition(f"case {case.case_number} is already claimed by {case.assignee}")
    return _events(case, stamp, (ComplaintClaimed, {"agent": agent}))


def assign(state: ComplaintState | None, stamp: Stamp, *, assignee: str, by: str) -> list[Event]:
    case = _require(state)
    _refuse_unless_active(case, "assigned")
    if case.assignee == assignee:
        return []
    return _events(case, stamp, (ComplaintAssigned, {"assignee": assignee, "by": by}))


def categorise(
    state: ComplaintState | None,
    stamp: Stamp,
    *,
    category: str | None,
    product: str | None,
    by: str,
) -> list[Event]:
    case = _require(state)
    if case.status == "closed":
        raise IllegalTransition(f"case {case.case_number} is closed; it cannot be categorised")
    if (case.category, case.product) == (category, product):
        return []
    fields = {"category": category, "product": product, "by": by}
    return _events(case, stamp, (ComplaintCategorised, fields))


def prioritise(
    state: ComplaintState | None, stamp: Stamp, *, priority: Priority, by: str
) -> list[Event]:
    case = _require(state)
    _refuse_unless_active(case, "prioritised")
    if case.priority == priority:
        return []
    return _events(case, stamp, (ComplaintPrioritised, {"priority": priority, "by": by}))


def escalate(
    state: ComplaintState | None, stamp: Stamp, *, to_queue: str, reason: str, by: str
) -> list[Event]:
    case = _require(state)
    _refuse_unless_active(case, "escalated")
    if case.queue == to_queue:
        raise IllegalTransition(f"case {case.case_number} is already in queue {to_queue}")
    fields = {"from_queue": case.queue, "to_queue": to_queue, "reason": reason, "by": by}
    return _events(case, stamp, (ComplaintEscalated, fields))


def resolve(state: ComplaintState | None, stamp: Stamp, *, resolution: str, by: str) -> list[Event]:
    case = _require(state)
    if case.status == "resolved":
        raise IllegalTransition(f"case {case.case_number} is already resolved")
    if case.status == "closed":
        raise IllegalTransition(f"case {case.case_number} is closed")
    return _events(case, stamp, (ComplaintResolved, {"resolution": resolution, "by": by}))


def reopen(
    state: ComplaintState | None, stamp: Stamp, *, by: str, interaction_id: UUID | None = None
) -> list[Event]:
    case = _require(state)
    if case.status == "closed":
        raise IllegalTransition(
            f"case {case.case_number} is closed; closed cases are not reopened, open a new one"
        )
    if case.status != "resolved":
        raise IllegalTransition(
            f"case {case.case_number} is not resolved, so it cannot be reopened"
        )
    return _events(case, stamp, (ComplaintReopened, {"by": by, "interaction_id": interaction_id}))


def close(state: ComplaintState | None, stamp: Stamp, *, by: str) -> list[Event]:
    case = _require(state)
    if case.status == "closed":
        raise IllegalTransition(f"case {case.case_number} is already closed")
    if case.status != "resolved":
        raise IllegalTransition(f"case {case.case_number} must be resolved before it is closed")
    return _events(case, stamp, (ComplaintClosed, {"by": by}))


def agent_replied(
    state: ComplaintState | None,
    stamp: Stamp,
    *,
    agent: str,
    channel: str,
    interaction_id: UUID | None,
    await_customer: bool = False,
) -> list[Event]:
    """An agent's answer joins the case; optionally the case then waits for the customer."""
    case = _require(state)
    _refuse_unless_active(case, "answered")
    made: list[tuple[type[Event], dict[str, Any]]] = []
    if interaction_id is None or interaction_id not in case.interaction_ids:
        made.append(
            (AgentReplied, {"interaction_id": interaction_id, "channel": channel, "agent": agent})
        )
    if await_customer and case.status != "waiting":
        made.append((ComplaintAwaitingCustomer, {"by": agent}))
    return _events(case, stamp, *made) if made else []


def customer_replied(
    state: ComplaintState | None, stamp: Stamp, *, interaction_id: UUID, channel: str
) -> list[Event]:
    """A customer's message joins the case; on a resolved case it reopens it first."""
    case = _require(state)
    if interaction_id in case.interaction_ids:
        return []
    if case.status == "closed":
        raise IllegalTransition(f"case {case.case_number} is closed")
    reply = (CustomerReplied, {"interaction_id": interaction_id, "channel": channel})
    if case.status == "resolved":
        reopened = (ComplaintReopened, {"by": "customer", "interaction_id": interaction_id})
        return _events(case, stamp, reopened, reply)
    return _events(case, stamp, reply)


def share(state: ComplaintState | None, stamp: Stamp, *, partner: str, by: str) -> list[Event]:
    """Shares the case with a partner organisation; sharing it again changes nothing."""
    case = _require(state)
    if partner in case.partners:
        return []
    return _events(case, stamp, (ComplaintShared, {"partner": partner, "by": by}))


def unshare(state: ComplaintState | None, stamp: Stamp, *, partner: str, by: str) -> list[Event]:
    """Withdraws the case from a partner; a case not shared with it changes nothing."""
    case = _require(state)
    if partner not in case.partners:
        return []
    return _events(case, stamp, (ComplaintUnshared, {"partner": partner, "by": by}))
