"""The composition root: builds the hub's parts from the settings, in one place.

Nothing is built at import time or in a default argument; tests build a hub
from their own Settings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore

from adapters.sms.sender import TwilioMessageSender
from projections.customer360 import Customer360, Customer360Postgres, Customer360SQLite
from projections.identity import IdentityIndex, IdentityIndexPostgres, IdentityIndexSQLite
from projections.sql import SqlRunner
from projections.view import SqlView
from services.auth import TokenStore
from services.bus import InProcessBus, IntakeBus
from services.eventstore import EventStore, master_key_from, open_event_store
from services.eventstore.keys import derive_key
from services.eventstore.store import construct_factory, store_location
from services.kafka.bus import KafkaBus
from services.messaging import Messaging
from services.projector import Projector
from services.recorder import Recorded, Recorder, utcnow
from services.settings import Settings


@dataclass
class Views:
    customer360: Customer360
    identity: IdentityIndex

    @property
    def all(self) -> list[SqlView]:
        return [self.identity, self.customer360]


@dataclass
class Hub:
    settings: Settings
    store: EventStore
    views: Views
    recorder: Recorder
    projector: Projector
    bus: IntakeBus
    tokens: TokenStore
    messaging: Messaging
    address_secret: bytes
    clock: object = field(default=utcnow)

    def close(self) -> None:
        self.projector.stop()


def open_views(settings: Settings) -> Views:
    location = store_location(settings.database_url, settings.data_dir, purpose="views")
    factory = construct_factory(location, "views")
    if location.dialect == "sqlite":
        lite = SQLiteDatastore(
            location.env["SQLITE_DBNAME"], lock_timeout=10, pool_size=4, max_overflow=8
        )
        views = Views(Customer360SQLite(lite), IdentityIndexSQLite(lite))
    else:
        pg: PostgresDatastore = factory.datastore  # type: ignore[attr-defined]
        views = Views(Customer360Postgres(pg), IdentityIndexPostgres(pg))
    for view in views.all:
        view.setup()
    return views


def build_hub(
    settings: Settings,
    *,
    clock: object = utcnow,
    views: Sequence[str] | None = None,
    kafka: bool = False,
) -> Hub:
    """Everything `contacthub serve` runs: store, views, recorder, projector, bus.

    `kafka` puts the Kafka intake bus in place of the in-process one (the
    gateway process); `views` limits the projector to the named read models
    (a projector process per view).
    """
    master = master_key_from(settings.master_key, settings.data_dir)
    store = open_event_store(store_location(settings.database_url, settings.data_dir), master)
    all_views = open_views(settings)
    now = clock if callable(clock) else utcnow
    recorder = Recorder(store, clock=now)
    projected = [v for v in all_views.all if views is None or v.name in views]
    projector = Projector(store, projected)

    def on_recorded(recorded: Recorded) -> None:
        if recorded.notification_ids:
            projector.wake()

    sender = (
        TwilioMessageSender(
            settings.twilio_account_sid, settings.twilio_auth_token, settings.twilio_api_base
        )
        if settings.twilio_account_sid and settings.twilio_auth_token
        else None
    )
    messaging = Messaging(
        store,
        recorder,
        sender,
        from_number=settings.twilio_from_number,
        public_url=settings.public_url,
        default_region=settings.default_region,
        clock=now,
    )
    tokens = TokenStore(SqlRunner(store.recorder.datastore, store.dialect))  # type: ignore[attr-defined]
    return Hub(
        settings=settings,
        store=store,
        views=all_views,
        recorder=recorder,
        projector=projector,
        bus=KafkaBus(settings) if kafka else InProcessBus(recorder, on_recorded),
        tokens=tokens,
        messaging=messaging,
        address_secret=derive_key(master, "address-key"),
        clock=now,
    )


def now_of(hub: Hub) -> datetime:
    clock = hub.clock
    assert callable(clock)
    result = clock()
    assert isinstance(result, datetime)
    return result
