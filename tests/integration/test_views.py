"""One suite for every implementation of the read models (SQLite, PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import IntegrityError

from domain.contacts import plan_inbound
from events import (
    ChannelAddressLinked,
    Event,
    SmsReceived,
    SmsStatus,
    SmsStatusChanged,
    provider_event_id,
)
from services.infra.settings import Settings
from services.wiring.hub import Views, open_views

T0 = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


@pytest.fixture
def views(tmp_path: Path, database_url: str | None) -> Iterator[Views]:
    yield open_views(
        Settings(data_dir=tmp_path, database_url=database_url, _env_file=None)  # type: ignore[call-arg]
    )


def history(n: int, customer: UUID | None = None) -> tuple[UUID, list[Event]]:
    """A customer's first contact and n-1 more messages, a minute apart."""
    events: list[Event] = []
    for i in range(n):
        sid = f"SM{i:032x}"
        eid = provider_event_id("twilio", "message", sid)
        message = SmsReceived(
            event_id=eid,
            originator_id=eid,
            occurred_at=T0 + timedelta(minutes=i),
            provider_message_id=sid,
            from_address="+4917611112222",
            to_address="+4930901820",
            address_key="key-1",
            body=f"Nachricht {i}",
        )
        plan = plan_inbound(message, claimed_by=customer, already_recorded=False, now=T0)
        assert plan is not None
        customer = plan.customer_id
        events += plan.events
    assert customer is not None
    return customer, events


def project(views: Views, events: list[Event], start: int = 0) -> int:
    for view in views.all:
        view.process_batch(events, start + len(events))
    return start + len(events)


def test_the_360_counts_and_pages_the_timeline_newest_first(views: Views) -> None:
    customer, events = history(7)
    project(views, events)
    c360 = views.customer360
    row = c360.customer(customer)
    assert row is not None and row["interaction_count"] == 7
    assert row["last_contact_at"] == (T0 + timedelta(minutes=6)).isoformat(timespec="microseconds")
    assert c360.channel_counts(customer) == [{"channel": "sms", "direction": "inbound", "count": 7}]
    page1 = c360.timeline(customer, 3)
    page2 = c360.timeline(customer, 3, (page1[-1]["occurred_at"], page1[-1]["interaction_id"]))
    page3 = c360.timeline(customer, 3, (page2[-1]["occurred_at"], page2[-1]["interaction_id"]))
    bodies = [r["summary"] for r in page1 + page2 + page3]
    assert bodies == [f"Nachricht {i}" for i in range(6, -1, -1)]


def test_search_finds_by_number_and_by_part_of_it(views: Views) -> None:
    customer, events = history(1)
    project(views, events)
    by_number = views.customer360.search("+4917611112222", "+4917611112222", 10)
    by_part = views.customer360.search("11112222", None, 10)
    assert [r["customer_id"] for r in by_number] == [str(customer)]
    assert [r["customer_id"] for r in by_part] == [str(customer)]
    assert views.customer360.search("nobody", None, 10) == []
    assert views.identity.customer_for("sms", "+4917611112222") == customer


def test_status_updates_only_move_forward(views: Views) -> None:
    customer, events = history(1)
    interaction = events[-1].originator_id
    changes: list[Event] = [
        SmsStatusChanged(
            event_id=provider_event_id("t", status.value),
            originator_id=interaction,
            originator_version=2 + i,
            customer_id=customer,
            occurred_at=T0,
            status=status,
        )
        for i, status in enumerate([SmsStatus.DELIVERED, SmsStatus.SENT])
    ]
    project(views, events + changes)
    row = views.customer360.interaction(interaction)
    assert row is not None and row["status"] == "delivered"


def test_rows_and_position_commit_together(views: Views) -> None:
    _, events = history(2)
    position = project(views, events[:4])
    c360 = views.customer360
    before = c360.checksum()
    # A stale batch (position not beyond the tracked one) is refused whole.
    with pytest.raises(IntegrityError):
        c360.process_batch(events[4:], position)
    assert c360.checksum() == before
    assert c360.position() == position


def test_drop_and_rebuild_gives_the_same_checksum(views: Views) -> None:
    _, events = history(5)
    project(views, events)
    live = {v.name: v.checksum() for v in views.all}
    for view in views.all:
        view.drop()
        assert view.position() == 0
    project(views, events)
    assert {v.name: v.checksum() for v in views.all} == live


def index_names(views: Views) -> set[str]:
    """The secondary indexes the read models' tables carry now."""
    tables = [table for view in views.all for table in view.tables]
    db = views.customer360.db
    if db.dialect == "sqlite":
        rows = db.query("SELECT name FROM sqlite_master WHERE type = 'index'")
    else:
        rows = db.query(
            "SELECT indexname AS name FROM pg_indexes WHERE tablename = ANY(%(t)s)", {"t": tables}
        )
    return {
        r["name"]
        for r in rows
        if not r["name"].startswith(("sqlite_autoindex", "c360_timeline_pkey"))
    }


def test_a_deferred_rebuild_builds_the_indexes_last_and_equals_the_live_run(views: Views) -> None:
    _, events = history(5)
    project(views, events)
    live = {v.name: v.checksum() for v in views.all}
    indexes = index_names(views)
    assert {"c360_timeline_page", "identity_addresses_address", "complaint_cases_queue"} <= indexes
    for view in views.all:
        view.drop(defer_indexes=True)
    # While the rows load, only the unique indexes (the model's keys) exist.
    loading = index_names(views)
    assert "c360_timeline_page" not in loading and "complaint_cases_number" in loading
    project(views, events)
    for view in views.all:
        view.create_indexes()
    assert index_names(views) == indexes
    assert {v.name: v.checksum() for v in views.all} == live


def test_an_address_linked_twice_in_one_batch_equals_one_by_one(
    tmp_path: Path, database_url: str | None
) -> None:
    """The identity view writes a batch in one statement; the result must be what
    event-by-event projection gives: the first linked_at, the last owner."""
    first, second = uuid4(), uuid4()
    links = [
        ChannelAddressLinked(
            event_id=uuid4(),
            originator_id=owner,
            originator_version=2,
            customer_id=owner,
            occurred_at=T0 + timedelta(minutes=n),
            channel="sms",
            address="+4917611112222",
            address_key="key-1",
        )
        for n, owner in enumerate([first, second])
    ]
    results = []
    for name, batches in (("together", [links]), ("apart", [[links[0]], [links[1]]])):
        views = open_views(
            Settings(data_dir=tmp_path / name, database_url=database_url, _env_file=None)  # type: ignore[call-arg]
        )
        for view in views.all:  # a database per test: drop what the other loop wrote
            view.drop()
        for position, batch in enumerate(batches, start=1):
            views.identity.process_batch(batch, position)
        results.append(views.identity.db.query("SELECT * FROM identity_addresses"))
    assert results[0] == results[1]
    assert results[0][0]["customer_id"] == str(second)
    assert results[0][0]["linked_at"] == T0.isoformat()
