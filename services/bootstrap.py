"""The composition root: builds the hub's parts from the settings, in one place.

Nothing is built at import time or in a default argument; tests build a hub
from their own Settings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore

from adapters.sms.sender import TwilioMessageSender
from projections.complaints import (
    ComplaintQueues,
    ComplaintQueuesPostgres,
    ComplaintQueuesSQLite,
    CustomerCaseIndex,
    CustomerCaseIndexPostgres,
    CustomerCaseIndexSQLite,
)
from projections.customer360 import Customer360, Customer360Postgres, Customer360SQLite
from projections.identity import IdentityIndex, IdentityIndexPostgres, IdentityIndexSQLite
from projections.sql import SqlRunner
from projections.view import SqlView
from services.auth import TokenStore
from services.bus import InProcessBus, IntakeBus
from services.complaints.config import complaint_config
from services.complaints.wiring import Complaints, build_complaints
from services.eventstore import EventStore, master_key_from, open_event_store
from services.eventstore.keys import derive_key
from services.eventstore.store import construct_factory, store_location
from services.messaging import Messaging
from services.projector import Projector
from services.recorder import Recorded, Recorder, utcnow
from services.settings import Settings


@dataclass
class Views:
    customer360: Customer360
    identity: IdentityIndex
    complaints: ComplaintQueues
    # The complaint intake's own index and position: not a read model, not replayed.
    complaint_index: CustomerCaseIndex

    @property
    def all(self) -> list[SqlView]:
        return [self.identity, self.customer360, self.complaints]


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
    complaints: Complaints
    clock: object = field(default=utcnow)

    def close(self) -> None:
        self.complaints.stop()
        self.projector.stop()


def open_views(settings: Settings) -> Views:
    location = store_location(settings.database_url, settings.data_dir, purpose="views")
    factory = construct_factory(location, "views")
    policy = complaint_config(settings).policy
    if location.dialect == "sqlite":
        lite = SQLiteDatastore(
            location.env["SQLITE_DBNAME"], lock_timeout=10, pool_size=4, max_overflow=8
        )
        views = Views(
            Customer360SQLite(lite),
            IdentityIndexSQLite(lite),
            ComplaintQueuesSQLite(lite, policy),
            CustomerCaseIndexSQLite(lite),
        )
    else:
        pg: PostgresDatastore = factory.datastore  # type: ignore[attr-defined]
        views = Views(
            Customer360Postgres(pg),
            IdentityIndexPostgres(pg),
            ComplaintQueuesPostgres(pg, policy),
            CustomerCaseIndexPostgres(pg),
        )
    for view in [*views.all, views.complaint_index]:
        view.setup()
    return views


def build_hub(settings: Settings, *, clock: object = utcnow) -> Hub:
    """Everything `contacthub serve` runs: store, views, recorder, projector, bus."""
    master = master_key_from(settings.master_key, settings.data_dir)
    store = open_event_store(store_location(settings.database_url, settings.data_dir), master)
    views = open_views(settings)
    now = clock if callable(clock) else utcnow
    recorder = Recorder(store, clock=now)
    projector = Projector(store, views.all)

    def wake_followers() -> None:
        projector.wake()
        complaints.intake.wake()

    complaints = build_complaints(
        settings,
        complaint_config(settings),
        store,
        recorder,
        views.complaints,
        views.complaint_index,
        clock=now,
        on_write=wake_followers,
    )

    def on_recorded(recorded: Recorded) -> None:
        if recorded.notification_ids:
            wake_followers()

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
        views=views,
        recorder=recorder,
        projector=projector,
        bus=InProcessBus(recorder, on_recorded),
        tokens=tokens,
        messaging=messaging,
        address_secret=derive_key(master, "address-key"),
        complaints=complaints,
        clock=now,
    )


def now_of(hub: Hub) -> datetime:
    clock = hub.clock
    assert callable(clock)
    result = clock()
    assert isinstance(result, datetime)
    return result
