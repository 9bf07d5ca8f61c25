"""The pure decisions of opportunities and appointments, against values worked
out by hand: the pipeline report's conversion and time in stage, which
opportunity an order wins, when a reminder is owed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from domain import appointments, knowledge, opportunities
from domain.appointments import InvalidAppointmentTimes, NewAppointment
from domain.opportunities import (
    IllegalStageChange,
    NewOpportunity,
    OpportunityRow,
    Pipeline,
    StageVisit,
)
from events import AppointmentReminderSent, Event

T0 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)
PIPELINE = Pipeline()
CUSTOMER = UUID("00000000-0000-0000-0000-0000000000c1")


def opened(value: int = 1000, stage: str | None = None) -> list[Event]:
    new = NewOpportunity(uuid4(), CUSTOMER, "Heat pump", value, "EUR", "anna", None, (), stage)
    return [opportunities.open_opportunity(new, PIPELINE, by="anna", event_id=uuid4(), now=T0)]


def moved(history: list[Event], stage: str, at: datetime, reason: str = "") -> list[Event]:
    state = opportunities.fold(history)
    return history + opportunities.move(
        state, stage, PIPELINE, by="anna", event_id=uuid4(), now=at, reason=reason
    )


def test_the_report_counts_conversion_through_skipped_stages_and_time_in_stage() -> None:
    rows = [
        OpportunityRow("a", "won", 500_00, "EUR", "order"),
        OpportunityRow("b", "lost", 200_00, "EUR", "price"),
        OpportunityRow("c", "new", 100_00, "EUR", ""),
    ]
    visits = [
        StageVisit("a", "new", T0, T0 + DAY),
        StageVisit("a", "qualified", T0 + DAY, T0 + 3 * DAY),
        # a skips proposal: it still passed through it on the way to negotiation
        StageVisit("a", "negotiation", T0 + 3 * DAY, T0 + 6 * DAY),
        StageVisit("a", "won", T0 + 6 * DAY, None),
        StageVisit("b", "new", T0, T0 + 2 * DAY),
        StageVisit("b", "qualified", T0 + 2 * DAY, T0 + 5 * DAY),
        StageVisit("b", "lost", T0 + 5 * DAY, None),
        StageVisit("c", "new", T0 + DAY, None),
    ]
    report = opportunities.pipeline_report(PIPELINE, rows, visits, T0 + 7 * DAY)
    by = {f.stage: f for f in report.stages}
    assert [f.stage for f in report.stages] == list(PIPELINE.stages)
    assert (by["new"].reached, by["new"].converted_to_next) == (3, 2)
    assert by["new"].conversion_rate == pytest.approx(2 / 3)
    assert (by["qualified"].reached, by["qualified"].converted_to_next) == (2, 1)
    assert (by["proposal"].reached, by["proposal"].converted_to_next) == (1, 1)
    assert (by["negotiation"].reached, by["negotiation"].converted_to_next) == (1, 1)
    # new: a 1 day, b 2 days, c still there for 6 days
    assert by["new"].mean_seconds_in_stage == pytest.approx(3 * 86400)
    assert by["qualified"].mean_seconds_in_stage == pytest.approx(2.5 * 86400)
    assert by["proposal"].mean_seconds_in_stage is None
    assert (by["new"].count, by["new"].value_minor) == (1, {"EUR": 100_00})
    assert (by["won"].count, by["won"].value_minor) == (1, {"EUR": 500_00})
    assert report.won_by_reason == {"order": 1}
    assert report.lost_by_reason == {"price": 1}
    assert report.win_rate == 0.5


def test_values_in_different_currencies_are_never_added() -> None:
    rows = [
        OpportunityRow("a", "new", 100, "EUR", ""),
        OpportunityRow("b", "new", 300, "CHF", ""),
        OpportunityRow("c", "new", 50, "EUR", ""),
    ]
    report = opportunities.pipeline_report(PIPELINE, rows, [], T0)
    assert report.stages[0].value_minor == {"EUR": 150, "CHF": 300}


def test_a_closed_opportunity_moves_no_more_and_lost_needs_a_reason() -> None:
    history = moved(opened(), "qualified", T0 + DAY)
    with pytest.raises(IllegalStageChange, match="reason"):
        moved(history, "lost", T0 + 2 * DAY)
    with pytest.raises(IllegalStageChange, match="unknown stage"):
        moved(history, "signed", T0 + 2 * DAY)
    history = moved(history, "won", T0 + 2 * DAY, "order")
    with pytest.raises(IllegalStageChange, match="won"):
        moved(history, "negotiation", T0 + 3 * DAY)
    assert moved(history, "won", T0 + 3 * DAY) == history  # the same stage again: nothing


def test_an_order_wins_the_opportunity_furthest_along_once() -> None:
    early = opportunities.fold(opened(value=9_000_00))
    late = opportunities.fold(moved(opened(value=100_00), "negotiation", T0 + DAY))
    assert early is not None and late is not None
    [won] = opportunities.close_by_order(
        [early, late], PIPELINE, order_id="SO-1", event_id=uuid4(), now=T0 + 2 * DAY
    )
    assert won.originator_id == late.opportunity_id
    assert (won.to_stage, won.order_id) == ("won", "SO-1")  # type: ignore[attr-defined]
    assert (
        opportunities.close_by_order([], PIPELINE, order_id="SO-2", event_id=uuid4(), now=T0) == []
    )


def test_a_pipeline_configuration_always_closes_with_won_and_lost() -> None:
    assert Pipeline.parse("lead, demo ,offer").stages == ("lead", "demo", "offer", "won", "lost")
    with pytest.raises(IllegalStageChange):
        opened(stage="won")


def appointment(lead_minutes: int = 60) -> list[Event]:
    new = NewAppointment(
        uuid4(),
        CUSTOMER,
        "anna",
        T0 + DAY,
        T0 + DAY + timedelta(hours=1),
        "Europe/Berlin",
        "visit",
        "Hauptstr. 1",
        "sms",
        lead_minutes,
    )
    return [appointments.schedule(new, by="anna", event_id=uuid4(), now=T0)]


def test_a_reminder_is_owed_once_per_revision_of_the_schedule() -> None:
    history = appointment()
    state = appointments.fold(history)
    assert state is not None and state.reminder_at == T0 + DAY - timedelta(hours=1)
    assert not appointments.reminder_due(state, T0 + DAY - timedelta(hours=1, seconds=1))
    assert appointments.reminder_due(state, T0 + DAY - timedelta(hours=1))
    history += [
        AppointmentReminderSent(
            event_id=uuid4(),
            originator_id=state.appointment_id,
            originator_version=2,
            customer_id=CUSTOMER,
            occurred_at=T0 + DAY - timedelta(hours=1),
            sequence=0,
            channel="sms",
            interaction_id=uuid4(),
            status="queued",
        )
    ]
    sent = appointments.fold(history)
    assert sent is not None and sent.reminder_at is None
    history += appointments.reschedule(
        sent, T0 + 2 * DAY, T0 + 2 * DAY + timedelta(hours=1), by="anna", event_id=uuid4(), now=T0
    )
    again = appointments.fold(history)
    assert again is not None and again.sequence == 1
    assert again.reminder_at == T0 + 2 * DAY - timedelta(hours=1)
    history += appointments.cancel(again, by="anna", reason="", event_id=uuid4(), now=T0)
    cancelled = appointments.fold(history)
    assert cancelled is not None and cancelled.reminder_at is None


def test_times_that_make_no_appointment_are_refused() -> None:
    with pytest.raises(InvalidAppointmentTimes, match="after"):
        appointments.check_times(T0, T0, "Europe/Berlin")
    with pytest.raises(InvalidAppointmentTimes, match="time zone"):
        appointments.check_times(T0, T0 + DAY, "Mars/Olympus")


def test_the_reminder_text_is_in_the_appointments_own_time_zone() -> None:
    state = appointments.fold(appointment())
    assert state is not None
    text = appointments.reminder_text(state, "Hauptstr. 1")
    assert "2026-06-02 at 11:00 (Europe/Berlin)" in text  # 09:00 UTC is 11:00 CEST
    assert "Hauptstr. 1" in text


def test_search_words_fold_case_and_accents_and_skip_function_words() -> None:
    assert knowledge.terms("Das GERÄT für die Straße, Gerät 2026!") == ["gerat", "strasse"]


def test_suggestions_rank_title_words_double_and_need_a_match() -> None:
    candidates = [
        ("body-only", set(), {"pumpe", "wasser"}),
        ("in-title", {"pumpe"}, set()),
        ("unrelated", {"rechnung"}, set()),
    ]
    ranked = knowledge.suggest("Die Pumpe zieht kein Wasser", candidates)
    assert [(s.article_id, s.score) for s in ranked] == [("body-only", 2), ("in-title", 2)]
    assert ranked[0].matched == ("pumpe", "wasser")
    assert knowledge.suggest("", candidates) == []
