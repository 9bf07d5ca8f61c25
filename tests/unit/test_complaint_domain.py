"""The complaint lifecycle and the intake rules, as pure functions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from domain import complaints
from domain.complaint_intake import (
    DEFAULT_RULES,
    NewCase,
    guess_language,
    match_rules,
    open_case,
    route_inbound,
)
from domain.complaints import IllegalTransition, Stamp
from events import CaseNumberAssigned, ComplaintOpened, Event, case_counter_id

T0 = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)
CUSTOMER = UUID("00000000-0000-0000-0000-0000000000a1")


def stamp(minutes: int = 0) -> Stamp:
    when = T0 + timedelta(minutes=minutes)
    return Stamp(event_id=uuid4(), occurred_at=when, recorded_at=when)


def new_case() -> tuple[list[Event], complaints.ComplaintState]:
    opened = open_case(
        NewCase(complaint_id=uuid4(), customer_id=CUSTOMER, queue="complaints", opened_by="a"),
        stamp(),
        counter_version=122,
    )
    state = complaints.fold(opened[1:])
    assert state is not None
    return opened, state


def test_opening_takes_the_next_case_number_of_the_year() -> None:
    opened, state = new_case()
    number, case = opened
    assert isinstance(number, CaseNumberAssigned) and isinstance(case, ComplaintOpened)
    assert number.originator_id == case_counter_id(2026) and number.originator_version == 123
    assert case.case_number == number.case_number == "R-2026-000123"
    assert state.state == "new" and state.version == 1


def test_lifecycle_and_illegal_transitions() -> None:
    opened, state = new_case()
    history: list[Event] = opened[1:]

    def do(events: list[Event]) -> complaints.ComplaintState:
        history.extend(events)
        folded = complaints.fold(history)
        assert folded is not None
        return folded

    state = do(complaints.claim(state, stamp(1), agent="anna"))
    assert state.assignee == "anna" and state.state == "assigned"
    assert complaints.claim(state, stamp(2), agent="anna") == []  # again: nothing new
    with pytest.raises(IllegalTransition, match="already claimed by anna"):
        complaints.claim(state, stamp(2), agent="ben")
    with pytest.raises(IllegalTransition, match="not resolved"):
        complaints.reopen(state, stamp(2), by="anna")
    with pytest.raises(IllegalTransition, match="must be resolved"):
        complaints.close(state, stamp(2), by="anna")

    state = do(complaints.escalate(state, stamp(3), to_queue="escalations", reason="x", by="anna"))
    assert state.queue == "escalations" and state.assignee is None and state.escalations == 1
    state = do(complaints.resolve(state, stamp(4), resolution="replaced", by="sue"))
    assert state.state == "resolved"
    with pytest.raises(IllegalTransition, match="already resolved"):
        complaints.resolve(state, stamp(5), resolution="", by="sue")
    with pytest.raises(IllegalTransition, match="reopen it"):
        complaints.claim(state, stamp(5), agent="ben")
    state = do(complaints.reopen(state, stamp(5), by="sue"))
    assert state.state == "new" and state.reopens == 1
    state = do(complaints.resolve(state, stamp(6), resolution="", by="sue"))
    state = do(complaints.close(state, stamp(7), by="sue"))
    with pytest.raises(IllegalTransition, match="closed cases are not reopened"):
        complaints.reopen(state, stamp(8), by="sue")
    assert [e.originator_version for e in history] == list(range(1, len(history) + 1))


def test_rules_match_word_beginnings_in_german_and_english() -> None:
    match = match_rules("Ich möchte das defekte Gerät reklamieren", DEFAULT_RULES)
    assert match is not None and match.rule.queue == "complaints"
    assert match.keywords == ("defekt", "reklam")
    refund = match_rules("I want a REFUND now", DEFAULT_RULES)
    assert refund is not None and refund.rule.queue == "refunds"
    assert match_rules("Wann kommt meine Bestellung?", DEFAULT_RULES) is None
    assert match_rules("unbroken chain", DEFAULT_RULES) is None  # not a word beginning
    assert guess_language("Ich möchte das defekte Gerät reklamieren") == "de"
    assert guess_language("My kettle is broken, I want a refund") == "en"


def route(cases: list[complaints.ComplaintState], text: str, minutes: int = 10) -> object:
    return route_inbound(
        complaint_id=uuid4(),
        customer_id=CUSTOMER,
        interaction_id=uuid4(),
        channel="sms",
        text=text,
        occurred_at=T0 + timedelta(minutes=minutes),
        cases=cases,
        rules=DEFAULT_RULES,
        reopen_window=timedelta(days=14),
        stamp=stamp(minutes),
    )


def test_follow_ups_join_and_replies_reopen() -> None:
    opened, state = new_case()
    joined = route([state], "Noch eine Frage")
    assert joined.case == state and [e.type for e in joined.events] == ["CustomerReplied"]  # type: ignore[attr-defined]

    resolved = complaints.fold(
        [*opened[1:], *complaints.resolve(state, stamp(5), resolution="", by="a")]
    )
    assert resolved is not None
    reopened = route([resolved], "Danke, aber es geht wieder nicht")
    assert [e.type for e in reopened.events] == ["ComplaintReopened", "CustomerReplied"]  # type: ignore[attr-defined]

    too_late = route([resolved], "Hallo", minutes=60 * 24 * 15)
    assert too_late.case is None and too_late.new_case is None  # type: ignore[attr-defined]
    fresh = route([resolved], "Gerät wieder kaputt", minutes=60 * 24 * 15)
    assert fresh.new_case is not None and fresh.new_case.category == "defect"  # type: ignore[attr-defined]


def test_outbound_messages_by_agents_are_recognised_whatever_the_channel() -> None:
    from domain.complaint_intake import message_text, outbound_by_agent
    from events import SmsReceived, SmsSent

    sent = SmsSent(
        event_id=uuid4(),
        originator_id=uuid4(),
        customer_id=CUSTOMER,
        occurred_at=T0,
        to_address="+4917612345678",
        from_address="+4930901820",
        body="Hallo",
        sent_by="anna",
    )
    assert outbound_by_agent(sent) == ("sms", "anna")
    assert outbound_by_agent(sent.model_copy(update={"sent_by": None})) is None
    received = SmsReceived(
        event_id=uuid4(),
        originator_id=uuid4(),
        occurred_at=T0,
        provider_message_id="SM1",
        from_address="+4917612345678",
        to_address="+4930901820",
        address_key="k",
        body="Gerät kaputt",
    )
    assert outbound_by_agent(received) is None
    assert message_text(received) == "Gerät kaputt"
