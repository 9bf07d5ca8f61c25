"""Bodies of the campaign routes (docs/analytics.md, Campaigns)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from events import CampaignChannel, CampaignKind


class CampaignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    segment_id: UUID
    channel: CampaignChannel
    kind: CampaignKind = "newsletter"
    subject: str = Field(
        default="", max_length=300, description="Email subject or letter heading (required there)."
    )
    body: str = Field(
        min_length=1,
        max_length=20_000,
        description="The template; placeholders {first_name}, {last_name}, {name}.",
    )
    attribution_window_days: int = Field(default=7, ge=0, le=365)
    throttle_per_minute: int = Field(default=60, ge=1, le=100_000)


class CampaignOut(BaseModel):
    campaign_id: UUID
    name: str
    segment_id: UUID
    channel: CampaignChannel
    kind: CampaignKind
    subject: str
    body: str
    attribution_window_days: int
    throttle_per_minute: int
    status: str = Field(description="draft, running or finished.")
    members: int = Field(description="The segment's members when it started (0 before).")
    created_by: str
    created_at: str
    started_by: str | None
    started_at: str | None
    finished_at: str | None


class CampaignList(BaseModel):
    items: list[CampaignOut]


class CampaignReportOut(BaseModel):
    campaign_id: UUID
    name: str
    status: str
    members: int = Field(description="The members snapshot at start.")
    pending: int = Field(description="Members without a recorded send yet.")
    reach: int = Field(description="Members the message reached (the provider took it).")
    sent: int
    refused: int = Field(description="Not sent: no marketing consent, no address, ...")
    failed: int = Field(description="The provider would not take it.")
    delivered: int = Field(description="Reported delivered (SMS, email) or posted (letters).")
    undelivered: int
    replies: int = Field(description="Recipients who wrote back within the window.")
    opt_outs: int = Field(description="Recipients who opted out within the window.")
    orders: int = Field(description="Recipients who ordered within the window.")
    conversion_rate: float = Field(description="orders / reach.")
    reply_rate: float
    opt_out_rate: float


def campaign_from_row(row: dict[str, Any]) -> CampaignOut:
    return CampaignOut(
        campaign_id=row["campaign_id"],
        name=row["name"],
        segment_id=row["segment_id"],
        channel=row["channel"],
        kind=row["kind"],
        subject=row["subject"],
        body=row["body"],
        attribution_window_days=row["window_days"],
        throttle_per_minute=row["throttle_per_minute"],
        status=row["status"],
        members=row["members"],
        created_by=row["created_by"],
        created_at=row["created_at"],
        started_by=row["started_by"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
    )
