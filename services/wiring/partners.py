"""Partner organisations opened alone, for the `contacthub partner` and `token
create --partner` commands (as services/wiring/accounts.py opens the accounts),
without the hub's start-up."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from services.infra.eventstore.store import APPLICATION_NAME, construct_factory, store_location
from services.infra.locks import schema_lock
from services.infra.partners import PartnerDirectory
from services.infra.settings import Settings
from services.infra.sql import SqlRunner


def open_partners(settings: Settings, clock: Callable[[], datetime]) -> PartnerDirectory:
    location = store_location(settings.database_url, settings.data_dir)
    with schema_lock(settings):
        recorder = construct_factory(location, APPLICATION_NAME).application_recorder()
        db = SqlRunner(recorder.datastore, location.dialect)  # type: ignore[attr-defined]
        return PartnerDirectory(db, clock)
