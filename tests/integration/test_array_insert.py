"""The binary array insert (services/infra/eventstore/array_insert.py) passes the
library's own recorder test cases on PostgreSQL, as application recorder, as
process recorder and through the multi-position process recorder, and keeps
concurrent batches' notification ids from interleaving."""

from __future__ import annotations

from pathlib import Path

from eventsourcing.persistence import ApplicationRecorder, ProcessRecorder
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.tests.persistence import (
    ApplicationRecorderTestCase,
    NonInterleavingNotificationIDsBaseCase,
    ProcessRecorderTestCase,
)

from services.infra.eventstore.array_insert import (
    ArrayInsertPostgresApplicationRecorder,
    ArrayInsertPostgresProcessRecorder,
)
from services.infra.eventstore.store import store_location
from services.infra.eventstore.tracking import MultiTrackingPostgresProcessRecorder
from tests.support.postgres import create_database, drop_database


class PostgresDatabase:
    """A fresh database per test, with a pool large enough for the concurrent cases."""

    def setUp(self) -> None:
        self.url = create_database()
        env = store_location(self.url, Path(".")).env
        self.datastore = PostgresDatastore(
            dbname=env["POSTGRES_DBNAME"],
            host=env["POSTGRES_HOST"],
            port=env["POSTGRES_PORT"],
            user=env["POSTGRES_USER"],
            password=env["POSTGRES_PASSWORD"],
            pool_size=4,
            max_overflow=10,
        )

    def tearDown(self) -> None:
        self.datastore.close()
        drop_database(self.url)


class TestArrayInsertApplicationRecorder(
    PostgresDatabase, ApplicationRecorderTestCase[ApplicationRecorder]
):
    def create_recorder(self) -> ApplicationRecorder:
        recorder = ArrayInsertPostgresApplicationRecorder(
            self.datastore, events_table_name="test_events"
        )
        recorder.create_table()
        return recorder


class TestArrayInsertProcessRecorder(PostgresDatabase, ProcessRecorderTestCase):
    def create_recorder(self) -> ProcessRecorder:
        recorder = ArrayInsertPostgresProcessRecorder(
            self.datastore, events_table_name="test_events", tracking_table_name="test_tracking"
        )
        recorder.create_table()
        return recorder


class TestArrayInsertNonInterleaving(PostgresDatabase, NonInterleavingNotificationIDsBaseCase):
    def create_recorder(self) -> ApplicationRecorder:
        recorder = ArrayInsertPostgresApplicationRecorder(
            self.datastore, events_table_name="test_events"
        )
        recorder.create_table()
        return recorder


class TestMultiTrackingNonInterleaving(PostgresDatabase, NonInterleavingNotificationIDsBaseCase):
    def create_recorder(self) -> ApplicationRecorder:
        recorder = MultiTrackingPostgresProcessRecorder(
            self.datastore, events_table_name="test_events", tracking_table_name="test_tracking"
        )
        recorder.create_table()
        return recorder
