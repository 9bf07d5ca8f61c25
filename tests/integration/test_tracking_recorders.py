"""Our process recorders (several positions in one transaction) pass the
library's own ProcessRecorderTestCase on SQLite and PostgreSQL, and write all
positions or none."""

from __future__ import annotations

import tempfile
from pathlib import Path
from uuid import uuid4

from eventsourcing.persistence import IntegrityError, ProcessRecorder, StoredEvent, Tracking
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore
from eventsourcing.tests.persistence import ProcessRecorderTestCase

from services.infra.eventstore.tracking import (
    MultiTrackingPostgresProcessRecorder,
    MultiTrackingSQLiteProcessRecorder,
)
from tests.support.postgres import create_database, drop_database


class MultiTrackingCases(ProcessRecorderTestCase):
    __test__ = False

    def test_several_positions_with_one_batch_all_or_none(self) -> None:
        recorder = self.create_recorder()
        first = StoredEvent(uuid4(), 1, "topic", b"state")
        recorder.insert_events([first], trackings=[Tracking("t:0", 5), Tracking("t:1", 9)])
        assert recorder.max_tracking_id("t:0") == 5
        assert recorder.max_tracking_id("t:1") == 9

        # One position does not move forward: nothing of the batch is written.
        second = StoredEvent(uuid4(), 1, "topic", b"state")
        try:
            recorder.insert_events([second], trackings=[Tracking("t:0", 6), Tracking("t:1", 9)])
        except IntegrityError:
            pass
        else:
            raise AssertionError("a position that does not advance must fail the batch")
        assert recorder.max_tracking_id("t:0") == 5
        assert not recorder.select_events(second.originator_id)

        # No events at all (a poll of duplicates) still advances the positions.
        recorder.insert_events([], trackings=[Tracking("t:0", 7), Tracking("t:2", 1)])
        assert recorder.max_tracking_id("t:0") == 7
        assert recorder.max_tracking_id("t:2") == 1


class TestMultiTrackingSQLite(MultiTrackingCases):
    __test__ = True

    def setUp(self) -> None:
        self.folder = tempfile.TemporaryDirectory()
        self.datastore = SQLiteDatastore(str(Path(self.folder.name) / "events.sqlite"))

    def tearDown(self) -> None:
        self.datastore.close()
        self.folder.cleanup()

    def create_recorder(self) -> ProcessRecorder:
        recorder = MultiTrackingSQLiteProcessRecorder(self.datastore)
        recorder.create_table()
        return recorder


class TestMultiTrackingPostgres(MultiTrackingCases):
    __test__ = True

    def setUp(self) -> None:
        self.url = create_database()
        from services.infra.eventstore.store import store_location

        env = store_location(self.url, Path(".")).env
        self.datastore = PostgresDatastore(
            dbname=env["POSTGRES_DBNAME"],
            host=env["POSTGRES_HOST"],
            port=env["POSTGRES_PORT"],
            user=env["POSTGRES_USER"],
            password=env["POSTGRES_PASSWORD"],
        )

    def tearDown(self) -> None:
        self.datastore.close()
        drop_database(self.url)

    def create_recorder(self) -> ProcessRecorder:
        recorder = MultiTrackingPostgresProcessRecorder(
            self.datastore, events_table_name="test_events", tracking_table_name="test_tracking"
        )
        recorder.create_table()
        return recorder
