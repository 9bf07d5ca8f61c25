"""Users and API tokens, wired on the event store's database.

The hub builds them with everything else; the account commands open them
alone (`open_accounts`), without the hub's start-up (views, projector,
channels): those commands are run by hand and in scripts, often.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from services.infra.accounts import UserStore
from services.infra.auth import TokenStore
from services.infra.eventstore.store import APPLICATION_NAME, construct_factory, store_location
from services.infra.locks import schema_lock
from services.infra.settings import Settings
from services.infra.sql import SqlRunner


@dataclass(frozen=True)
class Accounts:
    users: UserStore
    tokens: TokenStore


def accounts_on(db: SqlRunner, clock: Callable[[], datetime]) -> Accounts:
    users = UserStore(db, clock=clock)  # first: a token's principal is read from its table
    return Accounts(users, TokenStore(db, users, clock=clock))


def open_accounts(settings: Settings, clock: Callable[[], datetime]) -> Accounts:
    location = store_location(settings.database_url, settings.data_dir)
    with schema_lock(settings):
        # The event store's own recorder, for its datastore: the same database,
        # the same connection settings as the hub's.
        recorder = construct_factory(location, APPLICATION_NAME).application_recorder()
        db = SqlRunner(recorder.datastore, location.dialect)  # type: ignore[attr-defined]
        return accounts_on(db, clock)
