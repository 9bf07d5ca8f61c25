"""The composition root: builds the hub's parts from the settings, in one place.

Each part (store, views, projector, outbound channels, complaints...) is built
on first use, once, so each process builds only what it uses: the gateway
process never opens the read models or builds the complaint desk. The process
entry points name the parts they need (`build_hub(settings, parts=...)`) so that
those are built, and their tables created, at start-up rather than at the first
request. Nothing is built at import time or in a default argument; tests build
a hub from their own Settings.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar, overload

from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore

from adapters.email.sender import RelayConfig, SmtpEmailSender
from adapters.post.provider import OutboxProvider
from adapters.sms.sender import TwilioMessageSender
from adapters.sms.translate import WHATSAPP
from adapters.voice.sender import TwilioCallPlacer
from adapters.voice.twiml import VoiceScript
from domain.consent import QuietHours
from domain.valuation import AbcLimits
from projections.complaints import (
    ComplaintQueues,
    ComplaintQueuesPostgres,
    ComplaintQueuesSQLite,
    CustomerCaseIndex,
    CustomerCaseIndexPostgres,
    CustomerCaseIndexSQLite,
)
from projections.consent import ConsentIndex, ConsentIndexPostgres, ConsentIndexSQLite
from projections.customer360 import Customer360, Customer360Postgres, Customer360SQLite
from projections.identity import IdentityIndex, IdentityIndexPostgres, IdentityIndexSQLite
from projections.orders import OrderHistory, OrderHistoryPostgres, OrderHistorySQLite
from projections.view import SqlView
from services.app.analytics.reports import Reports
from services.app.analytics.segments import Segments, SegmentSources
from services.app.analytics.suggestions import Suggestions
from services.app.analytics.valuations import Valuations
from services.app.complaints.config import complaint_config
from services.app.consent import ConsentBook
from services.app.intake.email_gateway import EmailGateway
from services.app.intake.in_process_bus import InProcessBus
from services.app.intake.recorder import Recorded, Recorder, utcnow
from services.app.interactions import Interactions
from services.app.orders.book import OrderBook
from services.app.orders.importer import OrderImporter
from services.app.outbound.calls import Calls
from services.app.outbound.email import EmailMessaging
from services.app.outbound.letters import Letters
from services.app.outbound.messages import Messaging
from services.app.outbound.pipeline import Outbound
from services.app.projector import Projector
from services.infra.accounts import UserStore
from services.infra.auth import TokenStore
from services.infra.blobs import BlobStore, FileBlobStore, SqlBlobStore
from services.infra.bus import IntakeBus
from services.infra.eventstore import EventStore, master_key_from, open_event_store
from services.infra.eventstore.keys import derive_key
from services.infra.eventstore.store import construct_factory, store_location
from services.infra.kafka.bus import KafkaBus
from services.infra.locks import schema_lock
from services.infra.segments import SavedSegment, SegmentTable
from services.infra.settings import Settings
from services.infra.sql import SqlRunner
from services.infra.webhook_tokens import WebhookTokens
from services.wiring.accounts import Accounts, accounts_on
from services.wiring.complaints import Complaints, build_complaints

T = TypeVar("T")


@dataclass
class Views:
    customer360: Customer360
    identity: IdentityIndex
    complaints: ComplaintQueues
    # The complaint intake's own index and position: not a read model, not replayed.
    complaint_index: CustomerCaseIndex
    orders: OrderHistory
    consent: ConsentIndex

    @property
    def all(self) -> list[SqlView]:
        return [self.identity, self.customer360, self.complaints, self.orders, self.consent]


class part(Generic[T]):  # lower case: a decorator, like `property`
    """A hub part: built by the decorated method on first use, once, then kept.

    Building runs under the hub's lock, so two threads asking at once (two
    requests) get the same projector, never two. functools.cached_property does
    not lock per instance, hence this. It is a non-data descriptor: once built,
    the part is a plain attribute of the hub and costs nothing to reach.
    """

    def __init__(self, build: Callable[[Any], T]) -> None:
        self.build = build
        self.name = build.__name__
        self.__doc__ = build.__doc__

    @overload
    def __get__(self, hub: None, owner: type) -> part[T]: ...

    @overload
    def __get__(self, hub: Hub, owner: type) -> T: ...

    def __get__(self, hub: Hub | None, owner: type) -> part[T] | T:
        if hub is None:
            return self
        with hub._building:
            if self.name not in hub.__dict__:
                hub.__dict__[self.name] = self.build(hub)
        value: T = hub.__dict__[self.name]
        return value


class Hub:
    """Everything a process of the hub may use, each part built when first used."""

    def __init__(
        self,
        settings: Settings,
        *,
        clock: object = utcnow,
        views: Sequence[str] | None = None,
        kafka: bool = False,
    ) -> None:
        """`kafka` puts the Kafka intake bus in place of the in-process one (the
        gateway process); `views` limits the projector to the named read models
        (a projector process per view)."""
        self.settings = settings
        self.clock = clock
        self._now = clock if callable(clock) else utcnow
        self._projected = views
        self._kafka = kafka
        self._building = threading.RLock()
        self._in_schema_lock = False

    def built(self, name: str) -> bool:
        """Whether the part was built (a process that never used it has none)."""
        return name in self.__dict__

    def close(self) -> None:
        """Stops the followers that were built (the others never ran)."""
        if self.built("complaints"):
            self.complaints.stop()
        if self.built("projector"):
            self.projector.stop()

    def wake_followers(self) -> None:
        """After a write in this process: project it (and decide on it) now."""
        if self.built("projector"):
            self.projector.wake()
        if self.built("complaints"):
            self.complaints.intake.wake()

    @contextmanager
    def schema_lock(self) -> Iterator[None]:
        """Holds the cross-process schema lock while tables are created; re-entrant
        within the hub (building runs under `_building`, one thread at a time), so
        one lock covers all the parts `build_hub` builds at start-up. A second
        acquisition would take a second PostgreSQL session and wait on the first."""
        with self._building:
            if self._in_schema_lock:
                yield
                return
            with schema_lock(self.settings):
                self._in_schema_lock = True
                try:
                    yield
                finally:
                    self._in_schema_lock = False

    # Storage -----------------------------------------------------------------

    @part
    def master_key(self) -> bytes:
        return master_key_from(self.settings.master_key, self.settings.data_dir)

    @part
    def address_secret(self) -> bytes:
        return derive_key(self.master_key, "address-key")

    @part
    def store(self) -> EventStore:
        location = store_location(self.settings.database_url, self.settings.data_dir)
        master = self.master_key
        with self.schema_lock():
            return open_event_store(location, master)

    @part
    def db(self) -> SqlRunner:
        """SQL on the event store's database, for the hub's own small tables."""
        store = self.store
        return SqlRunner(store.recorder.datastore, store.dialect)  # type: ignore[attr-defined]

    @part
    def blobs(self) -> BlobStore:
        if self.store.dialect == "sqlite":
            return FileBlobStore(self.settings.data_dir / "blobs")
        db = self.db
        with self.schema_lock():
            return SqlBlobStore(db)

    @part
    def accounts(self) -> Accounts:
        db = self.db
        with self.schema_lock():
            return accounts_on(db, self._now)

    @part
    def tokens(self) -> TokenStore:
        return self.accounts.tokens

    @part
    def users(self) -> UserStore:
        return self.accounts.users

    @part
    def mailgun_tokens(self) -> WebhookTokens:
        db = self.db
        with self.schema_lock():
            return WebhookTokens(db, "mailgun")

    # Intake --------------------------------------------------------------------

    @part
    def recorder(self) -> Recorder:
        return Recorder(
            self.store,
            clock=self._now,
            email_thread_window=timedelta(days=self.settings.email_thread_window_days),
        )

    @part
    def bus(self) -> IntakeBus:
        if self._kafka:
            return KafkaBus(self.settings)

        def on_recorded(recorded: Recorded) -> None:
            if recorded.notification_ids:
                self.wake_followers()

        return InProcessBus(self.recorder, on_recorded)

    @part
    def email_gateway(self) -> EmailGateway:
        return EmailGateway(
            self.bus, self.blobs, address_secret=self.address_secret, clock=self._now
        )

    # Read models -------------------------------------------------------------------

    @part
    def views(self) -> Views:
        with self.schema_lock():
            return open_views(self.settings)

    @part
    def projector(self) -> Projector:
        named = self._projected
        projected = [v for v in self.views.all if named is None or v.name in named]
        return Projector(self.store, projected)

    # Agent commands --------------------------------------------------------------

    @part
    def quiet(self) -> QuietHours | None:
        return QuietHours.parse(self.settings.quiet_hours, self.settings.quiet_hours_timezone)

    @part
    def voice_script(self) -> VoiceScript:
        return voice_script(self.settings)

    @part
    def outbound(self) -> Outbound:
        # The one pipeline every outbound send goes through (consent, quiet hours, intent first).
        return Outbound(
            self.store,
            self.recorder,
            quiet=self.quiet,
            clock=self._now,
            last_inbound=self.views.customer360.last_inbound_at,
        )

    @part
    def messaging(self) -> Messaging:
        settings = self.settings
        return Messaging(
            self.outbound,
            twilio_sender(settings),
            from_number=settings.twilio_from_number,
            whatsapp_from=whatsapp_number(settings),
            public_url=settings.public_url,
            default_region=settings.default_region,
            clock=self._now,
        )

    @part
    def email(self) -> EmailMessaging:
        settings = self.settings
        relay = (
            SmtpEmailSender(RelayConfig.from_url(settings.smtp_relay_url))
            if settings.smtp_relay_url
            else None
        )
        return EmailMessaging(
            self.outbound,
            self.store,
            relay,
            self.blobs,
            from_address=settings.email_from,
            from_name=settings.email_from_name,
            secret=self.address_secret,
            clock=self._now,
        )

    @part
    def letters(self) -> Letters:
        settings = self.settings
        return Letters(
            self.store,
            self.recorder,
            self.outbound,
            OutboxProvider(settings.data_dir / "outbox"),
            address_secret=self.address_secret,
            sender_line=settings.letter_sender,
            signature=settings.letter_signature,
            clock=self._now,
        )

    @part
    def calls(self) -> Calls:
        settings = self.settings
        return Calls(
            self.store,
            self.recorder,
            self.outbound,
            twilio_call_placer(settings),
            from_number=settings.twilio_from_number,
            public_url=settings.public_url,
            default_region=settings.default_region,
            script=self.voice_script,
            clock=self._now,
        )

    @part
    def interactions(self) -> Interactions:
        """An interaction's whole content (text, HTML, attachments), from its stream."""
        return Interactions(self.store, self.blobs)

    @part
    def consent(self) -> ConsentBook:
        return ConsentBook(self.store, self.recorder, self._now)

    # Orders and analytics ------------------------------------------------------------

    @part
    def orders(self) -> OrderBook:
        """Orders from a shop or ERP, one at a time (API, Kafka)."""
        return OrderBook(
            self.store,
            self.recorder,
            address_secret=self.address_secret,
            default_region=self.settings.default_region,
            clock=self._now,
        )

    @part
    def order_importer(self) -> OrderImporter:
        """An order history in bulk (the CSV import)."""
        return OrderImporter(self.orders)

    @part
    def valuations(self) -> Valuations:
        """ABC, RFM, churn and value over time over the orders read model."""
        settings = self.settings
        return Valuations(
            self.views.orders,
            window_months=settings.abc_window_months,
            limits=AbcLimits.parse(settings.abc_limits),
            churn_factor=settings.churn_factor,
            clock=self._now,
        )

    @part
    def suggestions(self) -> Suggestions:
        """Cross- and up-selling from item-to-item co-occurrence."""
        return Suggestions(self.views.orders)

    @part
    def segments(self) -> Segments:
        """Saved filters over profile, behaviour, classification, complaints, consent."""
        views = self.views
        db = self.db
        with self.schema_lock():
            table = SegmentTable(db)
        sources = SegmentSources(
            views.customer360,
            views.identity,
            views.orders,
            views.complaints,
            views.consent,
            self.valuations,
        )
        return Segments(table, sources, SavedSegment, self._now)

    @part
    def reports(self) -> Reports:
        """Complaint rate by product, channel mix, revenue by class."""
        views = self.views
        return Reports(views.orders, views.complaints, views.customer360, self.valuations)

    # Complaints ----------------------------------------------------------------------

    @part
    def complaints(self) -> Complaints:
        views = self.views
        return build_complaints(
            self.settings,
            complaint_config(self.settings),
            self.store,
            self.recorder,
            views.complaints,
            views.complaint_index,
            clock=self._now,
            on_write=self.wake_followers,
        )


# What each process builds at start-up (the rest, if ever used, on first use).
EVERYTHING = (
    "store",
    "views",
    "projector",
    "bus",
    "tokens",
    "messaging",
    "email",
    "letters",
    "calls",
    "consent",
    "email_gateway",
    "mailgun_tokens",
    "complaints",
    "interactions",
    "orders",
    "segments",
)
# `contacthub run gateway`: provider webhooks and SMTP -> the Kafka bus.
GATEWAY_PARTS = (
    "store",
    "bus",
    "address_secret",
    "voice_script",
    "email_gateway",
    "mailgun_tokens",
)
# `contacthub run api`: the agent API over the read models; commands append.
API_PARTS = (
    "store",
    "views",
    "projector",
    "bus",
    "tokens",
    "messaging",
    "email",
    "letters",
    "calls",
    "consent",
    "complaints",
    "interactions",
    "orders",
    "segments",
)
# `contacthub run projector`: the read models (and, beside the queues, the
# complaint policies, built when started).
PROJECTOR_PARTS = ("store", "views", "projector")


def open_views(settings: Settings) -> Views:
    location = store_location(settings.database_url, settings.data_dir, purpose="views")
    factory = construct_factory(location, "views")
    policy = complaint_config(settings).policy
    if location.dialect == "sqlite":
        lite = SQLiteDatastore(
            location.env["SQLITE_DBNAME"], lock_timeout=10, pool_size=4, max_overflow=8
        )
        db = SqlRunner(lite, "sqlite")
        views = Views(
            Customer360SQLite(lite, db=db),
            IdentityIndexSQLite(lite, db=db),
            ComplaintQueuesSQLite(lite, policy, db=db),
            CustomerCaseIndexSQLite(lite, db=db),
            OrderHistorySQLite(lite, db=db),
            ConsentIndexSQLite(lite, db=db),
        )
    else:
        pg: PostgresDatastore = factory.datastore  # type: ignore[attr-defined]
        db = SqlRunner(pg, "postgres")
        views = Views(
            Customer360Postgres(pg, db=db),
            IdentityIndexPostgres(pg, db=db),
            ComplaintQueuesPostgres(pg, policy, db=db),
            CustomerCaseIndexPostgres(pg, db=db),
            OrderHistoryPostgres(pg, db=db),
            ConsentIndexPostgres(pg, db=db),
        )
    for view in [*views.all, views.complaint_index]:
        view.setup()
    return views


def build_hub(
    settings: Settings,
    *,
    clock: object = utcnow,
    views: Sequence[str] | None = None,
    kafka: bool = False,
    parts: Sequence[str] = EVERYTHING,
) -> Hub:
    """A hub with `parts` built (their tables created under one schema lock);
    everything `contacthub serve` runs by default.

    `kafka` puts the Kafka intake bus in place of the in-process one (the
    gateway process); `views` limits the projector to the named read models
    (a projector process per view).
    """
    hub = Hub(settings, clock=clock, views=views, kafka=kafka)
    unknown = [name for name in parts if not isinstance(getattr(Hub, name, None), part)]
    if unknown:
        raise ValueError(f"no such hub part: {', '.join(unknown)}")
    with hub.schema_lock():
        for name in parts:
            getattr(hub, name)
    return hub


def twilio_sender(settings: Settings) -> TwilioMessageSender | None:
    if settings.twilio_account_sid and settings.twilio_auth_token:
        return TwilioMessageSender(
            settings.twilio_account_sid, settings.twilio_auth_token, settings.twilio_api_base
        )
    return None


def twilio_call_placer(settings: Settings) -> TwilioCallPlacer | None:
    if settings.twilio_account_sid and settings.twilio_auth_token:
        return TwilioCallPlacer(
            settings.twilio_account_sid, settings.twilio_auth_token, settings.twilio_api_base
        )
    return None


def voice_script(settings: Settings) -> VoiceScript:
    return VoiceScript(
        greeting=settings.voice_greeting,
        consent_notice=settings.voice_consent_notice,
        voicemail_prompt=settings.voice_voicemail_prompt,
        goodbye=settings.voice_goodbye,
        connecting=settings.voice_connecting,
        language=settings.voice_language,
        agent_number=settings.voice_agent_number,
        dial_timeout=settings.voice_dial_timeout,
        record_calls=settings.voice_record_calls,
    )


def whatsapp_number(settings: Settings) -> str:
    """CONTACTHUB_TWILIO_WHATSAPP_FROM in E.164 (the `whatsapp:` prefix is optional)."""
    value = settings.twilio_whatsapp_from.strip()
    return value.removeprefix(WHATSAPP)


def now_of(hub: Hub) -> datetime:
    clock = hub.clock
    assert callable(clock)
    result = clock()
    assert isinstance(result, datetime)
    return result
