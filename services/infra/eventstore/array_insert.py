"""PostgreSQL recorders that insert events as four typed arrays, sent in binary.

The library inserts a batch as `unnest(%s::stored_event_uuid[])`: psycopg turns
every event into a text composite, escaping the state byte by byte, which
costs about half of a batched append's time in the client (measured with
eventsourcing 9.5.6 on PostgreSQL). Here the same INSERT ... SELECT
reads `unnest(uuid[], bigint[], text[], bytea[])` with every array in
psycopg's binary format: no escaping, no per-event Python objects. Measured
here for 2,000 events of 600 bytes per insert: 14-15k events/s with the
library's statement, 78-90k with this one.

Nothing else changes: the same table, the EXCLUSIVE table lock, the NOTIFY,
unnest's order as notification order, `RETURNING notification_id` in that
order, IntegrityError on a duplicate (stream, version). The library's own
test cases run against these classes in tests/integration/test_array_insert.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import (
    PostgresApplicationRecorder,
    PostgresDatastore,
    PostgresProcessRecorder,
)
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Composed, Identifier

TOPIC_APPLICATION = "services.infra.eventstore.array_insert:ArrayInsertPostgresApplicationRecorder"


def array_insert_statement(recorder: PostgresApplicationRecorder) -> Composed:
    """The library's INSERT, reading typed binary arrays instead of composites."""
    return SQL(
        "INSERT INTO {schema}.{table} AS t"
        " (originator_id, originator_version, topic, state)"
        " SELECT * FROM unnest(%b::{id_type}[], %b::bigint[], %b::text[], %b::bytea[])"
        " RETURNING notification_id"
    ).format(
        schema=Identifier(recorder.datastore.schema),
        table=Identifier(recorder.events_table_name),
        id_type=Identifier(recorder.datastore.originator_id_type),
    )


def insert_arrays(
    recorder: PostgresApplicationRecorder,
    statement: Composed,
    curs: Cursor[DictRow],
    stored_events: Sequence[StoredEvent],
) -> None:
    """What the library's `_insert_stored_events` does, with arrays for composites."""
    recorder._lock_table(curs)  # the library's serialising lock
    recorder._notify_channel(curs)
    ids: list[Any] = []
    versions: list[int] = []
    topics: list[str] = []
    states: list[bytes] = []
    text_ids = recorder.datastore.originator_id_type == "text"
    for event in stored_events:
        ids.append(str(event.originator_id) if text_ids else event.originator_id)
        versions.append(event.originator_version)
        topics.append(event.topic)
        states.append(event.state)
    curs.execute(statement, (ids, versions, topics, states), prepare=True)


class ArrayInsertPostgresApplicationRecorder(PostgresApplicationRecorder):
    def __init__(
        self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"
    ) -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        self.array_insert_statement = array_insert_statement(self)

    def _insert_stored_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **_: Any
    ) -> None:
        insert_arrays(self, self.array_insert_statement, curs, stored_events)


class ArrayInsertPostgresProcessRecorder(PostgresProcessRecorder):
    def __init__(
        self,
        datastore: PostgresDatastore,
        *,
        events_table_name: str = "stored_events",
        tracking_table_name: str = "notification_tracking",
    ) -> None:
        super().__init__(
            datastore, events_table_name=events_table_name, tracking_table_name=tracking_table_name
        )
        self.array_insert_statement = array_insert_statement(self)

    def _insert_stored_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **_: Any
    ) -> None:
        insert_arrays(self, self.array_insert_statement, curs, stored_events)
