"""Configuration from CONTACTHUB_* variables (or a .env file), read once at start-up.

With nothing set, the hub runs the embedded default in ./contacthub-data.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class ComplaintRuleSetting(BaseModel):
    """One auto-open rule: keywords (word beginnings, any case) -> queue."""

    queue: str = Field(min_length=1)
    keywords: list[str] = Field(min_length=1)
    priority: str = "normal"
    category: str | None = None


# Addresses that mean "every interface": no client calls them, loopback stands in.
WILDCARD_HOSTS = frozenset({"0.0.0.0", "::", ""})


def local_url(host: str, port: int) -> str:
    """The base URL of an HTTP server listening on host:port."""
    host = "127.0.0.1" if host in WILDCARD_HOSTS else host
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"  # an IPv6 address in a URL
    return f"http://{host}:{port}"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="CONTACTHUB_", env_file=".env", extra="ignore", frozen=True
    )

    data_dir: Path = Field(
        default=Path("contacthub-data"),
        description="Embedded data folder (SQLite files, master key, outbox).",
    )
    database_url: str | None = Field(
        default=None, description="postgresql://user:password@host:port/db for PostgreSQL."
    )
    kafka_bootstrap: str | None = Field(
        default=None,
        description="Kafka bootstrap servers (host:port,...); "
        "switches the gateway to the Kafka bus.",
    )
    kafka_partitions: int = Field(
        default=6,
        ge=1,
        description="Partitions of the topics the services create when missing.",
    )
    kafka_replication: int = Field(
        default=1, ge=1, description="Replication factor of the topics the services create."
    )
    kafka_topic_prefix: str = Field(
        default="",
        description="Prefix for topic and consumer-group names, for several hubs on one cluster.",
    )
    kafka_produce_timeout: float = Field(
        default=5.0,
        gt=0,
        description="Seconds a webhook waits for the broker's acknowledgement before 503.",
    )
    kafka_session_timeout_ms: int = Field(
        default=10_000,
        ge=1000,
        description="Consumer-group session timeout; a dead recorder's partitions move "
        "to the others after it.",
    )
    kafka_max_poll_records: int = Field(
        default=5000,
        ge=1,
        description="Most messages the recorder writes in one transaction (one table lock).",
    )
    group_commit_max_batch: int = Field(
        default=500,
        ge=1,
        description="Embedded (`contacthub serve`): most webhooks recorded in one "
        "transaction by the group commit (1: one transaction each).",
    )
    kafka_max_attempts: int = Field(
        default=3,
        ge=1,
        description="Attempts at a failing message before it goes to the dead-letter topic.",
    )
    poll_interval: float = Field(
        default=0.2,
        gt=0,
        description="Seconds between the projector's and publisher's polls of the event log.",
    )
    public_url: str = Field(
        default="http://127.0.0.1:8000",
        description="Base URL providers call; webhook signatures are checked against it. "
        "Unset, `serve` and `run gateway` derive it from their --host and --port.",
    )
    max_body_bytes: int = Field(
        default=1024 * 1024,
        ge=1024,
        description="Largest request body on any route but the uploads (413 above); "
        "checked before the body is read.",
    )
    max_upload_bytes: int = Field(
        default=40 * 1024 * 1024,
        ge=1024,
        description="Largest request body of the upload routes: inbound email (Mailgun), "
        "scanned letters, outbound messages with attachments.",
    )
    rate_limit_api: str = Field(
        default="6000/minute",
        description="Requests per bearer token (per client address without one) on the API "
        "and console, e.g. 100/second; 429 with Retry-After above; empty: no limit.",
    )
    rate_limit_webhooks: str = Field(
        default="",
        description="Webhook requests per client address, e.g. 200/second; empty (the "
        "default): no limit, as a provider answered 429 may not send again.",
    )
    master_key: str | None = Field(
        default=None,
        description="Base64 of 32 bytes wrapping the customer keys; "
        "generated into the data folder when unset.",
    )
    metrics_token: str | None = Field(
        default=None,
        description="When set, /metrics answers only `Authorization: Bearer <this>` (401 "
        "otherwise); unset: open, for a scraper inside the cluster.",
    )
    docs: Literal["on", "auth", "off"] = Field(
        default="on",
        description="/docs and /openapi.json: on (open), auth (a valid API token or console "
        "session), off (404).",
    )
    audit_signing_key: str | None = Field(
        default=None,
        description="Base64 of the 32-byte Ed25519 private key that signs audit exports; "
        "generated into the data folder when unset (set it when several processes export).",
    )
    twilio_account_sid: str = ""
    twilio_auth_token: str = ""
    twilio_api_base: str | None = Field(
        default=None, description="Twilio REST base URL (a loopback stand-in in tests)."
    )
    twilio_from_number: str = Field(
        default="", description="Our sender number for outbound SMS, in E.164."
    )
    default_region: str = Field(
        default="DE", description="Country for phone numbers written without +prefix."
    )
    twilio_whatsapp_from: str = Field(
        default="", description="Our WhatsApp sender number (E.164, `whatsapp:` optional)."
    )
    voice_agent_number: str = Field(
        default="",
        description="The agents' phone (E.164): inbound calls ring it; click-to-call's default.",
    )
    voice_greeting: str = "Willkommen beim Kundenservice."
    voice_consent_notice: str = (
        "Dieses Gespräch kann zur Qualitätssicherung aufgezeichnet werden. "
        "Wenn Sie nicht einverstanden sind, legen Sie bitte jetzt auf."
    )
    voice_voicemail_prompt: str = (
        "Leider ist gerade niemand erreichbar. Bitte hinterlassen Sie nach dem Signalton "
        "eine Nachricht."
    )
    voice_goodbye: str = "Vielen Dank für Ihren Anruf. Auf Wiederhören."
    voice_connecting: str = "Sie werden jetzt mit dem Kunden verbunden."
    voice_language: str = Field(default="de-DE", description="Language of <Say>.")
    voice_dial_timeout: int = Field(default=20, ge=5, le=120, description="Seconds to ring.")
    voice_record_calls: bool = Field(
        default=True, description="Record answered inbound calls (after the consent notice)."
    )
    quiet_hours: str = Field(
        default="20:00-08:00",
        description=(
            "Local time window without calls, hub-initiated SMS and WhatsApp, and agents'"
            " SMS/WhatsApp that are not a reply within 24 h of the customer's own message;"
            " empty: none."
        ),
    )
    quiet_hours_timezone: str = "Europe/Berlin"
    post_webhook_secret: str = Field(
        default="", description="HMAC key of the print-and-mail provider's status webhook."
    )
    letter_sender: str = Field(
        default="Contacthub GmbH · Musterweg 1 · 10115 Berlin",
        description="Return address line above the address window.",
    )
    letter_signature: str = Field(default="Ihr Kundenservice", description="Closing signature.")
    mailgun_signing_key: str = Field(
        default="", description="Mailgun webhook signing key; the email webhook is 503 without."
    )
    smtp_relay_url: str | None = Field(
        default=None,
        description="Outbound SMTP relay, e.g. smtp://user:pass@relay:587 or smtps://relay:465.",
    )
    smtp_listen: str | None = Field(
        default=None,
        description="host:port of the inbound SMTP receiver; off when unset.",
    )
    smtp_max_message_bytes: int = Field(
        default=25 * 1024 * 1024, ge=1024, description="Largest inbound message (SMTP 552 above)."
    )
    smtp_max_recipients: int = Field(
        default=50, ge=1, description="Most recipients per inbound message (SMTP 452 above)."
    )
    email_from: str = Field(
        default="",
        description="Our sender address for outbound email (its domain names Message-IDs).",
    )
    email_from_name: str = Field(default="", description="Display name on outbound email.")
    # Analytics (docs/analytics.md) -------------------------------------------------
    abc_window_months: int = Field(
        default=12, ge=1, le=120, description="ABC analysis: months of revenue that count."
    )
    abc_limits: str = Field(
        default="80,15,5", description="ABC class limits as revenue shares in percent: A,B,C."
    )
    churn_factor: float = Field(
        default=3.0,
        gt=1,
        description="Churn risk: flagged when the days since the last order exceed this "
        "many times the customer's usual interval.",
    )
    email_thread_window_days: float = Field(
        default=30,
        gt=0,
        description="How far apart in time a reply without usable headers may be and still "
        "join a conversation by its subject.",
    )

    # Complaints (docs/complaints.md; deploy/CONFIGURATION.md)
    complaint_rules: list[ComplaintRuleSetting] | None = Field(
        default=None,
        description="Auto-open rules as JSON; unset: the built-in German and English keywords.",
    )
    queue_teams: dict[str, str] | None = Field(
        default=None,
        description='Which team owns which queue, JSON: {"billing": "team-a"}; a queue '
        "not named is open to every agent (docs/security.md).",
    )
    complaint_default_queue: str = "complaints"
    complaint_escalation_queue: str = "escalations"
    complaint_reopen_days: float = Field(
        default=14,
        ge=0,
        description="A customer's message this long after a resolution reopens it.",
    )
    sla_targets: dict[str, dict[str, float]] | None = Field(
        default=None,
        description='Business hours per priority, JSON: {"normal": {"first_response": 4, '
        '"resolution": 16}, ...}; unset: built-in targets.',
    )
    sla_warning_ratio: float = Field(default=0.8, gt=0, lt=1)
    sla_timezone: str = "Europe/Berlin"
    sla_workdays: str = "mon-fri"
    sla_hours: str = "08:00-18:00"
    sla_holidays: str = Field(
        default="DE", description="Public holidays: DE, DE-BY, ... or empty for none."
    )
    sla_tick_seconds: float = Field(default=1.0, gt=0)
    retention_months: int | None = Field(
        default=None,
        ge=1,
        le=1200,
        description="Erase customers with no contact for this many months (unset: never).",
    )
    retention_interval_seconds: float = Field(
        default=86400.0,
        gt=0,
        description="How often the retention job runs in `serve` and the projector process.",
    )
    canned_responses_dir: Path | None = Field(
        default=None, description="Extra canned-response templates (<key>.<lang>.j2)."
    )
    # Operative CRM: opportunities and appointments.
    opportunity_stages: str = Field(
        default="new,qualified,proposal,negotiation",
        description="The pipeline's open stages, in order; won and lost always close it.",
    )
    appointment_timezone: str = Field(
        default="Europe/Berlin", description="Time zone of appointments that name none."
    )
    appointment_reminder_lead_minutes: int = Field(
        default=1440, ge=0, le=60 * 24 * 30, description="How long before the start to remind."
    )
    appointment_reminder_tick_seconds: float = Field(default=30.0, gt=0)
    survey_delay_seconds: float = Field(
        default=300.0, ge=0, description="How long after a resolution the CSAT survey goes out."
    )
    survey_answer_window_hours: float = Field(
        default=168.0, gt=0, description="How long a survey takes answers (SMS and links)."
    )
    survey_tick_seconds: float = Field(default=30.0, gt=0)
    # Campaigns: how often the sender follower sends the next throttled batch.
    campaign_tick_seconds: float = Field(default=5.0, gt=0)
    partner_webhook_max_attempts: int = Field(
        default=10,
        ge=1,
        le=1000,
        description="Attempts at a partner webhook delivery before it becomes a dead letter.",
    )
    partner_webhook_backoff_seconds: float = Field(
        default=1.0,
        gt=0,
        description="Wait after a partner webhook's first failed attempt; doubles.",
    )
    partner_webhook_backoff_max_seconds: float = Field(
        default=600.0, gt=0, description="The longest wait between two attempts at a delivery."
    )
    partner_webhook_timeout_seconds: float = Field(
        default=10.0, gt=0, description="How long a partner's endpoint may take to answer."
    )

    @field_validator("public_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("CONTACTHUB_PUBLIC_URL must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("rate_limit_api", "rate_limit_webhooks")
    @classmethod
    def _rate(cls, value: str) -> str:
        from limits import parse

        if value.strip():
            parse(value)  # ValueError names what is wrong
        return value.strip()

    @field_validator("abc_limits")
    @classmethod
    def _abc_limits(cls, value: str) -> str:
        from domain.valuation import AbcLimits

        AbcLimits.parse(value)  # ValueError names what is wrong
        return value

    @field_validator("smtp_listen")
    @classmethod
    def _host_port(cls, value: str | None) -> str | None:
        if not value:
            return None
        host, _, port = value.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError("CONTACTHUB_SMTP_LISTEN must be host:port, e.g. 0.0.0.0:2525")
        return value

    def listening_on(self, host: str, port: int) -> Settings:
        """These settings for an HTTP server on host:port: without an explicit
        CONTACTHUB_PUBLIC_URL, providers are taken to call that address, so the
        webhook signatures are checked against it (not against the default port)."""
        if "public_url" in self.model_fields_set:
            return self
        return self.model_copy(update={"public_url": local_url(host, port)})

    def smtp_listen_address(self) -> tuple[str, int] | None:
        if not self.smtp_listen:
            return None
        host, _, port = self.smtp_listen.rpartition(":")
        return host.strip("[]"), int(port)

    @field_validator("database_url")
    @classmethod
    def _postgres_only(cls, value: str | None) -> str | None:
        if value and not value.startswith(("postgresql://", "postgres://")):
            raise ValueError("CONTACTHUB_DATABASE_URL must be a postgresql:// URL")
        return value or None
