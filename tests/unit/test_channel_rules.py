"""Pure rules of the voice, letter and consent channels."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest

from domain.calls import decide_call_update, fold
from domain.consent import ContactRefused, QuietHours, check_contact
from domain.letters import normalise_postal, window_lines
from events import CallReceived, CallStatus, CallStatusChanged, ConsentChanged, provider_event_id

AT = datetime(2025, 3, 4, 12, 0, tzinfo=UTC)


def test_quiet_hours_span_midnight_in_local_time() -> None:
    quiet = QuietHours.parse("20:00-08:00", "Europe/Berlin")
    assert quiet is not None
    assert quiet.contains(datetime(2025, 3, 4, 19, 30, tzinfo=UTC))  # 20:30 in Berlin
    assert quiet.contains(datetime(2025, 7, 4, 5, 30, tzinfo=UTC))  # 07:30 summer time
    assert not quiet.contains(datetime(2025, 7, 4, 6, 30, tzinfo=UTC))  # 08:30
    assert not quiet.contains(datetime(2025, 3, 4, 12, 0, tzinfo=UTC))
    assert QuietHours.parse("", "Europe/Berlin") is None
    with pytest.raises(ValueError, match="20:00-08:00"):
        QuietHours.parse("8pm to 8am", "Europe/Berlin")


def test_the_latest_consent_decides_and_letters_ignore_quiet_hours() -> None:
    customer = uuid4()

    def consent(granted: bool, version: int) -> ConsentChanged:
        return ConsentChanged(
            event_id=uuid4(),
            originator_id=customer,
            originator_version=version,
            customer_id=customer,
            occurred_at=AT,
            channel="sms",
            granted=granted,
        )

    with pytest.raises(ContactRefused, match="opted out of sms"):
        check_contact([consent(True, 1), consent(False, 2)], "sms", AT, None)
    check_contact([consent(False, 1), consent(True, 2)], "sms", AT, None)
    always = QuietHours.parse("00:00-23:59", "Europe/Berlin")
    with pytest.raises(ContactRefused, match="quiet hours"):
        check_contact([], "voice", AT, always)
    check_contact([], "letter", AT, always)


def test_call_statuses_only_move_forward() -> None:
    sid = "CA" + "a" * 32
    call_id = provider_event_id("twilio", "call", sid)
    received = CallReceived(
        event_id=call_id,
        originator_id=call_id,
        customer_id=uuid4(),
        occurred_at=AT,
        provider_call_id=sid,
        from_address="+4917612345678",
        to_address="+4930901820",
        address_key="k",
    )

    def status(value: CallStatus) -> CallStatusChanged:
        return CallStatusChanged(
            event_id=provider_event_id("twilio", "call-status", sid, value),
            originator_id=call_id,
            occurred_at=AT,
            status=value,
            provider_call_id=sid,
        )

    history = [received]
    for value in (CallStatus.COMPLETED, CallStatus.RINGING, CallStatus.COMPLETED, CallStatus.BUSY):
        history += decide_call_update(fold(history), status(value))
    state = fold(history)
    assert state is not None and state.status == CallStatus.COMPLETED
    assert [e.type for e in history] == ["CallReceived", "CallStatusChanged"]


def test_postal_senders_match_across_spellings_and_window_lines_follow_din_5008() -> None:
    assert normalise_postal("Jürgen Groß", "Lindenstraße 3", "10 969", "Berlin", "de") == (
        normalise_postal("jürgen  gross", "Lindenstr. 3", "10969", "BERLIN", "DE")
    )
    assert normalise_postal("A", "B 1", "1", "C", "DE") != normalise_postal(
        "A", "B 2", "1", "C", "DE"
    )
    assert window_lines("Jan Berg", "Am Markt 1", "", "20095", "Hamburg", "DE") == (
        "Jan Berg",
        "Am Markt 1",
        "20095 Hamburg",
    )
    assert window_lines("Eva Roth", "Rue X 2", "c/o Meier", "75001", "Paris", "fr")[-2:] == (
        "75001 Paris",
        "FR",
    )
