"""The customer search index (FTS5 trigram on SQLite, pg_trgm on PostgreSQL):
the same answers on both stores, rebuilt by replay like every read model."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID, uuid4

import pytest

from events import (
    ChannelAddressLinked,
    CustomerErased,
    CustomerRegistered,
    Event,
    SmsReceived,
    provider_event_id,
)
from projections.customer360.search import fold, terms
from services.infra.settings import Settings
from services.wiring.hub import Views, open_views

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def views(tmp_path: Path, database_url: str | None) -> Iterator[Views]:
    yield open_views(
        Settings(data_dir=tmp_path, database_url=database_url, _env_file=None)  # type: ignore[call-arg]
    )


class History:
    """Customers with a name, a phone number and messages, as events."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.minute = 0

    def customer(self, name: str, phone: str, *messages: str) -> UUID:
        customer = uuid4()
        self.events.append(
            CustomerRegistered(
                event_id=uuid4(),
                originator_id=customer,
                occurred_at=self.tick(),
                display_name=name,
                source_channel="sms",
            )
        )
        self.events.append(
            ChannelAddressLinked(
                event_id=uuid4(),
                originator_id=customer,
                originator_version=2,
                customer_id=customer,
                occurred_at=self.tick(),
                channel="sms",
                address=phone,
                address_key=f"key-{phone}",
            )
        )
        for text in messages:
            sid = f"SM{uuid4().hex}"
            eid = provider_event_id("twilio", "message", sid)
            self.events.append(
                SmsReceived(
                    event_id=eid,
                    originator_id=eid,
                    customer_id=customer,
                    occurred_at=self.tick(),
                    provider_message_id=sid,
                    from_address=phone,
                    to_address="+4930901820",
                    address_key=f"key-{phone}",
                    body=text,
                )
            )
        return customer

    def tick(self) -> datetime:
        self.minute += 1
        return T0 + timedelta(minutes=self.minute)


def project(views: Views, events: list[Event]) -> None:
    start = views.customer360.position()
    for view in views.all:
        view.process_batch(events, start + len(events))


def found(views: Views, text: str, phone: str | None = None, limit: int = 10) -> list[str]:
    return [r["customer_id"] for r in views.customer360.search(text, phone, limit)]


@pytest.fixture
def people(views: Views) -> dict[str, UUID]:
    h = History()
    ids = {
        "anna": h.customer("Anna Müller", "+4917611112222", "Wo bleibt meine Lieferung A-482913?"),
        "jose": h.customer("José Mueller", "+4917633334444", "Danke, alles angekommen."),
        "karl": h.customer("Karl Weiß", "+4915155556666"),
    }
    project(views, h.events)
    return ids


def test_folding_spells_umlauts_out_and_drops_accents() -> None:
    assert fold("Anna MÜLLER") == "anna mueller"
    assert fold("Weiß") == fold("WEISS") == "weiss"
    assert fold("José") == "jose"
    assert terms("  Müller   50%_ ") == ["mueller", "50"]


def test_a_word_of_a_message_finds_the_customer(views: Views, people: dict[str, UUID]) -> None:
    assert found(views, "Lieferung") == [str(people["anna"])]
    assert found(views, "a-482913") == [str(people["anna"])]
    assert found(views, "angekommen") == [str(people["jose"])]
    assert found(views, "Reklamation") == []


def test_names_fold_and_match_in_any_order(views: Views, people: dict[str, UUID]) -> None:
    both = {str(people["anna"]), str(people["jose"])}
    assert set(found(views, "Mueller")) == both
    assert set(found(views, "müller")) == both
    assert found(views, "Müller Anna") == [str(people["anna"])]
    assert found(views, "jose mueller") == [str(people["jose"])]
    assert found(views, "Weiss") == [str(people["karl"])]
    assert found(views, "Anna Weiß") == []  # every word, in one text


def test_a_phone_number_in_part_or_in_full(views: Views, people: dict[str, UUID]) -> None:
    assert found(views, "33334444") == [str(people["jose"])]
    assert found(views, "01761111", phone=None) == []  # national prefix: not a substring
    # A national format reaches the view as E.164 (the route normalises it).
    assert found(views, "0176 1111 2222", phone="+4917611112222") == [str(people["anna"])]
    assert found(views, "+4915155556666", phone="+4915155556666") == [str(people["karl"])]


def test_a_two_letter_term_still_matches(views: Views, people: dict[str, UUID]) -> None:
    # Below a trigram's three characters the index cannot help; the scan still answers.
    assert found(views, "eiß") == [str(people["karl"])]
    assert found(views, "Ka") == [str(people["karl"])]
    assert found(views, "Ka Weiß") == found(views, "weiss ka") == [str(people["karl"])]
    assert found(views, "an mueller") == [str(people["anna"])]


def test_pages_and_the_total_of_matches(views: Views) -> None:
    h = History()
    schmidts = [h.customer(f"Schmidt {n}", f"+49176900000{n:02d}", "Hallo") for n in range(5)]
    h.customer("Schneider", "+4917690000099", "Hallo")
    project(views, h.events)
    c360 = views.customer360
    first, total = c360.search_page("schmidt", None, 2)
    second, _ = c360.search_page("schmidt", None, 2, offset=2)
    third, last_total = c360.search_page("schmidt", None, 2, offset=4)
    assert total == last_total == 5
    assert [len(first), len(second), len(third)] == [2, 2, 1]
    shown = [r["customer_id"] for r in first + second + third]
    # Most recently contacted first, each once.
    assert shown == [str(c) for c in reversed(schmidts)]
    assert c360.search_page("hallo", None, 10)[1] == 6
    assert c360.search_page("", None, 100)[1] == 6  # no words: every customer


def test_an_erased_customer_is_found_no_more(views: Views, people: dict[str, UUID]) -> None:
    anna = people["anna"]
    erased = CustomerErased(
        event_id=uuid4(),
        originator_id=anna,
        originator_version=9,
        customer_id=anna,
        occurred_at=T0 + timedelta(days=1),
        reason="Art. 17",
        erased_by="admin",
    )
    project(views, [erased])
    assert found(views, "Lieferung") == []
    assert found(views, "11112222") == []
    assert found(views, "anna") == []


@pytest.mark.parametrize("deferred", [False, True], ids=["in-step", "deferred-indexes"])
def test_the_rebuilt_index_equals_the_live_one(views: Views, deferred: bool) -> None:
    h = History()
    h.customer("Anna Müller", "+4917611112222", "Wo bleibt meine Lieferung A-482913?")
    h.customer("José Mueller", "+4917633334444", "Danke, alles angekommen.")
    h.customer("Karl Weiß", "+4915155556666")
    project(views, h.events[:5])  # live: in two batches
    project(views, h.events[5:])
    c360 = views.customer360
    live = c360.table_checksums()
    queries = ("mueller", "Lieferung", "33334444", "Ka")
    answers = {q: found(views, q) for q in queries}
    for view in views.all:
        view.drop(defer_indexes=deferred)
    assert found(views, "mueller") == []  # the index went with the rows
    project(views, h.events)  # the replay: one batch
    if deferred:
        for view in views.all:
            view.create_indexes()
    assert c360.table_checksums() == live
    assert {q: found(views, q) for q in queries} == answers
    if c360.db.dialect == "sqlite":  # the FTS5 index agrees with its content table
        with c360.db.transaction(commit=True) as cursor:
            check = "INSERT INTO c360_search_fts (c360_search_fts) VALUES ('integrity-check')"
            cursor.execute(check)
