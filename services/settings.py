"""Configuration from CONTACTHUB_* variables (or a .env file), read once at start-up.

With nothing set, the hub runs the embedded default in ./contacthub-data.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class ComplaintRuleSetting(BaseModel):
    """One auto-open rule: keywords (word beginnings, any case) -> queue."""

    queue: str = Field(min_length=1)
    keywords: list[str] = Field(min_length=1)
    priority: str = "normal"
    category: str | None = None


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
    kafka_bootstrap: str | None = Field(default=None, description="Kafka bootstrap servers.")
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

    # Complaints (README "Complaint management"; deploy/CONFIGURATION.md)
    complaint_rules: list[ComplaintRuleSetting] | None = Field(
        default=None,
        description="Auto-open rules as JSON; unset: the built-in German and English keywords.",
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
    canned_responses_dir: Path | None = Field(
        default=None, description="Extra canned-response templates (<key>.<lang>.j2)."
    )

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
