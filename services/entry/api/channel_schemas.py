"""JSON shapes of the voice, letter and consent routes (documented in /openapi.json)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from events import Purpose
from events.envelope import Channel


class PlaceCall(BaseModel):
    model_config = ConfigDict(extra="forbid")
    agent_phone: str | None = Field(
        default=None,
        description="The agent's phone, rung first; default CONTACTHUB_VOICE_AGENT_NUMBER.",
    )
    to: str | None = Field(default=None, description="Override the customer's number.")


class CallAccepted(BaseModel):
    interaction_id: UUID
    status: str = Field(description="`queued` once Twilio accepted, `failed` if it refused.")
    provider_call_id: str | None
    error: str | None


class CallNote(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outcome: str = Field(
        pattern=r"^[a-z][a-z0-9-]{0,39}$",
        description="e.g. reached, no-answer, voicemail, callback-requested, resolved.",
    )
    notes: str = Field(default="", max_length=10_000)
    interaction_id: UUID | None = Field(
        default=None, description="The call noted; omit for a call made outside Twilio."
    )
    direction: Literal["inbound", "outbound"] | None = Field(
        default=None, description="Call outside Twilio only (default outbound)."
    )
    phone: str | None = Field(default=None, description="Call outside Twilio only.")
    duration_seconds: int | None = Field(default=None, ge=0, le=86_400)
    occurred_at: AwareDatetime | None = Field(
        default=None, description="Call outside Twilio only: when it took place (default now)."
    )


class NoteRecorded(BaseModel):
    interaction_id: UUID


class PostalAddress(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=120)
    street: str = Field(min_length=1, max_length=120)
    extra: str = Field(default="", max_length=120)
    postal_code: str = Field(min_length=3, max_length=12)
    city: str = Field(min_length=1, max_length=80)
    country: str = Field(default="DE", pattern=r"^[A-Za-z]{2}$")


class ConsentUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    channels: dict[Channel, bool] = Field(
        min_length=1,
        description='Per channel: true opts in, false opts out, e.g. {"sms": false}.',
    )
    source: str = Field(default="agent", max_length=40, description="How the customer said so.")
    purpose: Purpose | None = Field(
        default=None,
        description="service or marketing; omitted: the decision holds for every purpose.",
    )


class ConsentState(BaseModel):
    channels: dict[str, bool] = Field(
        description="Only channels with a recorded decision: is service contact allowed."
    )
    purposes: dict[str, dict[Purpose, bool]] = Field(
        default_factory=dict,
        description="Per decided channel, whether each purpose is allowed now "
        "(marketing needs an opt-in).",
    )


class LetterAccepted(BaseModel):
    interaction_id: UUID
    customer_id: UUID
    duplicate: bool = Field(description="True if this scan id was registered before.")
    text_extracted: bool


class LetterStatusReport(BaseModel):
    """What the print-and-mail provider posts to /webhooks/post/status."""

    letter_id: UUID = Field(description="The interaction id of the letter (from the hand-over).")
    status: Literal["printed", "posted", "returned", "failed"]
    reference: str | None = Field(default=None, max_length=200)
    reason: str | None = Field(default=None, max_length=1000)
    occurred_at: datetime | None = None
