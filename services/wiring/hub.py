"""The composition root: builds the hub's parts from the settings, in one place.

Nothing is built at import time or in a default argument; tests build a hub
from their own Settings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore

from adapters.email.sender import RelayConfig, SmtpEmailSender
from adapters.post.provider import OutboxProvider
from adapters.sms.sender import TwilioMessageSender
from adapters.sms.translate import WHATSAPP
from adapters.voice.sender import TwilioCallPlacer
from adapters.voice.twiml import VoiceScript
from domain.consent import QuietHours
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
from projections.view import SqlView
from services.app.complaints.config import complaint_config
from services.app.consent import ConsentBook
from services.app.intake.email_gateway import EmailGateway
from services.app.intake.in_process_bus import InProcessBus
from services.app.intake.recorder import Recorded, Recorder, utcnow
from services.app.interactions import Interactions
from services.app.outbound.calls import Calls
from services.app.outbound.email import EmailMessaging
from services.app.outbound.letters import Letters
from services.app.outbound.messages import Messaging
from services.app.projector import Projector
from services.infra.auth import TokenStore
from services.infra.blobs import BlobStore, FileBlobStore, SqlBlobStore
from services.infra.bus import IntakeBus
from services.infra.eventstore import EventStore, master_key_from, open_event_store
from services.infra.eventstore.keys import derive_key
from services.infra.eventstore.store import construct_factory, store_location
from services.infra.kafka.bus import KafkaBus
from services.infra.locks import schema_lock
from services.infra.settings import Settings
from services.infra.sql import SqlRunner
from services.infra.webhook_tokens import WebhookTokens
from services.wiring.complaints import Complaints, build_complaints


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
    calls: Calls
    letters: Letters
    consent: ConsentBook
    blobs: BlobStore
    email_gateway: EmailGateway
    email: EmailMessaging
    mailgun_tokens: WebhookTokens
    complaints: Complaints
    interactions: Interactions
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
        db = SqlRunner(lite, "sqlite")
        views = Views(
            Customer360SQLite(lite, db=db),
            IdentityIndexSQLite(lite, db=db),
            ComplaintQueuesSQLite(lite, policy, db=db),
            CustomerCaseIndexSQLite(lite, db=db),
        )
    else:
        pg: PostgresDatastore = factory.datastore  # type: ignore[attr-defined]
        db = SqlRunner(pg, "postgres")
        views = Views(
            Customer360Postgres(pg, db=db),
            IdentityIndexPostgres(pg, db=db),
            ComplaintQueuesPostgres(pg, policy, db=db),
            CustomerCaseIndexPostgres(pg, db=db),
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
) -> Hub:
    """Everything `contacthub serve` runs: store, views, recorder, projector, bus.

    `kafka` puts the Kafka intake bus in place of the in-process one (the
    gateway process); `views` limits the projector to the named read models
    (a projector process per view).
    """
    with schema_lock(settings):
        return _build_hub(settings, clock=clock, views=views, kafka=kafka)


def _build_hub(
    settings: Settings, *, clock: object, views: Sequence[str] | None, kafka: bool
) -> Hub:
    master = master_key_from(settings.master_key, settings.data_dir)
    store = open_event_store(store_location(settings.database_url, settings.data_dir), master)
    all_views = open_views(settings)
    now = clock if callable(clock) else utcnow
    recorder = Recorder(
        store, clock=now, email_thread_window=timedelta(days=settings.email_thread_window_days)
    )
    projected = [v for v in all_views.all if views is None or v.name in views]
    projector = Projector(store, projected)

    def wake_followers() -> None:
        projector.wake()
        complaints.intake.wake()

    complaints = build_complaints(
        settings,
        complaint_config(settings),
        store,
        recorder,
        all_views.complaints,
        all_views.complaint_index,
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
    db = SqlRunner(store.recorder.datastore, store.dialect)  # type: ignore[attr-defined]
    tokens = TokenStore(db)
    address_secret = derive_key(master, "address-key")
    bus: IntakeBus = KafkaBus(settings) if kafka else InProcessBus(recorder, on_recorded)
    blobs: BlobStore = (
        FileBlobStore(settings.data_dir / "blobs")
        if store.dialect == "sqlite"
        else SqlBlobStore(db)
    )
    relay = (
        SmtpEmailSender(RelayConfig.from_url(settings.smtp_relay_url))
        if settings.smtp_relay_url
        else None
    )
    email = EmailMessaging(
        store,
        recorder,
        relay,
        blobs,
        from_address=settings.email_from,
        from_name=settings.email_from_name,
        secret=address_secret,
        clock=now,
    )
    quiet = QuietHours.parse(settings.quiet_hours, settings.quiet_hours_timezone)
    messaging.quiet = quiet
    messaging.whatsapp_from = whatsapp_number(settings)
    letters = Letters(
        store,
        recorder,
        OutboxProvider(settings.data_dir / "outbox"),
        address_secret=address_secret,
        sender_line=settings.letter_sender,
        signature=settings.letter_signature,
        clock=now,
    )
    placer = (
        TwilioCallPlacer(
            settings.twilio_account_sid, settings.twilio_auth_token, settings.twilio_api_base
        )
        if settings.twilio_account_sid and settings.twilio_auth_token
        else None
    )
    calls = Calls(
        store,
        recorder,
        placer,
        from_number=settings.twilio_from_number,
        public_url=settings.public_url,
        default_region=settings.default_region,
        script=voice_script(settings),
        quiet=quiet,
        clock=now,
    )
    return Hub(
        settings=settings,
        store=store,
        views=all_views,
        recorder=recorder,
        projector=projector,
        bus=bus,
        tokens=tokens,
        messaging=messaging,
        address_secret=address_secret,
        calls=calls,
        letters=letters,
        consent=ConsentBook(store, recorder, now),
        blobs=blobs,
        email_gateway=EmailGateway(bus, blobs, address_secret=address_secret, clock=now),
        email=email,
        mailgun_tokens=WebhookTokens(db, "mailgun"),
        complaints=complaints,
        interactions=Interactions(store, blobs),
        clock=now,
    )


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
