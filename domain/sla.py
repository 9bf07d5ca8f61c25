"""SLAs as a pure fold over a case's events.

`SlaClock` is what the events say about time: when the case opened, when it
was first answered, and the intervals in which its resolution clock ran (it
stops while the case waits for the customer and while it is resolved). It
knows nothing of targets, so a changed policy is simply evaluated anew over the
same clock ("re-applied to history"). `evaluate` turns a clock, a policy and a
business calendar into due times; `due_events` says which warnings and
breaches are due at an instant and not yet recorded under this policy.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from domain.calendar import BusinessCalendar
from events import (
    AgentReplied,
    ComplaintAwaitingCustomer,
    ComplaintOpened,
    ComplaintPrioritised,
    ComplaintReopened,
    ComplaintResolved,
    CustomerReplied,
    Event,
    Priority,
    SlaBreached,
    SlaTarget,
    SlaWarningRaised,
    provider_event_id,
)

TARGETS: tuple[SlaTarget, ...] = ("first_response", "resolution")


@dataclass(frozen=True)
class SlaPolicy:
    """Targets in business hours per priority, and when to warn (share of a target)."""

    targets: Mapping[str, Mapping[str, float]]
    warning_ratio: float = 0.8
    calendar: BusinessCalendar = field(default_factory=BusinessCalendar)

    def target(self, priority: str, which: SlaTarget) -> timedelta:
        hours = self.targets.get(priority) or self.targets["normal"]
        return timedelta(hours=float(hours[which]))

    @property
    def policy_id(self) -> str:
        """A fingerprint: events raised under one policy are not repeated under it,
        and are not mistaken for another policy's."""
        parts = [self.calendar.fingerprint, f"warn={float(self.warning_ratio):g}"]
        for priority in sorted(self.targets):
            hours = self.targets[priority]
            first, resolution = float(hours["first_response"]), float(hours["resolution"])
            parts.append(f"{priority}:{first:g}/{resolution:g}")
        return hashlib.sha256("|".join(parts).encode()).hexdigest()[:12]


DEFAULT_TARGETS: dict[str, dict[str, float]] = {
    "urgent": {"first_response": 1, "resolution": 4},
    "high": {"first_response": 2, "resolution": 8},
    "normal": {"first_response": 4, "resolution": 16},
    "low": {"first_response": 8, "resolution": 40},
}


@dataclass(frozen=True)
class SlaClock:
    opened_at: datetime
    priority: Priority = "normal"
    first_response_at: datetime | None = None  # first agent reply, or resolution if earlier
    running_since: datetime | None = None  # the resolution clock runs from here
    spent: tuple[tuple[datetime, datetime], ...] = ()  # closed intervals it ran in
    waiting: bool = False
    resolved_at: datetime | None = None
    raised: frozenset[tuple[str, str, str]] = frozenset()  # (policy_id, target, kind)

    def to_json(self) -> dict[str, Any]:
        """Plain data for a read model's row (datetimes as ISO 8601)."""
        return {
            "opened_at": self.opened_at.isoformat(),
            "priority": self.priority,
            "first_response_at": _iso(self.first_response_at),
            "running_since": _iso(self.running_since),
            "spent": [[a.isoformat(), b.isoformat()] for a, b in self.spent],
            "waiting": self.waiting,
            "resolved_at": _iso(self.resolved_at),
            "raised": sorted(list(r) for r in self.raised),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SlaClock:
        return cls(
            opened_at=datetime.fromisoformat(data["opened_at"]),
            priority=data["priority"],
            first_response_at=_dt(data["first_response_at"]),
            running_since=_dt(data["running_since"]),
            spent=tuple(
                (datetime.fromisoformat(a), datetime.fromisoformat(b)) for a, b in data["spent"]
            ),
            waiting=data["waiting"],
            resolved_at=_dt(data["resolved_at"]),
            raised=frozenset((p, t, k) for p, t, k in data["raised"]),
        )


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _stop(clock: SlaClock, at: datetime) -> SlaClock:
    if clock.running_since is None:
        return clock
    interval = (clock.running_since, max(at, clock.running_since))
    return replace(clock, running_since=None, spent=(*clock.spent, interval))


def step(clock: SlaClock | None, event: Event) -> SlaClock | None:
    """The clock after one of the case's events."""
    at = event.occurred_at
    if isinstance(event, ComplaintOpened):
        return SlaClock(opened_at=at, priority=event.priority, running_since=at)
    if clock is None:
        return None
    if isinstance(event, ComplaintPrioritised):
        return replace(clock, priority=event.priority)
    if isinstance(event, AgentReplied):
        return replace(clock, first_response_at=clock.first_response_at or at)
    if isinstance(event, ComplaintAwaitingCustomer):
        return replace(_stop(clock, at), waiting=True)
    if isinstance(event, CustomerReplied) and clock.waiting:
        return replace(clock, waiting=False, running_since=at)
    if isinstance(event, ComplaintResolved):
        return replace(
            _stop(clock, at),
            waiting=False,
            resolved_at=at,
            first_response_at=clock.first_response_at or at,
        )
    if isinstance(event, ComplaintReopened):
        return replace(clock, resolved_at=None, waiting=False, running_since=at)
    if isinstance(event, SlaWarningRaised | SlaBreached):
        kind = "warning" if isinstance(event, SlaWarningRaised) else "breach"
        return replace(clock, raised=clock.raised | {(event.policy_id, event.target, kind)})
    return clock


def fold(events: Iterable[Event]) -> SlaClock | None:
    clock: SlaClock | None = None
    for event in events:
        clock = step(clock, event)
    return clock


@dataclass(frozen=True)
class TargetStatus:
    target: timedelta
    due_at: datetime | None  # None while paused (the remaining time is then fixed)
    warn_at: datetime | None
    met_at: datetime | None
    remaining: timedelta  # business time left at the last event (negative when late)

    @property
    def paused(self) -> bool:
        return self.due_at is None and self.met_at is None

    def breached(self, now: datetime) -> bool:
        if self.met_at is not None:
            return self.due_at is not None and self.met_at > self.due_at
        return self.due_at is not None and self.due_at <= now


@dataclass(frozen=True)
class SlaStatus:
    first_response: TargetStatus
    resolution: TargetStatus

    def of(self, which: SlaTarget) -> TargetStatus:
        return self.first_response if which == "first_response" else self.resolution


def _instant(
    calendar: BusinessCalendar,
    spent: Iterable[tuple[datetime, datetime]],
    running_since: datetime | None,
    amount: timedelta,
) -> datetime | None:
    """When the clock's running time reached `amount`, or will; None while stopped short."""
    left = amount
    for begin, end in spent:
        length = calendar.between(begin, end)
        if left <= length:
            return calendar.add(begin, left)
        left -= length
    if running_since is None:
        return None
    return calendar.add(running_since, left)


def evaluate(clock: SlaClock, policy: SlaPolicy) -> SlaStatus:
    calendar = policy.calendar
    fr_target = policy.target(clock.priority, "first_response")
    fr_due = calendar.add(clock.opened_at, fr_target)
    fr_used = calendar.between(clock.opened_at, clock.first_response_at or clock.opened_at)
    first = TargetStatus(
        target=fr_target,
        due_at=fr_due,
        warn_at=calendar.add(clock.opened_at, fr_target * policy.warning_ratio),
        met_at=clock.first_response_at,
        remaining=fr_target - fr_used,
    )
    res_target = policy.target(clock.priority, "resolution")
    # A resolved case's due time is where its spent time crossed the target (if it did).
    running = clock.running_since
    due = _instant(calendar, clock.spent, running, res_target)
    used = sum((calendar.between(a, b) for a, b in clock.spent), timedelta(0))
    met = clock.resolved_at
    if met is not None and due is None:
        due = calendar.add(met, res_target - used)  # on time: the target lay beyond
    warn = _instant(calendar, clock.spent, running, res_target * policy.warning_ratio)
    resolution = TargetStatus(
        target=res_target, due_at=due, warn_at=warn, met_at=met, remaining=res_target - used
    )
    return SlaStatus(first, resolution)


@dataclass(frozen=True)
class DueSlaEvent:
    kind: str  # "warning" or "breach"
    target: SlaTarget
    at: datetime  # when it became due (the event's occurred_at)
    due_at: datetime


def due_events(clock: SlaClock, policy: SlaPolicy, now: datetime) -> list[DueSlaEvent]:
    """Warnings and breaches due by `now` that are not yet recorded under this policy.

    Breaches also cover targets met late (resolved after the due time), so a
    breach event exists for every missed target, however late it is noticed.
    Warnings are only for targets still pending: they are alerts, not history.
    """
    status = evaluate(clock, policy)
    pid = policy.policy_id
    found: list[DueSlaEvent] = []
    for which in TARGETS:
        target = status.of(which)
        if target.due_at is None:
            continue
        pending = target.met_at is None
        if (
            pending
            and target.warn_at is not None
            and target.warn_at <= now
            and (pid, which, "warning") not in clock.raised
            and (pid, which, "breach") not in clock.raised
        ):
            found.append(DueSlaEvent("warning", which, target.warn_at, target.due_at))
        if target.breached(now) and (pid, which, "breach") not in clock.raised:
            found.append(DueSlaEvent("breach", which, target.due_at, target.due_at))
    return sorted(found, key=lambda d: (d.at, d.kind != "warning"))


def next_due(clock: SlaClock, policy: SlaPolicy) -> datetime | None:
    """The next instant at which `due_events` could find something (for the scheduler)."""
    status = evaluate(clock, policy)
    pid = policy.policy_id
    candidates: list[datetime] = []
    for which in TARGETS:
        target = status.of(which)
        if target.met_at is not None or target.due_at is None:
            continue
        if (pid, which, "breach") in clock.raised:
            continue
        if target.warn_at is not None and (pid, which, "warning") not in clock.raised:
            candidates.append(target.warn_at)
        candidates.append(target.due_at)
    return min(candidates, default=None)


def sla_event(
    due: DueSlaEvent,
    *,
    complaint_id: UUID,
    customer_id: UUID | None,
    version: int,
    policy_id: str,
    recorded_at: datetime,
) -> Event:
    """The event for a due warning or breach; its id is fixed by case, policy,
    target and kind, so a restarted scheduler cannot raise it twice."""
    cls = SlaWarningRaised if due.kind == "warning" else SlaBreached
    return cls(
        event_id=provider_event_id(
            "contacthub", "sla", str(complaint_id), policy_id, due.target, due.kind
        ),
        originator_id=complaint_id,
        originator_version=version,
        customer_id=customer_id,
        occurred_at=due.at,
        recorded_at=recorded_at,
        target=due.target,
        due_at=due.due_at,
        policy_id=policy_id,
    )


def sla_state(clock: SlaClock, policy: SlaPolicy, *, active: bool) -> str:
    """One word for queues and filters: breached, warning, paused, ok (active
    cases) or met (finished ones)."""
    pid = policy.policy_id
    kinds = {kind for p, _, kind in clock.raised if p == pid}
    if "breach" in kinds:
        return "breached"
    if not active:
        return "met"
    if clock.waiting:
        return "paused"
    return "warning" if "warning" in kinds else "ok"
