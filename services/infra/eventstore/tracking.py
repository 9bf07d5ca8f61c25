"""Process recorders that write several positions with one batch of events.

The library's process recorder takes one `Tracking` per transaction; the Kafka
recorder's poll spans several partitions, each with its own position. These
subclasses also accept `trackings=[...]`, inserted in the same transaction as
the events, so one poll costs one transaction (and one table lock) instead of
one per partition. Everything else, including `tracking=`, is the library's
(on PostgreSQL with the binary array insert of array_insert.py); tests/integration
run the library's own ProcessRecorderTestCase on both.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import StoredEvent, Tracking
from eventsourcing.sqlite import SQLiteCursor, SQLiteProcessRecorder
from psycopg import Cursor
from psycopg.rows import DictRow

from services.infra.eventstore.array_insert import ArrayInsertPostgresProcessRecorder

TOPIC_POSTGRES = "services.infra.eventstore.tracking:MultiTrackingPostgresProcessRecorder"
TOPIC_SQLITE = "services.infra.eventstore.tracking:MultiTrackingSQLiteProcessRecorder"


def _trackings(kwargs: dict[str, Any]) -> Sequence[Tracking]:
    trackings: Sequence[Tracking] = kwargs.get("trackings") or ()
    return trackings


class MultiTrackingPostgresProcessRecorder(ArrayInsertPostgresProcessRecorder):
    def _insert_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        for tracking in _trackings(kwargs):
            self._insert_tracking(curs, tracking)
        super()._insert_events(curs, stored_events, **kwargs)


class MultiTrackingSQLiteProcessRecorder(SQLiteProcessRecorder):
    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        returning = super()._insert_events(c, stored_events, **kwargs)
        for tracking in _trackings(kwargs):
            self._insert_tracking(c, tracking)
        return returning
