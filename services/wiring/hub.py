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
from typing import Any, Generic, TypeVar, cast, overload
from uuid import UUID

from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore

from adapters.email.sender import RelayConfig, SmtpEmailSender
from adapters.post.provider import OutboxProvider
from adapters.sms.sender import TwilioMessageSender
from adapters.sms.translate import WHATSAPP
from adapters.voice.recordings import TwilioRecordings
from adapters.voice.sender import TwilioCallPlacer
from adapters.voice.twiml import VoiceScript
from domain.consent import QuietHours
from domain.erasure import RetentionPolicy
from domain.opportunities import Pipeline
from domain.partner_access import RetryPolicy
from domain.unsubscribe import unsubscribe_url
from domain.valuation import AbcLimits
from events import SurveyChannel
from projections.appointments import Appointments, AppointmentsPostgres, AppointmentsSQLite
from projections.campaigns import Campaigns, CampaignsPostgres, CampaignsSQLite
from projections.complaints import (
    CaseFilter,
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
from projections.knowledge import KnowledgeBase, KnowledgeBasePostgres, KnowledgeBaseSQLite
from projections.opportunities import (
    Opportunities,
    OpportunitiesPostgres,
    OpportunitiesSQLite,
)
from projections.orders import OrderHistory, OrderHistoryPostgres, OrderHistorySQLite
from projections.satisfaction import (
    SatisfactionView,
    SatisfactionViewPostgres,
    SatisfactionViewSQLite,
)
from projections.view import SqlView
from services.app.analytics.reports import Reports
from services.app.analytics.segments import Segments, SegmentSources
from services.app.analytics.suggestions import Suggestions
from services.app.analytics.valuations import Valuations
from services.app.campaigns.desk import CampaignDesk
from services.app.campaigns.sender import CampaignMessages, CampaignSender
from services.app.complaints.config import complaint_config
from services.app.consent import ConsentBook
from services.app.erasure import Erasure, Retention
from services.app.export import CustomerExports
from services.app.history import History
from services.app.intake.batch_recorder import BatchRecorder
from services.app.intake.email_gateway import EmailGateway
from services.app.intake.group_commit import GroupCommitBus
from services.app.intake.recorder import Recorded, Recorder, utcnow
from services.app.interactions import Interactions
from services.app.operative.appointments import AppointmentBook
from services.app.operative.knowledge import KnowledgeDesk
from services.app.operative.opportunities import OpportunityDesk
from services.app.operative.reminders import AppointmentReminders
from services.app.orders.book import OrderBook
from services.app.orders.importer import OrderImporter
from services.app.outbound.calls import Calls
from services.app.outbound.email import EmailMessaging
from services.app.outbound.letters import Letters
from services.app.outbound.messages import Messaging
from services.app.outbound.pipeline import Outbound
from services.app.partners.webhooks import PartnerWebhooks
from services.app.projector import Projector
from services.app.satisfaction.analytics import SatisfactionAnalytics
from services.app.satisfaction.answers import SurveyAnswers
from services.app.satisfaction.surveys import SatisfactionSurveys
from services.infra.access_log import AccessLog
from services.infra.accounts import UserStore
from services.infra.audit_keys import AuditSigner, load_signer
from services.infra.auth import TokenStore
from services.infra.blobs import BlobStore, FileBlobStore, SqlBlobStore
from services.infra.bus import IntakeBus
from services.infra.compaction import compact_sqlite, vacuum_postgres
from services.infra.eventstore import EventStore, master_key_from, open_event_store
from services.infra.eventstore.keys import derive_key
from services.infra.eventstore.store import construct_factory, store_location
from services.infra.follower import Follower
from services.infra.kafka.bus import KafkaBus
from services.infra.locks import schema_lock
from services.infra.partner_deliveries import DeliveryOutbox
from services.infra.partners import PartnerDirectory
from services.infra.segments import SavedSegment, SegmentTable
from services.infra.settings import Settings
from services.infra.shadow import shadow_datastore
from services.infra.sql import SqlRunner
from services.infra.webhook_sender import HttpWebhookSender
from services.infra.webhook_tokens import WebhookTokens
from services.wiring.accounts import Accounts, accounts_on
from services.wiring.complaints import Complaints, build_complaints

T = TypeVar("T")

# An export holds every interaction and case: no page limit that a customer could reach.
EXPORT_ALL = 10_000_000
# The tables an erasure changes, which VACUUM then frees of the old rows' bytes.
VIEW_TABLES = (
    "c360_customers",
    "c360_timeline",
    "c360_details",
    "identity_addresses",
    "opportunities",
    "appointments",
)
STORE_TABLES = ("contacthub_customer_keys", "contacthub_blobs")


@dataclass
class Views:
    customer360: Customer360
    identity: IdentityIndex
    complaints: ComplaintQueues
    # The complaint intake's own index and position: not a read model, not replayed.
    complaint_index: CustomerCaseIndex
    opportunities: Opportunities
    appointments: Appointments
    knowledge: KnowledgeBase
    orders: OrderHistory
    consent: ConsentIndex
    satisfaction: SatisfactionView
    campaigns: Campaigns

    @property
    def all(self) -> list[SqlView]:
        return [
            self.identity,
            self.customer360,
            self.complaints,
            self.opportunities,
            self.appointments,
            self.knowledge,
            self.orders,
            self.consent,
            self.satisfaction,
            self.campaigns,
        ]


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
        self._wake_callbacks: list[Callable[[], None]] = []

    def built(self, name: str) -> bool:
        """Whether the part was built (a process that never used it has none)."""
        return name in self.__dict__

    def close(self) -> None:
        """Stops the followers that were built (the others never ran)."""
        if self.built("complaints"):
            self.complaints.stop()
        if self.built("reminders"):
            self.reminders.stop()
        if self.built("surveys"):
            self.surveys.stop()
        if self.built("campaign_sender"):
            self.campaign_sender.stop()
        if self.built("projector"):
            self.projector.stop()
        if self.built("retention_job"):
            self.retention_job.stop()
        if self.built("partner_webhooks"):
            self.partner_webhooks.stop()

    def on_wake(self, callback: Callable[[], None]) -> None:
        """Also call `callback` after every write in this process (`serve` wakes
        its followers' process so)."""
        self._wake_callbacks.append(callback)

    def wake_followers(self) -> None:
        """After a write in this process: project it (and decide on it) now."""
        for callback in self._wake_callbacks:
            callback()
        if self.built("projector"):
            self.projector.wake()
        if self.built("complaints"):
            self.complaints.intake.wake()
        if self.built("partner_webhooks"):
            self.partner_webhooks.wake()

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
    def unsubscribe_secret(self) -> bytes:
        """Signs the one-click unsubscribe links in outbound email."""
        return derive_key(self.master_key, "unsubscribe-link")

    @part
    def survey_secret(self) -> bytes:
        """Signs the one-click rating links in survey emails."""
        return derive_key(self.master_key, "survey-link")

    def unsubscribe_url(self, customer_id: UUID) -> str:
        return unsubscribe_url(self.settings.public_url, self.unsubscribe_secret, customer_id)

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
    def audit_signer(self) -> AuditSigner:
        """The key that signs audit exports (CONTACTHUB_AUDIT_SIGNING_KEY or the data folder's)."""
        return load_signer(self.settings.audit_signing_key, self.settings.data_dir)

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
    def access_log(self) -> AccessLog:
        """Who read which customer's data: in the store's database, not a read model."""
        db = self.db
        with self.schema_lock():
            return AccessLog(db, self._now)

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

        # Group commit: concurrent webhooks share a transaction, written by the
        # Kafka path's batch recorder (no consumer position to track here).
        batches = BatchRecorder(self.store, self._now, max_attempts=1, single=self.recorder)
        return GroupCommitBus(
            batches,
            on_recorded,
            self.recorder.notify_written,
            max_batch=self.settings.group_commit_max_batch,
        )

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
        return Projector(self.store, projected, after_erasure=self.compact_views)

    def compact_views(self) -> None:
        """After the views dropped an erased customer's rows: no freed page keeps them."""
        if self.store.dialect == "sqlite":
            compact_sqlite(self.settings.data_dir / "views.sqlite")
        else:
            assert self.settings.database_url is not None
            vacuum_postgres(self.settings.database_url, VIEW_TABLES)

    def compact_store(self) -> None:
        """After an erasure: the destroyed key and deleted blobs leave no freed page."""
        if self.store.dialect == "sqlite":
            compact_sqlite(self.settings.data_dir / "eventsourcing.sqlite")
        else:
            assert self.settings.database_url is not None
            vacuum_postgres(self.settings.database_url, STORE_TABLES)

    # Erasure and retention ------------------------------------------------------------

    @part
    def erasure(self) -> Erasure:
        return Erasure(
            self.store,
            self.recorder,
            self.blobs,
            interactions_of=self.views.customer360.interaction_ids,
            outbox=self.settings.data_dir / "outbox",
            compact=self.compact_store,
            clock=self._now,
        )

    @part
    def retention(self) -> Retention | None:
        """The retention policy's use case; None if CONTACTHUB_RETENTION_MONTHS is unset."""
        months = self.settings.retention_months
        if months is None:
            return None
        return Retention(
            self.erasure,
            RetentionPolicy(months),
            self.views.customer360.inactive_since,
            self._now,
        )

    @part
    def retention_job(self) -> Follower:
        """Runs the retention policy every CONTACTHUB_RETENTION_INTERVAL_SECONDS
        (start it with `start()`; a run with no policy configured does nothing)."""
        retention = self.retention

        def run(_stop: threading.Event) -> None:
            if retention is not None:
                # Decide on views that include every contact recorded so far.
                self.projector.wake()
                if not self.projector.wait_for(self.store.max_notification_id(), timeout=30):
                    raise TimeoutError("retention: the read models lag; the next round retries")
                done = retention.run()
                if done.customers:
                    self.wake_followers()

        return Follower("retention", run, poll_interval=self.settings.retention_interval_seconds)

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
            unsubscribe_url=self.unsubscribe_url,
        )

    @part
    def letters(self) -> Letters:
        settings = self.settings
        return Letters(
            self.store,
            self.recorder,
            self.outbound,
            OutboxProvider(settings.data_dir / "outbox"),
            self.blobs,
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
        return Interactions(self.store, self.blobs, twilio_recordings(self.settings))

    @part
    def exports(self) -> CustomerExports:
        """Data subject access: the customer's whole export."""
        views = self.views

        def interaction_ids(customer_id: UUID) -> list[UUID]:
            rows = views.customer360.timeline(customer_id, EXPORT_ALL)
            return [UUID(r["interaction_id"]) for r in reversed(rows)]  # oldest first

        def complaint_ids(customer_id: UUID) -> list[UUID]:
            where = CaseFilter(state=None, customer_id=customer_id)
            return [UUID(r["complaint_id"]) for r in views.complaints.cases(where, EXPORT_ALL)]

        return CustomerExports(
            self.store,
            self.interactions,
            interaction_ids=interaction_ids,
            complaint_ids=complaint_ids,
            clock=self._now,
        )

    @part
    def history(self) -> History:
        """As-of views from the events; merge and unmerge."""

        def merged_customer(merge_id: UUID) -> UUID | None:
            # The read models open on first use: `audit show` needs only the store.
            row = self.views.identity.merge(merge_id)
            return UUID(row["other_customer_id"]) if row else None

        return History(self.store, self.recorder, self._now, merged_customer)

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
            # An order from the customer wins their open opportunity (built on first order).
            on_placed=lambda customer_id, order_id: self.opportunities.close_by_order(
                customer_id, order_id
            ),
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
            team_of_user=self._team_of_user,
        )

    def _team_of_user(self, name: str) -> str | None:
        user = self.users.get(name)
        return user.team if user is not None else None

    # Operative CRM -------------------------------------------------------------------

    @part
    def pipeline(self) -> Pipeline:
        return Pipeline.parse(self.settings.opportunity_stages)

    @part
    def opportunities(self) -> OpportunityDesk:
        return OpportunityDesk(
            self.store, self.recorder, self.views.opportunities, self.pipeline, clock=self._now
        )

    @part
    def appointments(self) -> AppointmentBook:
        return AppointmentBook(self.store, self.recorder, clock=self._now)

    @part
    def knowledge(self) -> KnowledgeDesk:
        return KnowledgeDesk(
            self.store, self.recorder, self.views.knowledge, self.interactions, clock=self._now
        )

    # Partners (collaborative CRM) ---------------------------------------------------

    @part
    def partners(self) -> PartnerDirectory:
        """Partner organisations, their sites and webhook subscriptions."""
        db = self.db
        with self.schema_lock():
            return PartnerDirectory(db, self._now)

    @part
    def partner_outbox(self) -> DeliveryOutbox:
        """The partner webhooks' queue, position and dead letters."""
        db = self.db
        with self.schema_lock():
            return DeliveryOutbox(db)

    @part
    def partner_webhooks(self) -> PartnerWebhooks:
        """The follower that delivers partner webhooks (started by `serve`)."""
        settings = self.settings
        return PartnerWebhooks(
            self.store,
            self.partners,
            self.partner_outbox,
            HttpWebhookSender(settings.partner_webhook_timeout_seconds),
            RetryPolicy(
                max_attempts=settings.partner_webhook_max_attempts,
                base_seconds=settings.partner_webhook_backoff_seconds,
                max_seconds=settings.partner_webhook_backoff_max_seconds,
            ),
            clock=self._now,
            poll_interval=settings.poll_interval,
        )

    @part
    def reminders(self) -> AppointmentReminders:
        """The follower that sends appointment reminders (started by `serve` and `run api`)."""
        return AppointmentReminders(
            self.store,
            self.recorder,
            self.views.appointments,
            lambda: self.messaging,
            lambda: self.email,
            clock=self._now,
            interval=self.settings.appointment_reminder_tick_seconds,
        )

    # Satisfaction --------------------------------------------------------------------

    @part
    def surveys(self) -> SatisfactionSurveys:
        """The follower that sends satisfaction surveys and records SMS answers
        (started by `serve` and `run api`, and beside the satisfaction view)."""
        settings = self.settings
        desk = self.complaints.desk
        return SatisfactionSurveys(
            self.store,
            self.recorder,
            self.views.satisfaction,
            self.survey_answers,
            desk.case,
            lambda: self.messaging,
            lambda: self.email,
            link_secret=self.survey_secret,
            public_url=settings.public_url,
            clock=self._now,
            interval=settings.survey_tick_seconds,
            delay=timedelta(seconds=settings.survey_delay_seconds),
            window=timedelta(hours=settings.survey_answer_window_hours),
        )

    @part
    def survey_answers(self) -> SurveyAnswers:
        """Records survey answers: SMS replies, and the rating links (the gateway
        serves those, with the store alone)."""
        return SurveyAnswers(
            self.store, self.recorder, link_secret=self.survey_secret, clock=self._now
        )

    @part
    def satisfaction(self) -> SatisfactionAnalytics:
        """CSAT and NPS over time, by queue, agent, product or channel."""
        return SatisfactionAnalytics(self.views.satisfaction)

    # Campaigns -------------------------------------------------------------------

    @part
    def campaign_messages(self) -> CampaignMessages:
        """The one send path of a rendered marketing message (campaigns, surveys)."""
        return CampaignMessages(lambda: self.messaging, lambda: self.email, lambda: self.letters)

    @part
    def campaigns(self) -> CampaignDesk:
        segments = self.segments

        def on_start() -> None:
            self.wake_followers()
            if self.built("campaign_sender"):
                self.campaign_sender.wake()

        return CampaignDesk(
            self.store,
            self.recorder,
            self.views.campaigns,
            segment_exists=lambda segment_id: segments.storage.get(segment_id) is not None,
            segment_members=lambda segment_id: segments.members(segment_id)[1],
            unconfigured=self.campaign_messages.unconfigured,
            clock=self._now,
            on_start=on_start,
        )

    @part
    def campaign_sender(self) -> CampaignSender:
        """The follower that sends running campaigns, throttled (started like the reminders)."""
        return CampaignSender(
            self.store,
            self.recorder,
            self.views.campaigns,
            self.campaign_messages,
            nps_survey=lambda customer_id, channel, campaign_id: self.surveys.send_nps_survey(
                customer_id, cast(SurveyChannel, channel), campaign_id
            ),
            quiet=self.quiet,
            clock=self._now,
            interval=self.settings.campaign_tick_seconds,
            on_write=self.wake_followers,
        )


# What each process builds at start-up.
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
    "history",
    "complaints",
    "interactions",
    "access_log",
    "exports",
    "opportunities",
    "appointments",
    "knowledge",
    "erasure",
    "orders",
    "segments",
    "satisfaction",
    "campaigns",
    "partners",
    "partner_outbox",
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
# `contacthub serve`: the API, the gateway's webhook parts, the reminders and the campaign sender,
# in one process (the other parts, if ever used, are built on first use).
EVERYTHING = (
    *API_PARTS,
    "email_gateway",
    "mailgun_tokens",
    "reminders",
    "surveys",
    "campaign_sender",
    "partner_webhooks",
)
# `contacthub run projector`: the read models (and, beside the queues, the
# complaint policies, built when started).
PROJECTOR_PARTS = ("store", "views", "projector")


def open_views(settings: Settings) -> Views:
    location = store_location(settings.database_url, settings.data_dir, purpose="views")
    if location.dialect == "sqlite":
        lite = SQLiteDatastore(
            location.env["SQLITE_DBNAME"], lock_timeout=10, pool_size=4, max_overflow=8
        )
        views = views_on(lite, settings)
    else:
        factory = construct_factory(location, "views")
        views = views_on(factory.datastore, settings)  # type: ignore[attr-defined]
    for view in [*views.all, views.complaint_index]:
        view.setup()
    return views


@contextmanager
def shadow_views(settings: Settings) -> Iterator[list[SqlView]]:
    """Empty read models beside the live ones (another SQLite file or PostgreSQL
    schema), in the order of `Views.all`; removed when the block ends."""
    location = store_location(settings.database_url, settings.data_dir, purpose="views")
    with shadow_datastore(location) as datastore:
        yield views_on(datastore, settings).all


def views_on(datastore: SQLiteDatastore | PostgresDatastore, settings: Settings) -> Views:
    """The read models on one datastore (tables not created yet: `setup()`)."""
    policy = complaint_config(settings).policy
    if isinstance(datastore, SQLiteDatastore):
        db = SqlRunner(datastore, "sqlite")
        return Views(
            Customer360SQLite(datastore, db=db),
            IdentityIndexSQLite(datastore, db=db),
            ComplaintQueuesSQLite(datastore, policy, db=db),
            CustomerCaseIndexSQLite(datastore, db=db),
            OpportunitiesSQLite(datastore, db=db),
            AppointmentsSQLite(datastore, db=db),
            KnowledgeBaseSQLite(datastore, db=db),
            OrderHistorySQLite(datastore, db=db),
            ConsentIndexSQLite(datastore, db=db),
            SatisfactionViewSQLite(datastore, db=db),
            CampaignsSQLite(datastore, db=db),
        )
    db = SqlRunner(datastore, "postgres")
    return Views(
        Customer360Postgres(datastore, db=db),
        IdentityIndexPostgres(datastore, db=db),
        ComplaintQueuesPostgres(datastore, policy, db=db),
        CustomerCaseIndexPostgres(datastore, db=db),
        OpportunitiesPostgres(datastore, db=db),
        AppointmentsPostgres(datastore, db=db),
        KnowledgeBasePostgres(datastore, db=db),
        OrderHistoryPostgres(datastore, db=db),
        ConsentIndexPostgres(datastore, db=db),
        SatisfactionViewPostgres(datastore, db=db),
        CampaignsPostgres(datastore, db=db),
    )


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


def twilio_recordings(settings: Settings) -> TwilioRecordings | None:
    if settings.twilio_account_sid and settings.twilio_auth_token:
        return TwilioRecordings(
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
