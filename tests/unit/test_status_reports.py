"""Providers' status reports applied the one way every channel applies them
(domain/status_reports.py): forward only, and recorded once."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

from domain.letters import letter_status_rank
from domain.status_reports import later_status, recorded_report
from events import LetterStatus, LetterStatusChanged

AT = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def test_a_status_moves_forward_only() -> None:
    rank = letter_status_rank
    assert later_status(LetterStatus.SUBMITTED, LetterStatus.POSTED, rank) == LetterStatus.POSTED
    assert later_status(LetterStatus.POSTED, LetterStatus.PRINTED, rank) == LetterStatus.POSTED
    # Equal ranks are alternative final outcomes: the first one stays.
    assert later_status(LetterStatus.FAILED, LetterStatus.RETURNED, rank) == LetterStatus.FAILED


def report() -> LetterStatusChanged:
    return LetterStatusChanged(
        event_id=uuid4(), originator_id=uuid4(), occurred_at=AT, status=LetterStatus.POSTED
    )


def test_a_new_report_that_changes_something_is_the_next_event_of_the_customer() -> None:
    customer = uuid4()
    [recorded] = recorded_report(
        report(), seen=frozenset(), changes=True, customer_id=customer, version=3
    )
    assert (recorded.customer_id, recorded.originator_version) == (customer, 4)
    assert recorded.status == LetterStatus.POSTED


def test_a_repeated_report_or_one_that_changes_nothing_records_nothing() -> None:
    again = report()
    customer = uuid4()
    seen = frozenset({again.event_id})
    fresh = report()
    assert recorded_report(again, seen=seen, changes=True, customer_id=customer, version=3) == []
    assert recorded_report(fresh, seen=seen, changes=False, customer_id=customer, version=3) == []
