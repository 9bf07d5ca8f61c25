"""Our views extend the library's tracking recorders: they must pass its own test
cases (eventsourcing.tests), on SQLite and on PostgreSQL."""

from __future__ import annotations

import tempfile
from pathlib import Path

from eventsourcing.persistence import TrackingRecorder
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore
from eventsourcing.tests.persistence import TrackingRecorderTestCase

from projections.campaigns import CampaignsPostgres, CampaignsSQLite
from projections.customer360 import Customer360Postgres, Customer360SQLite
from projections.identity import IdentityIndexPostgres, IdentityIndexSQLite
from projections.satisfaction import SatisfactionViewPostgres, SatisfactionViewSQLite
from services.infra.eventstore.store import store_location
from services.infra.sql import SqlRunner
from tests.support.postgres import create_database, drop_database


def sqlite_datastore(case: TrackingRecorderTestCase) -> SQLiteDatastore:
    folder = tempfile.TemporaryDirectory()
    case.addCleanup(folder.cleanup)
    return SQLiteDatastore(str(Path(folder.name) / "views.sqlite"))


def postgres_datastore(case: TrackingRecorderTestCase) -> PostgresDatastore:
    url = create_database()
    env = store_location(url, Path(".")).env
    datastore = PostgresDatastore(
        env["POSTGRES_DBNAME"],
        env["POSTGRES_HOST"],
        env["POSTGRES_PORT"],
        env["POSTGRES_USER"],
        env["POSTGRES_PASSWORD"],
    )
    case.addCleanup(drop_database, url)
    case.addCleanup(datastore.close)
    return datastore


class TestCustomer360SQLiteAsTrackingRecorder(TrackingRecorderTestCase):
    def create_recorder(self) -> TrackingRecorder:
        store = sqlite_datastore(self)
        view = Customer360SQLite(store, db=SqlRunner(store, "sqlite"))
        view.setup()
        return view


class TestIdentitySQLiteAsTrackingRecorder(TrackingRecorderTestCase):
    def create_recorder(self) -> TrackingRecorder:
        store = sqlite_datastore(self)
        view = IdentityIndexSQLite(store, db=SqlRunner(store, "sqlite"))
        view.setup()
        return view


class TestCustomer360PostgresAsTrackingRecorder(TrackingRecorderTestCase):
    def create_recorder(self) -> TrackingRecorder:
        store = postgres_datastore(self)
        view = Customer360Postgres(store, db=SqlRunner(store, "postgres"))
        view.setup()
        return view


class TestIdentityPostgresAsTrackingRecorder(TrackingRecorderTestCase):
    def create_recorder(self) -> TrackingRecorder:
        store = postgres_datastore(self)
        view = IdentityIndexPostgres(store, db=SqlRunner(store, "postgres"))
        view.setup()
        return view


class TestSatisfactionSQLiteAsTrackingRecorder(TrackingRecorderTestCase):
    def create_recorder(self) -> TrackingRecorder:
        store = sqlite_datastore(self)
        view = SatisfactionViewSQLite(store, db=SqlRunner(store, "sqlite"))
        view.setup()
        return view


class TestCampaignsSQLiteAsTrackingRecorder(TrackingRecorderTestCase):
    def create_recorder(self) -> TrackingRecorder:
        store = sqlite_datastore(self)
        view = CampaignsSQLite(store, db=SqlRunner(store, "sqlite"))
        view.setup()
        return view


class TestSatisfactionPostgresAsTrackingRecorder(TrackingRecorderTestCase):
    def create_recorder(self) -> TrackingRecorder:
        store = postgres_datastore(self)
        view = SatisfactionViewPostgres(store, db=SqlRunner(store, "postgres"))
        view.setup()
        return view


class TestCampaignsPostgresAsTrackingRecorder(TrackingRecorderTestCase):
    def create_recorder(self) -> TrackingRecorder:
        store = postgres_datastore(self)
        view = CampaignsPostgres(store, db=SqlRunner(store, "postgres"))
        view.setup()
        return view
