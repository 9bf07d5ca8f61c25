"""SLA arithmetic with hand-computed due times: weekends, holidays, pauses, DST."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import pytest

from domain import sla
from domain.calendar import CalendarError, business_calendar, parse_workdays
from events import (
    AgentReplied,
    ComplaintAwaitingCustomer,
    ComplaintOpened,
    ComplaintReopened,
    ComplaintResolved,
    CustomerReplied,
    Event,
    SlaBreached,
)

BERLIN = ZoneInfo("Europe/Berlin")
CASE = UUID("00000000-0000-0000-0000-0000000000c1")
CUSTOMER = UUID("00000000-0000-0000-0000-0000000000a1")
CALENDAR = business_calendar(hours="08:00-18:00", workdays="mon-fri", holiday_region="DE")
POLICY = sla.SlaPolicy(targets=sla.DEFAULT_TARGETS, warning_ratio=0.8, calendar=CALENDAR)


def at(day: int, hour: int, minute: int = 0, month: int = 4) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=BERLIN)


def ev(cls: type[Event], when: datetime, version: int, **fields: object) -> Event:
    return cls(
        event_id=uuid4(),
        originator_id=CASE,
        originator_version=version,
        customer_id=CUSTOMER,
        occurred_at=when,
        **fields,
    )


def opened(when: datetime, priority: str = "normal") -> Event:
    return ev(
        ComplaintOpened,
        when,
        1,
        case_number="R-2026-000001",
        queue="q",
        opened_by="t",
        priority=priority,
    )


def test_calendar_skips_weekend_and_may_day() -> None:
    # Thursday 30 April 16:00; Friday 1 May is Labour Day; then the weekend.
    assert CALENDAR.add(at(30, 16), timedelta(hours=2)) == at(30, 18)
    assert CALENDAR.add(at(30, 16), timedelta(hours=4)) == at(4, 10, month=5)
    assert CALENDAR.between(at(30, 16), at(4, 10, month=5)) == timedelta(hours=4)
    # Starting on a Saturday night counts from Monday's opening.
    assert CALENDAR.add(at(2, 23, month=5), timedelta(hours=1)) == at(4, 9, month=5)


def test_calendar_over_easter_and_daylight_saving() -> None:
    # Thursday 2 April 17:00 + 3 h: Good Friday, weekend, Easter Monday -> Tuesday 10:00.
    assert CALENDAR.add(at(2, 17), timedelta(hours=3)) == at(7, 10)
    # Friday 27 March 17:00 + 2 h crosses the switch to summer time on Sunday 29 March.
    assert CALENDAR.add(at(27, 17, month=3), timedelta(hours=2)) == at(30, 9, month=3)


def test_bad_calendar_definitions_are_refused() -> None:
    with pytest.raises(CalendarError):
        parse_workdays("mon,funday")
    with pytest.raises(CalendarError):
        business_calendar(hours="18:00-08:00")
    with pytest.raises(CalendarError):
        business_calendar(holiday_region="XX")
    assert parse_workdays("mon-wed,fri") == frozenset({0, 1, 2, 4})


def test_due_times_across_weekend_and_holiday_with_a_pause() -> None:
    events = [opened(at(30, 16))]
    status = sla.evaluate(sla.fold(events), POLICY)  # type: ignore[arg-type]
    # First response 4 h: Thu 16-18 (2 h), Mon 4 May 08-10 (2 h).
    assert status.first_response.due_at == at(4, 10, month=5)
    assert status.first_response.warn_at == at(4, 9, 12, month=5)  # 3.2 h
    # Resolution 16 h: Thu 2 h, Mon 10 h, Tue 4 h -> Tuesday 12:00.
    assert status.resolution.due_at == at(5, 12, month=5)

    # Monday 09:00 the agent answers and waits for the customer (3 h used);
    # the customer answers on Tuesday 09:00: 13 h left -> Tue 9 h, Wed 4 h.
    events += [
        ev(AgentReplied, at(4, 9, month=5), 2, channel="sms", agent="a"),
        ev(ComplaintAwaitingCustomer, at(4, 9, month=5), 3, by="a"),
    ]
    paused = sla.evaluate(sla.fold(events), POLICY)  # type: ignore[arg-type]
    assert paused.first_response.met_at == at(4, 9, month=5)
    assert not paused.first_response.breached(at(6, 12, month=5))
    assert paused.resolution.paused and paused.resolution.remaining == timedelta(hours=13)
    assert sla.due_events(sla.fold(events), POLICY, at(30, 12, month=5)) == []  # type: ignore[arg-type]

    events.append(ev(CustomerReplied, at(5, 9, month=5), 4, interaction_id=uuid4(), channel="sms"))
    resumed = sla.evaluate(sla.fold(events), POLICY)  # type: ignore[arg-type]
    assert resumed.resolution.due_at == at(6, 12, month=5)
    # 80 % of 16 h = 12.8 h: 3 h + Tue 9 h = 12 h, then 0.8 h on Wednesday.
    assert resumed.resolution.warn_at == at(6, 8, 48, month=5)

    clock = sla.fold(events)
    assert clock is not None
    due = sla.due_events(clock, POLICY, at(6, 12, month=5))
    assert [(d.kind, d.target, d.at) for d in due] == [
        ("warning", "resolution", at(6, 8, 48, month=5)),
        ("breach", "resolution", at(6, 12, month=5)),
    ]
    assert sla.next_due(clock, POLICY) == at(6, 8, 48, month=5)


def test_late_resolution_is_a_breach_and_raised_events_are_not_repeated() -> None:
    events = [opened(at(30, 16), priority="urgent")]  # 1 h / 4 h
    events.append(ev(ComplaintResolved, at(5, 9, month=5), 2, by="a"))
    clock = sla.fold(events)
    assert clock is not None
    status = sla.evaluate(clock, POLICY)
    assert status.first_response.due_at == at(30, 17)
    assert status.resolution.due_at == at(4, 10, month=5)  # Thu 2 h + Mon 2 h
    due = sla.due_events(clock, POLICY, at(5, 9, month=5))
    # Met late: breaches, but no warnings for targets already met.
    assert [(d.kind, d.target) for d in due] == [
        ("breach", "first_response"),
        ("breach", "resolution"),
    ]
    raised = [
        ev(SlaBreached, d.at, 3 + i, target=d.target, due_at=d.due_at, policy_id=POLICY.policy_id)
        for i, d in enumerate(due)
    ]
    after = sla.fold(events + raised)
    assert after is not None
    assert sla.due_events(after, POLICY, at(30, 12, month=5)) == []
    # A different policy is evaluated afresh over the same history.
    lenient = sla.SlaPolicy(
        targets={
            "urgent": {"first_response": 40, "resolution": 40},
            "normal": {"first_response": 40, "resolution": 40},
        },
        calendar=CALENDAR,
    )
    assert lenient.policy_id != POLICY.policy_id
    assert sla.due_events(after, lenient, at(30, 12, month=5)) == []


def test_reopened_case_resumes_its_resolution_clock() -> None:
    events = [
        opened(at(4, 8, month=5)),
        ev(ComplaintResolved, at(4, 12, month=5), 2, by="a"),  # 4 h used
        ev(ComplaintReopened, at(5, 8, month=5), 3, by="customer"),
    ]
    status = sla.evaluate(sla.fold(events), POLICY)  # type: ignore[arg-type]
    assert status.resolution.met_at is None
    # 12 h left from Tue 08:00: Tue 10 h, Wed 2 h.
    assert status.resolution.due_at == at(6, 10, month=5)


def test_clock_round_trips_through_json() -> None:
    events = [
        opened(at(30, 16)),
        ev(ComplaintAwaitingCustomer, at(4, 9, month=5), 2, by="a"),
    ]
    clock = sla.fold(events)
    assert clock is not None
    assert sla.SlaClock.from_json(clock.to_json()) == clock
