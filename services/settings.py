"""Configuration from CONTACTHUB_* variables (or a .env file), read once at start-up.

With nothing set, the hub runs the embedded default in ./contacthub-data.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


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
        default=2000, ge=1, description="Most messages the recorder writes in one transaction."
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
        description="Base URL providers call; webhook signatures are checked against it.",
    )
    master_key: str | None = Field(
        default=None,
        description="Base64 of 32 bytes wrapping the customer keys; "
        "generated into the data folder when unset.",
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
    mailgun_signing_key: str = ""
    smtp_relay_url: str | None = None
    smtp_listen: str | None = None

    @field_validator("public_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("CONTACTHUB_PUBLIC_URL must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("database_url")
    @classmethod
    def _postgres_only(cls, value: str | None) -> str | None:
        if value and not value.startswith(("postgresql://", "postgres://")):
            raise ValueError("CONTACTHUB_DATABASE_URL must be a postgresql:// URL")
        return value or None
